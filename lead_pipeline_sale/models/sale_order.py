from odoo import api, models
from odoo.exceptions import ValidationError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.constrains("partner_id", "opportunity_id")
    def _check_lead_pipeline_competitor(self):
        """A competitor is watched, not sold to: no quotation for a company
        tagged as competitor, nor from a competitor watch lead."""
        competitor = self.env.ref("lead_pipeline.partner_category_competitor", False)
        for order in self:
            watched = (
                competitor and competitor in order.partner_id.commercial_partner_id.category_id
            ) or order.opportunity_id.lead_relationship == "competitor"
            if watched:
                raise ValidationError(
                    self.env._(
                        "%(partner)s is watched as a competitor: no quotation or order "
                        "can be made for it.",
                        partner=order.partner_id.commercial_partner_id.display_name,
                    )
                )

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
