from odoo import fields, models

from .routing_rule import STRATEGIES


class RoutingLog(models.Model):
    """Why each lead went where it went."""

    _name = "lead_pipeline.routing.log"
    _description = "Lead Routing Log"
    _order = "date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    rule_id = fields.Many2one("lead_pipeline.routing.rule", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Salesperson")
    team_id = fields.Many2one("crm.team")
    strategy = fields.Selection(STRATEGIES)
    explanation = fields.Text()
    date = fields.Datetime(default=fields.Datetime.now, required=True)
