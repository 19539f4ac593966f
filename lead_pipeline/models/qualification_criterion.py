from odoo import api, fields, models
from odoo.exceptions import ValidationError

FRAMEWORKS = [
    ("none", "None"),
    ("bant", "BANT"),
    ("champ", "CHAMP"),
    ("custom", "Custom Criteria"),
]


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

    @api.model_create_multi
    def create(self, vals_list):
        criteria = super().create(vals_list)
        lead_types = self.env["lead_pipeline.lead.type"].search(
            [
                "|",
                ("id", "in", criteria.lead_type_id.ids),
                ("qualification_framework", "in", criteria.mapped("framework")),
            ]
        )
        lead_types._qualification_sync_leads()
        return criteria

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
