from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _compute_sale_data(self):
        """Leads Only users have no access to quotations: they see none on
        the lead, rather than a lead form that cannot open."""
        if self.env["sale.order"].has_access("read"):
            return super()._compute_sale_data()
        for lead in self:
            lead.sale_amount_total = 0.0
            lead.quotation_count = lead.sale_order_count = 0
        return None

    def _lead_pipeline_undo_blockers(self):
        reasons = super()._lead_pipeline_undo_blockers()
        if self.order_ids:
            reasons.append(
                self.env._(
                    "%(lead)s has quotations or orders: %(orders)s.",
                    lead=self.display_name,
                    orders=", ".join(self.order_ids.mapped("name")),
                )
            )
        return reasons
