from odoo import http
from odoo.http import request
from odoo.tools import email_normalize

from odoo.addons.mail.controllers.thread import ThreadController

from ..models.internal import scoped


class LeadPipelineThreadController(ThreadController):
    """Replying to a lead's suggested recipient must not create a contact:
    leads stay out of the customer base until they are converted. The lead's
    own addresses are mailed directly instead."""

    @http.route()
    def mail_message_post(self, thread_model, thread_id, post_data, context=None, **kwargs):
        emails = kwargs.get("partner_emails")
        if emails and thread_model == "crm.lead":
            # sudo: only decides which addresses are the lead's own; posting
            # itself is checked by mail's controller as usual
            lead = request.env["crm.lead"].sudo().browse(int(thread_id)).exists()
            if lead.type == "lead":
                own = lead._lead_pipeline_own_emails()
                direct = [email for email in emails if email_normalize(email) in own]
                if direct:
                    remaining = [email for email in emails if email not in direct]
                    if remaining:
                        kwargs["partner_emails"] = remaining
                    else:
                        kwargs.pop("partner_emails")
                    # for message_post on this very lead, further down
                    with scoped(lead_pipeline_email_to=(("crm.lead", lead.id), direct)):
                        return super().mail_message_post(
                            thread_model, thread_id, post_data, context=context, **kwargs
                        )
        return super().mail_message_post(
            thread_model, thread_id, post_data, context=context, **kwargs
        )
