from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.internal import intake_channel


class QuickEntry(models.TransientModel):
    """Business card or trade-fair quick entry: a lead and its contact person
    in one step, with the same intake checks as any other channel; a person
    who asks for an offer right away can go straight into the customer base."""

    _name = "lead_pipeline.quick.entry"
    _description = "Lead Quick Entry"

    lead_type_id = fields.Many2one(
        "lead_pipeline.lead.type",
        required=True,
        default=lambda self: self.env["lead_pipeline.lead.type"]._get_default_type(),
    )
    partner_name = fields.Char("Company")
    vat = fields.Char("Tax ID")
    contact_name = fields.Char("Person")
    function = fields.Char("Job Position")
    email = fields.Char()
    phone = fields.Char()
    mobile = fields.Char()
    website = fields.Char()
    city = fields.Char()
    country_id = fields.Many2one("res.country")
    source_id = fields.Many2one(
        "utm.source",
        default=lambda self: self.env.ref(
            "lead_pipeline.utm_source_business_card", raise_if_not_found=False
        ),
    )
    tag_ids = fields.Many2many("crm.tag")
    note = fields.Text()
    as_customer = fields.Boolean(
        "Asks for an Offer Now",
        help="Enter the person (and company) straight as a customer instead of a lead.",
    )

    @api.model
    def _check_values(self, entries):
        for entry in entries:
            if not entry.partner_name and not entry.contact_name:
                raise UserError(self.env._("Fill in a company, a person or both."))
            if not (entry.email or entry.phone or entry.mobile):
                raise UserError(
                    self.env._("Fill in an e-mail address or a phone number to reach them.")
                )

    def _prepare_lead_values(self):
        self.ensure_one()
        return {
            "type": "lead",
            "name": self.partner_name or self.contact_name,
            "lead_type_id": self.lead_type_id.id,
            "partner_name": self.partner_name,
            "vat": self.vat,
            "contact_name": self.contact_name,
            "function": self.function,
            "email_from": self.email,
            "phone": self.phone,
            "mobile": self.mobile,
            "website": self.website,
            "city": self.city,
            "country_id": self.country_id.id,
            "source_id": self.source_id.id,
            "tag_ids": [(6, 0, self.tag_ids.ids)],
            "description": self.note,
        }

    def action_create(self):
        self._check_values(self)
        if any(self.mapped("as_customer")):
            return self._create_customers()
        with intake_channel("api"):
            leads = self.env["crm.lead"].create([entry._prepare_lead_values() for entry in self])
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": leads[:1].id,
            "view_mode": "form",
        }

    def _create_customers(self):
        """Straight into the customer base, through the same matching as
        conversion: an existing company or person is used, not duplicated."""
        self.ensure_one()
        Partner = self.env["res.partner"]
        Matcher = self.env["lead_pipeline.matcher"]
        company, company_found = Partner, False
        if self.partner_name:
            keys = Partner._match_keys_from(
                vat=self.vat, company_name=self.partner_name, country=self.country_id
            )
            match = Matcher._find_partners(
                [{key[6:]: value or None for key, value in keys.items()}], companies_only=True
            )[0]
            company = match[2][0] if match else Partner
            company_found = bool(company)
            if not company:
                company = Partner.create(
                    {
                        "name": self.partner_name,
                        "is_company": True,
                        "vat": self.vat,
                        "website": self.website,
                        "city": self.city,
                        "country_id": self.country_id.id,
                        "user_id": self.env.uid,
                    }
                )
        customer = company
        if self.contact_name:
            keys = Partner._match_keys_from(
                email=self.email, phone=self.phone or self.mobile, country=self.country_id
            )
            match = Matcher._find_partners(
                [{key[6:]: value or None for key, value in keys.items()}],
                key_types=("email", "phone"),
            )[0]
            customer = match[2][0] if match else Partner
            if not customer:
                customer = Partner.create(
                    {
                        "name": self.contact_name,
                        "parent_id": company.id,
                        "function": self.function,
                        "email": self.email,
                        "phone": self.phone,
                        "mobile": self.mobile,
                        "city": self.city,
                        "country_id": self.country_id.id,
                        "user_id": self.env.uid,
                    }
                )
        elif company and not company_found:
            company.write({"email": self.email, "phone": self.phone, "mobile": self.mobile})
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": customer.id,
            "view_mode": "form",
        }
