from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..logic.matching import group_rows
from ..models.internal import intake_channel

#: how the person reached us -> (the intake door, the lead source's xml id suffix)
ENTRY_CHANNELS = {
    "business_card": ("api", "business_card"),
    "phone": ("phone", "phone_call"),
}
#: the priority of the opportunity a hot prospect starts with (Very High)
HOT_PRIORITY = "3"


class QuickEntry(models.TransientModel):
    """Business card, trade-fair or phone call quick entry: a lead and its
    contact person in one step, with the same intake checks as any other
    channel; a person who asks for an offer right away goes straight into the
    customer base, marked as a hot prospect, with an opportunity routed to a
    salesperson."""

    _name = "lead_pipeline.quick.entry"
    _description = "Lead Quick Entry"

    lead_type_id = fields.Many2one(
        "lead_pipeline.lead.type",
        required=True,
        default=lambda self: self.env["lead_pipeline.lead.type"]._get_default_type(),
    )
    entry_channel = fields.Selection(
        [("business_card", "Business Card or Trade Fair"), ("phone", "Phone Call")],
        string="Contact Started By",
        required=True,
        default="business_card",
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
        compute="_compute_source_id",
        store=True,
        readonly=False,
        precompute=True,
        help="By default, the source of how the contact started.",
    )
    tag_ids = fields.Many2many("crm.tag")
    note = fields.Text()
    as_customer = fields.Boolean(
        "Asks for an Offer Now",
        help="Enter the person (and company) straight as a customer marked as a hot "
        "prospect, with an opportunity of high priority routed to a salesperson.",
    )

    @api.depends("entry_channel")
    def _compute_source_id(self):
        sources = {
            channel: self.env.ref(f"lead_pipeline.utm_source_{key}", raise_if_not_found=False)
            for channel, (_door, key) in ENTRY_CHANNELS.items()
        }
        for entry in self:
            entry.source_id = sources.get(entry.entry_channel) or False

    @api.model
    def _check_values(self, entries):
        for entry in entries:
            if not entry._named("partner_name") and not entry._named("contact_name"):
                raise UserError(self.env._("Fill in a company, a person or both."))
            if not (entry.email or entry.phone or entry.mobile):
                raise UserError(
                    self.env._("Fill in an e-mail address or a phone number to reach them.")
                )
            if entry.email and not email_normalize(entry.email, strict=False):
                raise UserError(
                    self.env._("%(email)s is not a valid e-mail address", email=entry.email)
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

    def _by_door(self):
        """{intake door: entries}: the door is named by this code, never by
        what a client sends."""
        doors = {}
        for entry in self:
            door = ENTRY_CHANNELS[entry.entry_channel][0]
            doors[door] = doors.get(door, self.browse()) | entry
        return doors

    def action_create(self):
        self._check_values(self)
        customers = self.filtered("as_customer")
        if customers:
            partners = customers._create_customers()
            (self - customers)._create_leads()
            return self._action_open("res.partner", partners)
        return self._action_open("crm.lead", self._create_leads())

    def _create_leads(self):
        leads = self.env["crm.lead"]
        for door, entries in self._by_door().items():
            with intake_channel(door):
                leads |= self.env["crm.lead"].create(
                    [entry._prepare_lead_values() for entry in entries]
                )
        return leads

    @api.model
    def _action_open(self, model, records):
        if len(records) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": model,
                "res_id": records.id,
                "view_mode": "form",
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "domain": [("id", "in", records.ids)],
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
        }

    # ------------------------------------------------------------
    # STRAIGHT INTO THE CUSTOMER BASE
    # ------------------------------------------------------------

    def _create_customers(self):
        """Straight into the customer base, through the same matching as
        conversion (an existing company or person is used, not duplicated;
        entries of one batch for the same company or person give one),
        marked as hot prospects, each with an opportunity of high priority
        routed by the routing rules and an activity for its salesperson.
        Returns the customers, in the order of the entries; the whole batch
        costs a constant number of queries."""
        Partner = self.env["res.partner"]
        entries = list(self)
        tag = self.env.ref("lead_pipeline.res_partner_category_hot_prospect")
        companies, new_companies = self._find_or_create(
            entries, "company", [Partner] * len(entries), tag
        )
        # what Odoo copies from each company to its new contacts, read once
        # for all instead of once per company
        Partner.union(*companies).sudo().fetch(list(Partner._commercial_fields()))
        customers, new_persons = self._find_or_create(entries, "person", companies, tag)
        created = new_companies | new_persons
        existing = Partner.union(*customers) - created
        marked = (existing | existing.commercial_partner_id) - created
        if marked:
            marked.write({"category_id": [(4, tag.id)]})
        opportunities = self._create_opportunities(customers).sudo()
        # the salesperson the routing chose looks after the new customers too
        by_user = {}
        for company, customer, opportunity in zip(companies, customers, opportunities, strict=True):
            for partner in (company | customer) & created:
                by_user.setdefault(opportunity.user_id.id, set()).add(partner.id)
        for user_id, partner_ids in by_user.items():
            if user_id:
                # as routing: no "you have been assigned" e-mail per customer
                Partner.browse(partner_ids).with_context(mail_auto_subscribe_no_notify=True).write(
                    {"user_id": user_id}
                )
        # no assignment e-mail per activity (hundreds for a batch): as routing,
        # the activity shows in the salesperson's activities at once
        opportunities.with_context(
            mail_activity_quick_update=True
        )._lead_pipeline_schedule_owner_activity(
            self.env._("Send an offer"),
            notes={
                opportunity.id: [entry.note]
                for entry, opportunity in zip(entries, opportunities, strict=True)
                if entry.note
            },
        )
        return Partner.union(*customers)

    def _find_or_create(self, entries, kind, companies, tag):
        """The company (``kind`` company) or person of each entry that names
        one, else what ``companies`` holds for it: the existing partner the
        matching engine finds, else one created for the entries of the batch
        that share a key. Returns (partner per entry, partners created)."""
        Partner = self.env["res.partner"]
        if kind == "company":
            rows = [index for index, entry in enumerate(entries) if entry._named("partner_name")]
            keys = [entries[index]._company_keys() for index in rows]
            found = self.env["lead_pipeline.matcher"]._find_partners(keys, companies_only=True)
        else:
            rows = [index for index, entry in enumerate(entries) if entry._named("contact_name")]
            keys = [entries[index]._person_keys() for index in rows]
            found = self.env["lead_pipeline.matcher"]._find_partners(
                keys, key_types=("email", "phone")
            )
        groups = group_rows(keys)
        existing = {}
        for position, match in enumerate(found):
            if match:
                existing.setdefault(groups[position], match[2][0])
        to_create = {}
        for position, index in enumerate(rows):
            group = groups[position]
            if group not in existing and group not in to_create:
                entry = entries[index]
                values = (
                    entry._prepare_company_values()
                    if kind == "company"
                    else entry._prepare_person_values(companies[index])
                )
                to_create[group] = {**values, "category_id": [(4, tag.id)]}
        created = Partner.create(list(to_create.values())) if to_create else Partner
        by_group = {**existing, **dict(zip(to_create, created, strict=True))}
        result = list(companies)
        for position, index in enumerate(rows):
            result[index] = by_group[groups[position]]
        return result, created

    def _named(self, fname):
        return bool((self[fname] or "").strip())

    def _keys(self, **values):
        keys = self.env["res.partner"]._match_keys_from(country=self.country_id, **values)
        return {key[6:]: value or None for key, value in keys.items()}

    def _company_keys(self):
        return self._keys(vat=self.vat, company_name=self.partner_name)

    def _person_keys(self):
        keys = self._keys(email=self.email, phone=self.phone or self.mobile)
        return {"email": keys["email"], "phone": keys["phone"]}

    def _prepare_company_values(self):
        self.ensure_one()
        values = {
            "name": self.partner_name.strip(),
            "is_company": True,
            "vat": self.vat,
            "website": self.website,
            "city": self.city,
            "country_id": self.country_id.id,
        }
        if not self._named("contact_name"):
            values.update(email=self.email, phone=self.phone, mobile=self.mobile)
        return values

    def _prepare_person_values(self, company):
        self.ensure_one()
        return {
            "name": self.contact_name.strip(),
            "parent_id": company.id,
            "function": self.function,
            "email": self.email,
            "phone": self.phone,
            "mobile": self.mobile,
            "city": self.city,
            "country_id": self.country_id.id,
        }

    def _prepare_opportunity_values(self, customer):
        """The opportunity a hot prospect starts with; no salesperson named,
        so that the routing rules choose one."""
        self.ensure_one()
        return {
            "type": "opportunity",
            "name": self.env._("Offer for %(customer)s", customer=customer.display_name),
            "partner_id": customer.id,
            "priority": HOT_PRIORITY,
            "lead_type_id": self.lead_type_id.id,
            "source_id": self.source_id.id,
            "tag_ids": [(6, 0, self.tag_ids.ids)],
            "description": self.note,
        }

    def _create_opportunities(self, customers):
        """One create per door, then one routing of the whole batch, as any
        new business: the rules choose the salesperson and the team."""
        Lead = self.env["crm.lead"]
        customer_of = dict(zip(self.ids, customers, strict=True))
        opportunities = {}
        for door, entries in self._by_door().items():
            with intake_channel(door):
                created = Lead.create(
                    [entry._prepare_opportunity_values(customer_of[entry.id]) for entry in entries]
                )
            opportunities.update(zip(entries.ids, created.ids, strict=True))
        opportunities = Lead.browse([opportunities[entry_id] for entry_id in self.ids])
        # with Odoo's Leads setting off, intake routed them already at create
        if (
            "opportunity" not in Lead._lead_pipeline_intake_types()
            and Lead.env["lead_pipeline.routing.rule"]._active_rule_ids()
        ):
            opportunities._lead_pipeline_route("create", force=True, types=("opportunity",))
        return opportunities
