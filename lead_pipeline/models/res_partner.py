from odoo import api, fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "lead_pipeline.match.mixin"]

    lead_pipeline_origin_lead_id = fields.Many2one(
        "crm.lead",
        string="Origin Lead",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="The lead this customer was converted from: its request, notes, "
        "history, source, medium and campaign.",
    )

    @api.depends("vat", "email", "phone", "mobile", "name", "is_company", "country_id")
    def _compute_match_keys(self):
        for partner in self:
            partner.update(
                partner._match_keys_from(
                    vat=partner.vat,
                    email=partner.email,
                    phone=partner.phone or partner.mobile,
                    company_name=partner.name if partner.is_company else None,
                    country=partner.country_id,
                )
            )
