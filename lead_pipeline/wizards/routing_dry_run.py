from ast import literal_eval

from odoo import api, fields, models
from odoo.exceptions import UserError

DRY_RUN_LIMIT = 2000


class RoutingDryRun(models.TransientModel):
    """Where would these leads go under the current rules? Nothing is
    written: no salesperson, no log, no round-robin turn taken."""

    _name = "lead_pipeline.routing.dry.run"
    _description = "Routing Dry Run"

    domain = fields.Char(
        "Leads",
        default="[('type', '=', 'lead')]",
        required=True,
        help="The existing leads to route on paper.",
    )
    include_inactive_rules = fields.Boolean(
        "Include Archived Rules",
        help="Check rules that are not enabled yet, as if they were.",
    )
    line_ids = fields.One2many("lead_pipeline.routing.dry.run.line", "wizard_id", readonly=True)
    summary = fields.Text(readonly=True)

    def action_run(self):
        self.ensure_one()
        Lead = self.env["crm.lead"]
        try:
            domain = literal_eval(self.domain or "[]")
            leads = Lead.search(domain, limit=DRY_RUN_LIMIT + 1)
        except Exception as error:
            raise UserError(
                self.env._("The leads to check are not a valid domain: %(error)s", error=error)
            ) from error
        if len(leads) > DRY_RUN_LIMIT:
            raise UserError(
                self.env._(
                    "A dry run checks at most %(limit)s leads: narrow the domain.",
                    limit=DRY_RUN_LIMIT,
                )
            )
        plan = leads._lead_pipeline_routing_plan(
            "create", force=True, dry_run=True, inactive_rules=self.include_inactive_rules
        )
        placed = {lead.id: (rule, user, explanation) for lead, rule, user, explanation in plan}
        lines = [(5, 0, 0)]
        for lead in leads:
            rule, user, explanation = placed.get(lead.id, (None, None, None))
            lines.append(
                (
                    0,
                    0,
                    {
                        "lead_id": lead.id,
                        "current_user_id": lead.user_id.id,
                        "rule_id": rule.id if rule else False,
                        "user_id": user.id if user else False,
                        "explanation": explanation or self.env._("No rule takes this lead."),
                    },
                )
            )
        self.write(
            {
                "line_ids": lines,
                "summary": self.env._(
                    "%(placed)s of %(total)s leads would be routed.",
                    placed=len([1 for *_rest, user, _e in plan if user]),
                    total=len(leads),
                ),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Routing Dry Run"),
        }

    @api.model
    def action_open(self):
        return self.env["ir.actions.act_window"]._for_xml_id("lead_pipeline.routing_dry_run_action")


class RoutingDryRunLine(models.TransientModel):
    _name = "lead_pipeline.routing.dry.run.line"
    _description = "Routing Dry Run Line"

    wizard_id = fields.Many2one("lead_pipeline.routing.dry.run", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", readonly=True)
    current_user_id = fields.Many2one("res.users", string="Salesperson Now", readonly=True)
    rule_id = fields.Many2one("lead_pipeline.routing.rule", readonly=True)
    user_id = fields.Many2one("res.users", string="Would Go To", readonly=True)
    explanation = fields.Text(readonly=True)
