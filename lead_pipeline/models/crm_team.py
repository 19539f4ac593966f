from odoo import api, models

from .internal import scoped_value


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def _get_lead_to_assign_domain(self):
        """Odoo's scheduled assignment (which also merges and converts) leaves
        alone the leads lead_pipeline routes."""
        return [*super()._get_lead_to_assign_domain(), ("lead_routed_date", "=", False)]

    @api.model
    def _get_default_team_id(self, user_id=False, domain=False):
        """Within one computation of leads' teams (``crm.lead``'s
        ``_compute_team_id``), the default team asked once per salesperson,
        filter, context default, allowed companies and user, not once per
        lead: crm asks it lead by lead, one search each, and an import batch
        asks it for thousands of leads of a handful of salespeople. The
        answer cannot change within one computation."""
        memo = scoped_value("lead_pipeline_default_teams")
        if memo is None:
            return super()._get_default_team_id(user_id=user_id, domain=domain)
        # the environment holds the user, superuser mode and whole context
        # (a default team, the allowed companies) the answer depends on
        key = (self.env, user_id, repr(domain))
        if key not in memo:
            memo[key] = super()._get_default_team_id(user_id=user_id, domain=domain)
        return memo[key]
