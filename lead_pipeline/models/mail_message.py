from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    lead_pipeline_origin_lead_id = fields.Many2one(
        "crm.lead",
        string="Written by the Conversion of",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The lead whose conversion wrote this message on its customer.",
    )
