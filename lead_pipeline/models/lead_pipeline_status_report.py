from odoo import fields, models, tools
from odoo.tools import SQL


class LeadPipelineStatusReport(models.Model):
    """Time in status and the funnel, from the status history: a row per
    completed stay in a status (its hours), and a row per entry into a status
    (the lead's first status included) for the funnel."""

    _name = "lead_pipeline.status.report"
    _description = "Lead Pipeline Time in Status"
    _auto = False
    _order = "date desc"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    lead_type_id = fields.Many2one("lead_pipeline.lead.type", readonly=True)
    status_id = fields.Many2one("lead_pipeline.status", readonly=True)
    status_sequence = fields.Integer(readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    date = fields.Datetime(readonly=True)
    hours_in_status = fields.Float(readonly=True, aggregator="avg", digits=(16, 1))
    entered = fields.Integer("Leads Entered", readonly=True, aggregator="sum")

    def _query(self):
        return SQL(
            """
            SELECT row_number() OVER () AS id, rows.*
              FROM (
                -- a completed stay: the status the lead left, and for how long
                SELECT history.lead_id, lead.lead_type_id, history.from_status_id AS status_id,
                       status.sequence AS status_sequence, lead.user_id, lead.team_id,
                       lead.company_id, history.date, history.duration_hours AS hours_in_status,
                       0 AS entered
                  FROM lead_pipeline_status_history history
                  JOIN crm_lead lead ON lead.id = history.lead_id
                  JOIN lead_pipeline_status status ON status.id = history.from_status_id
                UNION ALL
                -- an entry into a status by a move
                SELECT history.lead_id, lead.lead_type_id, history.to_status_id,
                       status.sequence, lead.user_id, lead.team_id, lead.company_id,
                       history.date, NULL, 1
                  FROM lead_pipeline_status_history history
                  JOIN crm_lead lead ON lead.id = history.lead_id
                  JOIN lead_pipeline_status status ON status.id = history.to_status_id
                UNION ALL
                -- the first status of every lead, entered at creation
                SELECT lead.id, lead.lead_type_id,
                       COALESCE(first.from_status_id, lead.lead_status_id),
                       status.sequence, lead.user_id, lead.team_id, lead.company_id,
                       lead.create_date, NULL, 1
                  FROM crm_lead lead
                  LEFT JOIN LATERAL (
                      SELECT history.from_status_id
                        FROM lead_pipeline_status_history history
                       WHERE history.lead_id = lead.id
                       ORDER BY history.date, history.id
                       LIMIT 1
                  ) first ON TRUE
                  JOIN lead_pipeline_status status
                    ON status.id = COALESCE(first.from_status_id, lead.lead_status_id)
                 WHERE lead.lead_type_id IS NOT NULL
              ) rows
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )
