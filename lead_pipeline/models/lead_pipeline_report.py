from odoo import fields, models, tools
from odoo.tools import SQL

from .lead_status import CATEGORIES


class LeadPipelineReport(models.Model):
    """One row per lead (archived and disqualified ones included): where it
    came from, where it is, how fast it qualified and converted. A plain
    projection of the leads table, so that pivots stay as fast as Odoo's own
    lead analysis."""

    _name = "lead_pipeline.report"
    _description = "Lead Pipeline Analysis"
    _auto = False
    _order = "create_date desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    lead_type_id = fields.Many2one("lead_pipeline.lead.type", readonly=True)
    market = fields.Selection(
        selection=lambda self: self.env["lead_pipeline.lead.type"]._fields["market"].selection,
        readonly=True,
    )
    relationship = fields.Selection(
        selection=lambda self: (
            self.env["lead_pipeline.lead.type"]._fields["relationship"].selection
        ),
        string="Relationship Sought",
        readonly=True,
    )
    lead_status_id = fields.Many2one("lead_pipeline.status", readonly=True)
    status_category = fields.Selection(CATEGORIES, readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    lost_reason_id = fields.Many2one("crm.lost.reason", string="Disqualification Reason")
    create_date = fields.Datetime("Created On", readonly=True)
    lead_qualified_date = fields.Datetime("Qualified On", readonly=True)
    lead_converted_date = fields.Datetime("Converted On", readonly=True)
    converted = fields.Integer("Converted Leads", readonly=True, aggregator="sum")
    disqualified = fields.Integer("Disqualified Leads", readonly=True, aggregator="sum")
    overdue = fields.Integer("Overdue Leads", readonly=True, aggregator="sum")
    conversion_rate = fields.Float(
        "Conversion Rate (%)", readonly=True, aggregator="avg", digits=(5, 1)
    )
    hours_to_qualify = fields.Float(
        "Hours to Qualify", readonly=True, aggregator="avg", digits=(16, 1)
    )
    hours_to_convert = fields.Float(
        "Hours to Convert", readonly=True, aggregator="avg", digits=(16, 1)
    )
    qualification_score = fields.Float(readonly=True, aggregator="avg", digits=(5, 1))

    def _query(self):
        return SQL(
            """
            SELECT lead.id, lead.id AS lead_id, lead.lead_type_id, lead.lead_status_id,
                   lead.lead_market AS market, lead.lead_relationship AS relationship,
                   lead.lead_status_category AS status_category,
                   lead.source_id, lead.medium_id, lead.campaign_id, lead.user_id,
                   lead.team_id, lead.company_id, lead.country_id, lead.lost_reason_id,
                   lead.create_date, lead.lead_qualified_date, lead.lead_converted_date,
                   (lead.lead_status_category = 'converted')::int AS converted,
                   (lead.lead_status_category = 'disqualified')::int AS disqualified,
                   (lead.lead_deadline < (now() AT TIME ZONE 'UTC')
                    AND lead.lead_status_category IN ('new', 'working', 'qualified'))::int
                       AS overdue,
                   CASE WHEN lead.lead_status_category = 'converted' THEN 100.0 ELSE 0.0 END
                       AS conversion_rate,
                   EXTRACT(EPOCH FROM lead.lead_qualified_date - lead.create_date) / 3600.0
                       AS hours_to_qualify,
                   EXTRACT(EPOCH FROM lead.lead_converted_date - lead.create_date) / 3600.0
                       AS hours_to_convert,
                   lead.lead_qualification_score AS qualification_score
              FROM crm_lead lead
             WHERE lead.lead_type_id IS NOT NULL
            """
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query())
        )
