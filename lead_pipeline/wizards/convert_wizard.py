from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import parse_contact_from_email

from ..logic.matching import group_rows

COMPANY_ACTIONS = [
    ("create", "Create a new company"),
    ("link", "Link an existing company"),
    ("none", "No company (a person)"),
]
CONTACT_ACTIONS = [("create", "Create a new contact"), ("link", "Link an existing contact")]


class ConvertWizard(models.TransientModel):
    """Turns qualified leads into a customer company and its contacts (and,
    when wanted, an opportunity), finding existing customers on the matching
    engine's keys instead of duplicating them: exactly once, all or nothing."""

    _name = "lead_pipeline.convert.wizard"
    _description = "Convert Leads to Customers"

    line_ids = fields.One2many("lead_pipeline.convert.wizard.line", "wizard_id", string="Leads")
    contact_line_ids = fields.One2many(
        "lead_pipeline.convert.wizard.contact", "wizard_id", string="Contacts"
    )
    create_opportunity = fields.Boolean(
        help="The lead itself goes on as an opportunity in the pipeline, with its "
        "chatter, attachments and activities."
    )
    team_id = fields.Many2one("crm.team", string="Sales Team")
    user_id = fields.Many2one("res.users", string="Salesperson", domain="[('share', '=', False)]")
    enforce_status = fields.Boolean(
        default=True,
        help="Refuse leads whose status does not allow conversion. Odoo's own "
        "Convert to Opportunity wizards convert from any status.",
    )
    link_customers = fields.Boolean(
        default=True, help="Create or link customers; off when converting without a customer."
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") != "crm.lead":
            return values
        leads = self.env["crm.lead"].browse(self.env.context.get("active_ids", []))
        values.update(self._prepare_proposal(leads))
        return values

    @api.model
    def _prepare_proposal(self, leads):
        """One line per lead with the proposed company, one per contact person
        with the proposed contact, each with the reason of its match."""
        leads = leads.filtered(lambda lead: lead.type == "lead")
        Matcher = self.env["lead_pipeline.matcher"]
        company_leads = leads.filtered("partner_name")
        company_matches = Matcher._find_partners(company_leads._match_keys(), companies_only=True)
        by_lead = dict(zip(company_leads.ids, company_matches, strict=True))
        lines = []
        for lead in leads:
            match = by_lead.get(lead.id)
            if lead.partner_id:
                # already linked to someone in the base: that is the customer
                commercial = lead.partner_id.commercial_partner_id
                lines.append(
                    {
                        "lead_id": lead.id,
                        "company_action": "link" if commercial.is_company else "none",
                        "partner_id": commercial.id if commercial.is_company else False,
                        "customer_id": lead.partner_id.id,
                        "match_reason": self.env._(
                            "%(partner)s: the lead's customer", partner=lead.partner_id.display_name
                        ),
                    }
                )
            elif match:
                key_type, _value, partners = match
                lines.append(
                    {
                        "lead_id": lead.id,
                        "company_action": "link",
                        "partner_id": partners[0].id,
                        "match_reason": Matcher._reason(key_type, partners[0]),
                    }
                )
            else:
                lines.append(
                    {
                        "lead_id": lead.id,
                        "company_action": "create" if lead.partner_name else "none",
                    }
                )
        contacts = leads.filtered(lambda lead: not lead.partner_id).lead_contact_ids
        contact_matches = Matcher._find_partners(
            contacts._match_keys(), key_types=("email", "phone")
        )
        contact_lines = []
        for contact, match in zip(contacts, contact_matches, strict=True):
            values = {"lead_id": contact.lead_id.id, "lead_contact_id": contact.id}
            if match:
                key_type, _value, partners = match
                values.update(
                    action="link",
                    partner_id=partners[0].id,
                    match_reason=Matcher._reason(key_type, partners[0]),
                )
            contact_lines.append(values)
        return {
            "line_ids": [(0, 0, line) for line in lines],
            "contact_line_ids": [(0, 0, line) for line in contact_lines],
        }

    def action_convert(self):
        self.ensure_one()
        leads = self.line_ids.lead_id
        if not leads:
            raise UserError(self.env._("There is no lead to convert."))
        with self.env.cr.savepoint():
            leads._lead_pipeline_lock_for_conversion()
            self._check_lines()
            leads = self._convert()
        if len(leads) == 1:
            if self.create_opportunity:
                return leads.redirect_lead_opportunity_view()
            return {
                "type": "ir.actions.act_window",
                "res_model": "res.partner",
                "res_id": leads.partner_id.commercial_partner_id.id,
                "view_mode": "form",
            }
        return {"type": "ir.actions.act_window_close"}

    @api.model
    def _convert_from_native(self, leads, action, partner):
        """Odoo's own Convert to Opportunity wizards take this same path
        (matching, lock, history, status); they go on with their own
        opportunity conversion and salesman assignment afterwards."""
        values = {"enforce_status": False, "link_customers": action != "nothing"}
        if action != "nothing":
            values.update(self._prepare_proposal(leads))
        if action == "exist" and partner:
            commercial = partner.commercial_partner_id
            for _command, _id, line in values["line_ids"]:
                line.update(
                    company_action="link" if commercial.is_company else "none",
                    partner_id=commercial.id if commercial.is_company else False,
                    customer_id=partner.id,
                    match_reason=self.env._("%(partner)s: chosen", partner=partner.display_name),
                )
            values["contact_line_ids"] = [
                command
                for command in values["contact_line_ids"]
                if not partner or command[2].get("partner_id") != partner.id
            ]
        if action == "nothing":
            values["line_ids"] = [
                (0, 0, {"lead_id": lead.id, "company_action": "none"}) for lead in leads
            ]
        wizard = self.create(values)
        with self.env.cr.savepoint():
            leads._lead_pipeline_lock_for_conversion()
            wizard._check_lines()
            wizard._convert()
        return leads

    def _check_lines(self):
        errors = []
        for line in self.line_ids:
            lead = line.lead_id
            if not self.link_customers:
                continue
            if self.enforce_status and not lead.lead_can_convert:
                errors.append(
                    self.env._(
                        "%(lead)s is not in a status that allows conversion (%(status)s).",
                        lead=lead.display_name,
                        status=lead.lead_status_id.name or "-",
                    )
                )
            if line.company_action == "create" and not lead.partner_name:
                errors.append(
                    self.env._(
                        "%(lead)s has no company name: fill it in or convert it as a person.",
                        lead=lead.display_name,
                    )
                )
            if line.company_action == "link" and not line.partner_id:
                errors.append(
                    self.env._("%(lead)s: choose the company to link.", lead=lead.display_name)
                )
            contact_lines = self.contact_line_ids.filtered(lambda c, lead=lead: c.lead_id == lead)
            if (
                self.enforce_status  # Odoo's wizards name the customer as best they can
                and line.company_action == "none"
                and not contact_lines
                and not lead.contact_name
                and not line.customer_id
            ):
                errors.append(
                    self.env._(
                        "%(lead)s names neither a company nor a person: fill in a contact "
                        "name or a company name.",
                        lead=lead.display_name,
                    )
                )
        for contact_line in self.contact_line_ids.filtered(
            lambda c: c.action == "link" and not c.partner_id
        ):
            errors.append(
                self.env._(
                    "%(contact)s: choose the contact to link.",
                    contact=contact_line.lead_contact_id.name,
                )
            )
        if errors:
            raise ValidationError("\n".join(errors))

    def _convert(self):
        """Create or link companies, then contacts, then close the leads."""
        Partner = self.env["res.partner"]
        leads = self.line_ids.lead_id
        # companies: leads of one company within the batch give one company
        create_lines = self.line_ids.filtered(
            lambda line: line.company_action == "create" and self.link_customers
        )
        groups = group_rows(create_lines.lead_id._match_keys())
        firsts = sorted(set(groups))
        created = Partner.create(
            [
                create_lines[index].lead_id._prepare_lead_pipeline_company_values()
                for index in firsts
            ]
        )
        company_of_first = dict(zip(firsts, created, strict=True))
        company_by_lead = {
            line.lead_id.id: company_of_first[groups[index]]
            for index, line in enumerate(create_lines)
        }
        for line in self.line_ids.filtered(lambda line: line.company_action == "link"):
            company_by_lead[line.lead_id.id] = line.partner_id
        created_by_lead = defaultdict(lambda: Partner)
        for index, line in enumerate(create_lines):
            if index in company_of_first:
                created_by_lead[line.lead_id.id] |= company_of_first[index]

        # contacts: each contact person becomes a contact of its company
        contact_vals, contact_leads = [], []
        linked_by_lead = defaultdict(lambda: Partner)
        for contact_line in self.contact_line_ids:
            lead = contact_line.lead_id
            if contact_line.action == "link":
                linked_by_lead[lead.id] |= contact_line.partner_id
                continue
            parent = company_by_lead.get(lead.id, Partner)
            contact_vals.append(
                lead._prepare_lead_pipeline_contact_values(contact_line.lead_contact_id, parent)
            )
            contact_leads.append(lead.id)
        # a person lead without contact persons: the lead's own contact
        for line in self.line_ids.filtered(
            lambda line: line.company_action == "none" and self.link_customers
        ):
            lead = line.lead_id
            if line.customer_id:
                linked_by_lead[lead.id] |= line.customer_id
                continue
            if lead.id in contact_leads or linked_by_lead.get(lead.id):
                continue
            name = lead.contact_name
            if not name and not self.enforce_status:
                # as Odoo's own conversion names a customer
                name = (
                    parse_contact_from_email(lead.email_from or "")[0]
                    or lead.email_from
                    or lead.name
                )
            if name:
                contact = self.env["lead_pipeline.lead.contact"].new(
                    {
                        "name": name,
                        "email": lead.email_from,
                        "phone": lead.phone,
                        "mobile": lead.mobile,
                        "function": lead.function,
                    }
                )
                contact_vals.append(lead._prepare_lead_pipeline_contact_values(contact, Partner))
                contact_leads.append(lead.id)
        contacts = Partner.create(contact_vals)
        contacts_by_lead = defaultdict(lambda: Partner)
        for lead_id, contact in zip(contact_leads, contacts, strict=True):
            contacts_by_lead[lead_id] |= contact
            created_by_lead[lead_id] |= contact

        self._convert_tags(leads, company_by_lead, contacts_by_lead)
        now = fields.Datetime.now()
        converting = leads.with_context(lead_pipeline_converting=True)
        customer_by_lead = {line.lead_id.id: line.customer_id for line in self.line_ids}
        for lead in converting:
            company = company_by_lead.get(lead.id, Partner)
            people = contacts_by_lead[lead.id] | linked_by_lead[lead.id]
            # as Odoo does: the contact person, within its company
            customer = (
                customer_by_lead.get(lead.id)
                or people.filtered(lambda p, c=company: p.commercial_partner_id == c)[:1]
                or company
                or people[:1]
            )
            lead.write(
                {
                    "partner_id": customer.id,
                    "lead_converted_date": now,
                    "lead_converted_by_id": self.env.uid,
                    "lead_converted_partner_ids": [(6, 0, (company | people).ids)],
                    "lead_created_partner_ids": [(6, 0, created_by_lead[lead.id].ids)],
                }
            )
        self._convert_statuses(converting)
        self._convert_history(converting, company_by_lead, contacts_by_lead)
        if self.create_opportunity:
            for lead in converting:
                lead.convert_opportunity(
                    lead.partner_id,
                    user_ids=(self.user_id or lead.user_id).ids,
                    team_id=(self.team_id or lead.team_id).id,
                )
        return leads

    def _convert_tags(self, leads, company_by_lead, contacts_by_lead):
        """The lead's tags become contact tags of the same name."""
        names = set(leads.tag_ids.mapped("name"))
        if not names:
            return
        Category = self.env["res.partner.category"]
        categories = {c.name: c for c in Category.search([("name", "in", list(names))])}
        missing = [name for name in names if name not in categories]
        for category in Category.create([{"name": name} for name in missing]):
            categories[category.name] = category
        by_partner = defaultdict(set)
        for lead in leads.filtered("tag_ids"):
            partners = (
                company_by_lead.get(lead.id, self.env["res.partner"]) | contacts_by_lead[lead.id]
            )
            for partner in partners:
                by_partner[partner] |= {categories[name].id for name in lead.tag_ids.mapped("name")}
        for partner, category_ids in by_partner.items():
            partner.category_id = [(4, category_id) for category_id in category_ids]

    def _convert_statuses(self, leads):
        by_status = defaultdict(leads.browse)
        for lead in leads:
            status = lead.lead_type_id._first_status("converted")
            if status:
                by_status[status] |= lead
        for status, status_leads in by_status.items():
            status_leads.with_context(lead_pipeline_force_status=True).write(
                {"lead_status_id": status.id}
            )

    def _convert_history(self, leads, company_by_lead, contacts_by_lead):
        """The request, notes and planned activities stay reachable from the
        customer: a note on it with the original request, and the planned
        activities of leads that do not go on as opportunities."""
        Partner = self.env["res.partner"]
        bodies = {}
        for lead in leads:
            customer = company_by_lead.get(lead.id, Partner) or contacts_by_lead[lead.id][:1]
            if not customer:
                continue
            request = lead._lead_pipeline_original_request()
            body = self.env._(
                "Converted from lead %(lead)s (source: %(utm_source)s, medium: %(medium)s, "
                "campaign: %(campaign)s).\nOriginal request:\n%(request)s",
                lead=lead.display_name,
                utm_source=lead.source_id.name or "-",
                medium=lead.medium_id.name or "-",
                campaign=lead.campaign_id.name or "-",
                request=request or "-",
            )
            bodies.setdefault(customer.id, []).append(body)
        if bodies:
            Partner.browse(list(bodies))._message_log_batch(
                bodies={pid: "\n\n".join(texts) for pid, texts in bodies.items()}
            )
        if not self.create_opportunity:
            # one write per customer, however many leads share it
            activities_by_customer = defaultdict(self.env["mail.activity"].sudo().browse)
            for lead in leads:
                customer = company_by_lead.get(lead.id, Partner) or contacts_by_lead[lead.id][:1]
                if customer:
                    activities_by_customer[customer.id] |= lead.activity_ids.sudo()
            partner_model = self.env["ir.model"]._get_id("res.partner")
            for customer_id, activities in activities_by_customer.items():
                if activities:
                    activities.write(
                        {
                            "res_model_id": partner_model,
                            "res_model": "res.partner",
                            "res_id": customer_id,
                        }
                    )


class ConvertWizardLine(models.TransientModel):
    _name = "lead_pipeline.convert.wizard.line"
    _description = "Convert Leads: Lead"

    wizard_id = fields.Many2one("lead_pipeline.convert.wizard", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    partner_name = fields.Char(related="lead_id.partner_name")
    company_action = fields.Selection(COMPANY_ACTIONS, required=True, default="create")
    partner_id = fields.Many2one(
        "res.partner", string="Company", domain="[('is_company', '=', True)]"
    )
    customer_id = fields.Many2one("res.partner", help="The customer already linked to the lead.")
    match_reason = fields.Char(readonly=True)


class ConvertWizardContact(models.TransientModel):
    _name = "lead_pipeline.convert.wizard.contact"
    _description = "Convert Leads: Contact Person"

    wizard_id = fields.Many2one("lead_pipeline.convert.wizard", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    lead_contact_id = fields.Many2one(
        "lead_pipeline.lead.contact", string="Contact Person", required=True, ondelete="cascade"
    )
    action = fields.Selection(CONTACT_ACTIONS, required=True, default="create")
    partner_id = fields.Many2one("res.partner", string="Existing Contact")
    match_reason = fields.Char(readonly=True)
