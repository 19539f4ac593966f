from odoo import api, fields, models
from odoo.exceptions import UserError

from .internal import take_flags


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
    lead_pipeline_market = fields.Selection(
        related="lead_pipeline_origin_lead_id.lead_market",
        string="Market",
        store=True,
        readonly=True,
        help="The market of the lead this customer was converted from.",
    )
    lead_pipeline_relationship = fields.Selection(
        related="lead_pipeline_origin_lead_id.lead_relationship",
        string="Relationship Sought",
        store=True,
        readonly=True,
        help="The relationship sought by the lead this customer was converted from.",
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

    @api.model_create_multi
    def create(self, vals_list):
        if not take_flags(self).get("bookkeeping"):
            self._lead_pipeline_check_origin(
                {fname for vals in vals_list for fname in vals}
                | {key[8:] for key in self.env.context if key.startswith("default_")}
            )
        return super().create(vals_list)

    def write(self, vals):
        if not take_flags(self).get("bookkeeping"):
            self._lead_pipeline_check_origin(set(vals))
        return super().write(vals)

    @api.model
    def _lead_pipeline_check_origin(self, fnames):
        """The origin lead is the conversion's record of what it created
        (undoing it deletes only those): no client sets it."""
        if "lead_pipeline_origin_lead_id" in fnames:
            raise UserError(
                self.env._(
                    "The origin lead of a customer is set by the conversion only: %(field)s.",
                    field=self._fields["lead_pipeline_origin_lead_id"].string,
                )
            )
