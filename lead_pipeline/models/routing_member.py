from odoo import api, fields, models
from odoo.exceptions import ValidationError


class RoutingMember(models.Model):
    _name = "lead_pipeline.routing.member"
    _description = "Lead Routing Member"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one("lead_pipeline.routing.rule", required=True, ondelete="cascade")
    company_id = fields.Many2one(related="rule_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one("res.users", required=True, domain="[('share', '=', False)]")
    weight = fields.Integer(default=1, help="Round-robin turns per cycle.")
    max_open = fields.Integer("Maximum Open Leads", help="0: no limit.")
    max_daily = fields.Integer("Maximum New Leads per Day", help="0: no limit.")
    paused = fields.Boolean()

    @api.constrains("weight", "max_open", "max_daily")
    def _check_numbers(self):
        for member in self:
            if member.weight < 1 or member.max_open < 0 or member.max_daily < 0:
                raise ValidationError(
                    self.env._(
                        "%(user)s: the weight must be at least 1 and capacities cannot be negative.",
                        user=member.user_id.name,
                    )
                )
