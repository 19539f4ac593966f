from odoo import fields, models


class StatusHistory(models.Model):
    """One row per status change of a lead, with the time spent in the status
    it left: the basis of 'time in status' reporting."""

    _name = "lead_pipeline.status.history"
    _description = "Lead Status History"
    _order = "date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)
    lead_type_id = fields.Many2one("lead_pipeline.lead.type")
    from_status_id = fields.Many2one("lead_pipeline.status", string="From", ondelete="restrict")
    to_status_id = fields.Many2one("lead_pipeline.status", string="To", ondelete="restrict")
    to_status_category = fields.Selection(
        related="to_status_id.category", store=True, string="Category"
    )
    user_id = fields.Many2one("res.users", string="Changed By", default=lambda self: self.env.user)
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    duration_hours = fields.Float(
        string="Hours in Previous Status",
        digits=(16, 2),
        aggregator="avg",
        help="Time the lead spent in the status it left.",
    )
