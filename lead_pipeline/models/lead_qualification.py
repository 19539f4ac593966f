from odoo import api, fields, models

CRITERION_STATES = [("unknown", "Unknown"), ("met", "Met"), ("not_met", "Not Met")]


class LeadQualification(models.Model):
    """A lead's answer to one criterion."""

    _name = "lead_pipeline.lead.qualification"
    _description = "Lead Qualification Criterion"
    _order = "sequence, id"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    criterion_id = fields.Many2one(
        "lead_pipeline.qualification.criterion", required=True, ondelete="cascade"
    )
    name = fields.Char(related="criterion_id.name")
    description = fields.Text(related="criterion_id.description")
    sequence = fields.Integer(related="criterion_id.sequence", store=True)
    state = fields.Selection(CRITERION_STATES, required=True, default="unknown")
    note = fields.Char()
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)

    _sql_constraints = [
        (
            "lead_criterion_unique",
            "UNIQUE(lead_id, criterion_id)",
            "A lead answers each criterion once.",
        )
    ]

    @api.model_create_multi
    def create(self, vals_list):
        self.env["crm.lead"].browse(
            {vals["lead_id"] for vals in vals_list if vals.get("lead_id")}
        )._lead_pipeline_check_open("answers")
        return super().create(vals_list)

    def write(self, vals):
        self._lead_pipeline_check_open(vals)
        return super().write(vals)

    def unlink(self):
        self._lead_pipeline_check_open()
        return super().unlink()

    def _lead_pipeline_check_open(self, vals=None):
        """Qualification answers of a converted lead are closed with it."""
        leads = self.env["crm.lead"].browse(self.sudo().lead_id.ids)
        if vals and "lead_id" in vals:
            leads |= self.env["crm.lead"].browse(vals["lead_id"])
        leads._lead_pipeline_check_open("answers")
