from odoo.tools import email_normalize, frozendict

from odoo.addons.mail.controllers.thread import ThreadController


class LeadPipelineThreadController(ThreadController):
    """Replying to a lead's suggested recipient must not create a contact:
    leads stay out of the customer base until they are converted. The
    lead's own addresses are mailed directly instead."""

    def _prepare_post_data(self, post_data, thread, **kwargs):
        emails = kwargs.get("partner_emails")
        if emails and thread._name == "crm.lead" and thread.type == "lead":
            own = set(thread._lead_pipeline_own_emails())
            direct = [email for email in emails if email_normalize(email) in own]
            if direct:
                kwargs["partner_emails"] = [e for e in emails if e not in direct]
                if not kwargs["partner_emails"]:
                    kwargs.pop("partner_emails")
                # as mail's own controller does for its flags: the thread's
                # env is the one message_post runs in
                thread.env.context = frozendict(thread.env.context, lead_pipeline_email_to=direct)
        return super()._prepare_post_data(post_data, thread, **kwargs)
