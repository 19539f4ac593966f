from odoo import fields, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    lead_pipeline_origin_lead_id = fields.Many2one(
        "crm.lead",
        string="Copied by the Conversion of",
        index="btree_not_null",
        readonly=True,
        ondelete="set null",
        help="The lead whose conversion copied this attachment onto its customer.",
    )
