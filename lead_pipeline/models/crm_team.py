from odoo import models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def _get_lead_to_assign_domain(self):
        """Odoo's scheduled assignment (which also merges and converts) leaves
        alone the leads lead_pipeline routes."""
        return [*super()._get_lead_to_assign_domain(), ("lead_routed_date", "=", False)]
