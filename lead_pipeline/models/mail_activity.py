from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    lead_pipeline_absent_user_id = fields.Many2one(
        "res.users",
        string="Lent by",
        index="btree_not_null",
        readonly=True,
        help="Given to a substitute while this user is away; back when they return.",
    )
    lead_pipeline_origin_lead_id = fields.Many2one(
        "crm.lead",
        string="Moved from Lead",
        index="btree_not_null",
        readonly=True,
        help="Moved to the customer when this lead was converted; back if the "
        "conversion is undone.",
    )
