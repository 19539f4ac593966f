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
