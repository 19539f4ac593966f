from odoo import api, models
from odoo.exceptions import ValidationError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.constrains("opportunity_id")
    def _check_lead_pipeline_opportunity(self):
        """Odoo hides "New Quotation" on leads; this holds on every path."""
        leads = self.opportunity_id.filtered(
            lambda lead: lead.type == "lead" and not lead.lead_converted_date
        )
        if leads:
            raise ValidationError(
                self.env._(
                    "A quotation or order needs a customer: convert these leads first: %(leads)s",
                    leads=", ".join(leads.mapped("display_name")),
                )
            )
