from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from .internal import internal_create, take_flags


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

    def _match_raw_values(self, vals_list):
        return [
            (
                vals.get("vat"),
                vals.get("email"),
                vals.get("phone") or vals.get("mobile"),
                vals.get("name") if vals.get("is_company") else None,
                vals.get("country_id"),
            )
            for vals in vals_list
        ]

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
        (undoing it deletes only those): no client sets it, nor the matching
        keys."""
        self._match_check_not_set(fnames)
        if "lead_pipeline_origin_lead_id" in fnames:
            raise UserError(
                self.env._(
                    "The origin lead of a customer is set by the conversion only: %(field)s.",
                    field=self._fields["lead_pipeline_origin_lead_id"].string,
                )
            )

    @api.model
    def _lead_pipeline_create_synced(self, vals_list, **flags):
        """Create partners as Odoo's ``create`` does, each contact synced with
        its company (``_fields_sync``: commercial fields, address, language),
        but in batch: what the sync would write goes into the creation's
        values where the user may set it, as Odoo's own import batches the
        sync (``_load_records_create``); the rest, and the company-dependent
        commercial fields of other companies, is written as the superuser
        (as the sync writes it), once per distinct set of values rather than
        once per contact. ``flags`` as :func:`internal_create` takes them."""
        commercial, address = self._commercial_fields(), self._address_fields()
        default_type = self.default_get(["type"]).get("type")
        # the sync reads the company as the superuser (some commercial fields
        # are for accountants only), for all parents at once
        parents = self.sudo().browse(
            {vals["parent_id"] for vals in vals_list if vals.get("parent_id")}
        )
        parents.commercial_partner_id.fetch(commercial)
        parents.fetch([*address, "lang"])
        synced, sudo_synced = [], []
        for vals in vals_list:
            parent = parents.browse(vals.get("parent_id") or [])
            sudo_values = {}
            if parent:
                # what _fields_sync writes after creating, over the given values
                vals = dict(vals)
                sync = {}
                if not vals.get("is_company"):
                    sync.update(parent.commercial_partner_id._update_fields_values(commercial))
                if vals.get("type", default_type) == "contact" and any(
                    parent[fname] for fname in address
                ):
                    sync.update(parent._update_fields_values(address))
                for fname, value in sync.items():
                    if self._fields[fname].is_accessible(self.env):
                        vals[fname] = value
                    else:
                        sudo_values[fname] = value
                if "lang" not in vals and parent.lang:
                    # else the creation's default, as Odoo's sync falls back to
                    vals["lang"] = parent.lang
            synced.append(vals)
            sudo_synced.append(sudo_values)
        partners = internal_create(
            self.with_context(_partners_skip_fields_sync=True), synced, **flags
        ).with_env(self.env)
        _write_by_values(self.sudo(), zip(partners.ids, sudo_synced, strict=True))
        contacts = partners.filtered(
            lambda partner: partner.parent_id and partner.commercial_partner_id != partner
        )
        if contacts:
            self._lead_pipeline_sync_other_companies(contacts)
        # the rest of Odoo's sync, as its import does it
        for partner, vals in zip(partners, synced, strict=True):
            partner._children_sync(vals)
            partner._handle_first_contact_creation()
        return partners

    @api.model
    def _lead_pipeline_sync_other_companies(self, contacts):
        """Odoo's ``_company_dependent_commercial_sync`` for new ``contacts``:
        in every other company, the company-dependent commercial fields of
        their commercial partner, written as the superuser once per distinct
        set of values."""
        fnames = self._company_dependent_commercial_fields()
        if not fnames:
            return
        others = self.env["res.company"].sudo().search([("id", "!=", self.env.company.id)])
        for company in others:
            in_company = contacts.sudo().with_company(company)
            _write_by_values(
                in_company,
                (
                    (contact.id, contact.commercial_partner_id._update_fields_values(fnames))
                    for contact in in_company
                ),
            )


def _write_by_values(model, values_by_id):
    """Write ``(record id, values)`` pairs on ``model``'s records: one write
    per distinct set of values, not one per record."""
    groups = defaultdict(list)
    for record_id, values in values_by_id:
        if values:
            groups[repr(sorted(values.items()))].append((record_id, values))
    for items in groups.values():
        model.browse([record_id for record_id, _values in items]).write(items[0][1])
