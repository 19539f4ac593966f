from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

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
