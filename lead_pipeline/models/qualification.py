from odoo import api, fields, models
from odoo.exceptions import ValidationError

FRAMEWORKS = [
    ("none", "None"),
    ("bant", "BANT"),
    ("champ", "CHAMP"),
    ("custom", "Custom Criteria"),
]
CRITERION_STATES = [("unknown", "Unknown"), ("met", "Met"), ("not_met", "Not Met")]


class QualificationCriterion(models.Model):
    """One question a lead must answer to qualify: BANT's budget, authority,
    need and timing, CHAMP's challenges, authority, money and prioritization
    (shipped as data), or a type's own criteria."""

    _name = "lead_pipeline.qualification.criterion"
    _description = "Qualification Criterion"
    _order = "framework, sequence, id"

    name = fields.Char(required=True, translate=True)
    description = fields.Text(translate=True, help="What the salesperson checks.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    framework = fields.Selection(
        [f for f in FRAMEWORKS if f[0] != "none"], required=True, default="custom"
    )
    lead_type_id = fields.Many2one("lead_pipeline.lead.type", ondelete="cascade", index=True)

    @api.constrains("framework", "lead_type_id")
    def _check_framework(self):
        for criterion in self:
            if (criterion.framework == "custom") != bool(criterion.lead_type_id):
                raise ValidationError(
                    self.env._(
                        "Criterion %(name)s: custom criteria belong to a lead type; "
                        "BANT and CHAMP criteria to no type.",
                        name=criterion.name,
                    )
                )


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
