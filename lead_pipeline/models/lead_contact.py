from odoo import api, fields, models

from .internal import internal_write, take_flags
from .match_mixin import email_key

# lead contact field -> crm.lead field it mirrors for the primary contact
MIRRORED_FIELDS = {
    "name": "contact_name",
    "email": "email_from",
    "phone": "phone",
    "mobile": "mobile",
    "function": "function",
}


class LeadContact(models.Model):
    """A contact person of a lead, kept with the lead and out of the customer
    base: no ``res.partner`` exists for it until the lead is converted.

    The primary contact mirrors the lead's own contact fields both ways, so
    Odoo's mailing, mail gateway, phone search and duplicate detection keep
    working on the lead.
    """

    _name = "lead_pipeline.lead.contact"
    _inherit = ["lead_pipeline.match.mixin"]
    _description = "Lead Contact Person"
    # no many2one in the order: a lead form reads its contacts without
    # joining the leads (the Contact Persons list orders by lead itself)
    _order = "primary desc, sequence, id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="lead_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    primary = fields.Boolean(
        help="The primary contact is shown on the lead itself (contact name, "
        "e-mail, phone, job position)."
    )
    name = fields.Char(required=True)
    function = fields.Char(string="Job Position")
    email = fields.Char()
    email_normalized = fields.Char(compute="_compute_email_normalized", store=True)
    phone = fields.Char()
    mobile = fields.Char()
    lang = fields.Selection(selection="_lang_get", string="Language")
    comment = fields.Text(string="Notes")

    @api.depends("email", "phone", "mobile", "lead_id.country_id")
    def _compute_match_keys(self):
        for contact in self:
            contact.update(
                contact._match_keys_from(
                    email=contact.email,
                    phone=contact.phone or contact.mobile,
                    country=contact.lead_id.country_id,
                )
            )

    def _lead_contact_leads(self, vals_list):
        """{lead id: lead} of the creation's values, read as the superuser
        (the contacts' own access rules apply to the contacts)."""
        ids = {vals["lead_id"] for vals in vals_list if type(vals.get("lead_id")) is int}
        return {lead.id: lead for lead in self.env["crm.lead"].sudo().browse(ids).exists()}

    def _match_raw_values(self, vals_list):
        leads = self._lead_contact_leads(vals_list)
        return [
            (
                None,
                vals.get("email"),
                vals.get("phone") or vals.get("mobile"),
                None,
                leads[vals["lead_id"]].country_id.id,
            )
            if type(vals.get("lead_id")) is int and vals["lead_id"] in leads
            else None
            for vals in vals_list
        ]

    def _add_precomputed_values(self, vals_list):
        """The normalised e-mail and the lead's company into the INSERT as
        well (see the matching keys')."""
        result = super()._add_precomputed_values(vals_list)
        leads = self._lead_contact_leads(vals_list)
        for vals in vals_list:
            if "match_email" in vals:  # the same normalisation
                vals["email_normalized"] = vals["match_email"]
            lead = leads.get(vals["lead_id"]) if type(vals.get("lead_id")) is int else None
            vals["company_id"] = lead.company_id.id if lead else False
        return result

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    @api.depends("email")
    def _compute_email_normalized(self):
        for contact in self:
            contact.email_normalized = email_key(contact.email)

    @api.model_create_multi
    def create(self, vals_list):
        flags = take_flags(self)
        if not flags:
            self._match_check_not_set(
                {fname for vals in vals_list for fname in vals}
                | {key[8:] for key in self.env.context if key.startswith("default_")}
            )
            self.env["crm.lead"].browse(
                {vals["lead_id"] for vals in vals_list if vals.get("lead_id")}
            )._lead_pipeline_check_open("contacts")
        contacts = super().create(vals_list)
        if not flags.get("mirroring"):
            contacts._ensure_one_primary()
            contacts.filtered("primary")._mirror_to_lead()
        return contacts

    def write(self, vals):
        flags = take_flags(self)
        if not flags:
            self._match_check_not_set(vals)
            self._lead_pipeline_check_open(vals)
        res = super().write(vals)
        if flags.get("mirroring"):
            return res
        if vals.get("primary"):
            self._ensure_one_primary()
        if vals.get("primary") or MIRRORED_FIELDS.keys() & vals.keys():
            self.filtered("primary")._mirror_to_lead()
        return res

    def _ensure_one_primary(self):
        """Exactly one primary contact per lead that has contacts: the newest
        one asked for, else the first one."""
        leads = self.lead_id
        if not leads:
            return
        all_contacts = self.search([("lead_id", "in", leads.ids)])
        demote = self.browse()
        promote = self.browse()
        for lead in leads:
            contacts = all_contacts.filtered(lambda c, lead=lead: c.lead_id == lead)
            primaries = contacts.filtered("primary")
            chosen = (primaries & self)[-1:] or primaries[:1] or contacts[:1]
            demote |= primaries - chosen
            if chosen and not chosen.primary:
                promote |= chosen
        if demote:
            internal_write(demote, {"primary": False}, mirroring=True)
        if promote:
            internal_write(promote, {"primary": True}, mirroring=True)
            promote._mirror_to_lead()

    def _mirror_to_lead(self):
        for contact in self:
            internal_write(contact.lead_id, contact._prepare_lead_values(), mirroring=True)

    def _prepare_lead_values(self):
        self.ensure_one()
        return {
            lead_field: self[contact_field] or False
            for contact_field, lead_field in MIRRORED_FIELDS.items()
        }

    def _lead_pipeline_check_open(self, vals=None):
        """Contact persons of a converted lead are closed with it."""
        leads = self.env["crm.lead"].browse(self.sudo().lead_id.ids)
        if vals and "lead_id" in vals:
            leads |= self.env["crm.lead"].browse(vals["lead_id"])
        leads._lead_pipeline_check_open("contacts")

    def unlink(self):
        self._lead_pipeline_check_open()
        leads = self.filtered("primary").lead_id
        res = super().unlink()
        # the next contact, if any, becomes primary
        remaining = self.search([("lead_id", "in", leads.ids)])
        if remaining:
            remaining._ensure_one_primary()
        return res
