from odoo import fields, models


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
