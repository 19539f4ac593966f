def post_init_hook(env):
    """Switch Odoo's Leads feature on once, the way an admin would.

    Done through the settings at install only, so that an admin may switch it
    off later and an upgrade does not switch it back on.
    """
    if not env.ref("base.group_user").implied_ids & env.ref("crm.group_use_lead"):
        env["res.config.settings"].create({"group_use_lead": True}).execute()
