from odoo.tools import SQL

from .models.internal import internal_write


def post_init_hook(env):
    """Switch Odoo's Leads feature on once, the way an admin would, and put
    the leads that existed before the install into their default pipeline.

    The feature is switched on through the settings at install only, so that
    an admin may switch it off later and an upgrade does not switch it back.
    """
    if not env.ref("base.group_user").implied_ids & env.ref("crm.group_use_lead"):
        env["res.config.settings"].create({"group_use_lead": True}).execute()
    _assign_default_types(env)


def _assign_default_types(env):
    # the stored computes ran when the columns were added, before the types
    # existed; one write per company gives every open or lost lead its type,
    # and the status follows from the type
    Lead = env["crm.lead"].with_context(active_test=False)
    Type = env["lead_pipeline.lead.type"]
    leads = Lead.search([("type", "=", "lead"), ("lead_type_id", "=", False)])
    for company in leads.company_id | env["res.company"]:
        company_leads = leads.filtered(lambda lead, company=company: lead.company_id == company)
        lead_type = Type._get_default_type(company)
        if company_leads and lead_type:
            company_leads.write({"lead_type_id": lead_type.id})
    if leads:
        # lost leads start in their type's disqualified status
        lost = leads.filtered(lambda lead: not lead.active)
        for lead_type in lost.lead_type_id:
            disqualified = lead_type._first_status("disqualified")
            if disqualified:
                internal_write(
                    lost.filtered(lambda lead, t=lead_type: lead.lead_type_id == t),
                    {"lead_status_id": disqualified.id},
                    sync=True,
                )


def uninstall_hook(env):
    """Drop the round-robin sequences of the routing rules (one per rule):
    Odoo removes the addon's tables, not sequences it did not declare."""
    env.cr.execute(
        """
        SELECT relname FROM pg_class
         WHERE relkind = 'S' AND relname ~ '^lead_pipeline_routing_rule_[0-9]+_seq$'
        """
    )
    for (name,) in env.cr.fetchall():
        env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name)))
