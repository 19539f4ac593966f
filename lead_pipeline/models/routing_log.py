from odoo import fields, models
from odoo.tools import SQL

from .routing_rule import STRATEGIES


class RoutingLog(models.Model):
    """Why each lead went where it went."""

    _name = "lead_pipeline.routing.log"
    _description = "Lead Routing Log"
    _order = "date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)
    rule_id = fields.Many2one("lead_pipeline.routing.rule", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Salesperson")
    team_id = fields.Many2one("crm.team")
    strategy = fields.Selection(STRATEGIES)
    explanation = fields.Text()
    date = fields.Datetime(default=fields.Datetime.now, required=True)

    def _log_plan(self, plan, teams, date):
        """Log a routing plan, [(lead, rule, user, explanation)], with the team
        each lead got: one INSERT for the whole batch, as routing writes
        thousands of lines at once and nothing else reacts to a new line."""
        if not plan:
            return
        columns = list(zip(*plan, strict=True))
        # the stored related company is filled here, as the INSERT bypasses the ORM
        self.env["crm.lead"].flush_model(["company_id"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO lead_pipeline_routing_log (
                    lead_id, company_id, rule_id, user_id, team_id, strategy, explanation,
                    date, create_uid, write_uid, create_date, write_date
                )
                SELECT line.lead_id, lead.company_id, line.rule_id, NULLIF(line.user_id, 0),
                       NULLIF(line.team_id, 0), line.strategy, line.explanation,
                       %(date)s, %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM unnest(%(leads)s::int[], %(rules)s::int[], %(users)s::int[],
                              %(teams)s::int[], %(strategies)s::varchar[],
                              %(explanations)s::text[])
                    AS line(lead_id, rule_id, user_id, team_id, strategy, explanation)
                  JOIN crm_lead lead ON lead.id = line.lead_id
                """,
                date=date,
                uid=self.env.uid,
                now=fields.Datetime.now(),
                leads=[lead.id for lead in columns[0]],
                rules=[rule.id for rule in columns[1]],
                users=[user.id or 0 for user in columns[2]],
                teams=[team.id if team else 0 for team in teams],
                strategies=[rule.strategy for rule in columns[1]],
                explanations=list(columns[3]),
            )
        )
        self.env["crm.lead"].browse([lead.id for lead in columns[0]]).invalidate_recordset(
            ["lead_routing_log_ids"]
        )
