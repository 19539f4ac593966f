from odoo import models

from .internal import scoped


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """Odoo's mail gateway: the mail channel of intake exists only here,
        and the records a request is attached to (instead of a new lead) are
        noted for ``crm.lead._creation_subtype``."""
        with scoped(lead_pipeline_gateway_attached=set()):
            return super()._message_route_process(message, message_dict, routes)
