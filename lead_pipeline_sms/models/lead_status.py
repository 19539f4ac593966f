from odoo import fields, models


class LeadStatus(models.Model):
    _inherit = "lead_pipeline.status"

    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS on Entry",
        domain="[('model', '=', 'crm.lead')]",
        help="Sent to the lead's mobile or phone when it enters this status, through "
        "the SMS queue; blacklisted numbers are skipped.",
    )
