from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lead_pipeline_stale_days = fields.Integer(
        string="Stale Lead Days",
        config_parameter="lead_pipeline.stale_days",
        default=14,
        help="An open lead with no status change and no activity for this many "
        "days shows under the Stale filter.",
    )
    lead_pipeline_route_form_leads = fields.Boolean(
        string="Route Leads Typed in the Form",
        config_parameter="lead_pipeline.route_form_leads",
        help="Leads created in the web client go through the routing rules too, "
        "instead of keeping the salesperson the form proposes.",
    )
