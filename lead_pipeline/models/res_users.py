from odoo import fields, models

from ..logic.routing import resolve_substitute


class ResUsers(models.Model):
    _inherit = "res.users"

    lead_pipeline_substitute_id = fields.Many2one(
        "res.users",
        string="Default Substitute",
        domain="[('share', '=', False)]",
        help="Proposed as substitute on this salesperson's absences, and used for "
        "their approved time off when Odoo's Time Off app is installed.",
    )

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "lead_pipeline_substitute_id"]

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "lead_pipeline_substitute_id"]

    def _lead_pipeline_covered_owner_ids(self):
        """Ids of the salespeople away now whose leads this user works as
        their substitute, directly or down a chain (A -> B -> C). The record
        rule ``crm_lead_rule_substitute`` puts them in a domain on Odoo's own
        ``user_id``, so that it evaluates even where this module's Python is
        not loaded (an upgrade of crm alone)."""
        self.ensure_one()
        substitutes = self.env["lead_pipeline.absence"]._substitutes_at(fields.Datetime.now())
        return sorted(
            owner_id
            for owner_id in substitutes
            if self.id in resolve_substitute(owner_id, substitutes)[1][1:]
        )
