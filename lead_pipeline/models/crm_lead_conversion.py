"""Conversion of qualified leads into customers (and opportunities), and its
undo."""

from collections import defaultdict

from markupsafe import Markup, escape
from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, html2plaintext, is_html_empty, parse_contact_from_email

from ..logic.conversion import company_action as default_company_action
from ..logic.conversion import field_fits
from ..logic.matching import group_rows
from . import mail_bulk
from .internal import internal_create, internal_write, scoped, scoped_value
from .lead_type_field_map import field_shape

# the partner tag each relationship sought gives the customer
RELATIONSHIP_CATEGORIES = {
    "partner": "lead_pipeline.partner_category_partner",
    "supplier": "lead_pipeline.partner_category_supplier",
    "reseller": "lead_pipeline.partner_category_reseller",
    "competitor": "lead_pipeline.partner_category_competitor",
}
# the overrides of crm.lead's write that, for the customer alone (tracking
# off), do nothing but call the next: Odoo's write does the rest
PLAIN_LEAD_WRITES = {
    ("odoo.models", "BaseModel.write"),
    ("odoo.addons.mail.models.mail_activity_mixin", "MailActivityMixin.write"),
    ("odoo.addons.mail.models.mail_thread", "MailThread.write"),
    ("odoo.addons.crm.models.crm_lead", "Lead.write"),
    ("odoo.addons.lead_pipeline.models.crm_lead", "CrmLead.write"),
}
# fields the conversion sets itself, or that mean something else on a partner
NOT_TRAVELLING_FIELDS = {"name", "display_name", "type", "active", "color", "company_id"}


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    lead_converted_date = fields.Datetime("Converted On", readonly=True, copy=False)
    lead_converted_by_id = fields.Many2one("res.users", "Converted By", readonly=True, copy=False)
    lead_converted_partner_ids = fields.Many2many(
        "res.partner",
        "lead_pipeline_lead_converted_partner_rel",
        "lead_id",
        "partner_id",
        string="Converted Into",
        readonly=True,
        copy=False,
        help="The customer company and contacts the conversion produced or linked.",
    )
    # the form shows a button with this count, not the customers' names: one
    # query less on every form (and no res.partner rule to evaluate)
    lead_converted_partner_count = fields.Integer(
        "Customers", compute="_compute_lead_converted_partner_count", store=True
    )
    lead_created_partner_ids = fields.Many2many(
        "res.partner",
        "lead_pipeline_lead_created_partner_rel",
        "lead_id",
        "partner_id",
        string="Created by Conversion",
        readonly=True,
        copy=False,
    )
    lead_can_convert = fields.Boolean(compute="_compute_lead_can_convert")
    lead_market = fields.Selection(
        related="lead_type_id.market", string="Market", store=True, readonly=True
    )
    lead_relationship = fields.Selection(
        related="lead_type_id.relationship",
        string="Relationship Sought",
        store=True,
        readonly=True,
    )

    @api.depends("lead_status_id", "lead_type_id", "lead_converted_date", "type", "active")
    def _compute_lead_can_convert(self):
        # from the cached pipelines: no query per form or card
        by_type = self.env["lead_pipeline.lead.type"]._pipeline_map()[0]
        for lead in self:
            lead.lead_can_convert = bool(
                lead.type == "lead"
                and lead.active
                and not lead.lead_converted_date
                and lead.lead_status_id._origin.id
                in by_type.get(lead.lead_type_id._origin.id, ((), ()))[1]
            )

    def _lead_check_converted_read_only(self, vals):
        """A lead converted without an opportunity is closed: read-only but
        for sales managers (and for the chatter and activities)."""
        going_on = scoped_value("lead_pipeline_converting_ids") or ()
        if not any(
            lead.lead_converted_date and lead.type == "lead" and lead.id not in going_on
            for lead in self
        ) or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        business = [
            fname
            for fname in vals
            if not fname.startswith(("message_", "activity_", "website_message"))
        ]
        if business:
            closed = self.filtered(lambda lead: lead.lead_converted_date and lead.type == "lead")
            raise UserError(
                self.env._(
                    "These leads were converted and are closed; only a sales manager "
                    "may change them: %(leads)s",
                    leads=", ".join(closed.mapped("display_name")),
                )
            )

    def _lead_pipeline_lock_for_conversion(self):
        """Lock the leads for this transaction, or say clearly why not: a
        second conversion (another user, a double click, another worker)
        must never produce a second customer."""
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM crm_lead WHERE id IN %s FOR NO KEY UPDATE NOWAIT",
                    [tuple(self.ids)],
                )
        except (LockNotAvailable, SerializationFailure):
            raise UserError(
                self.env._(
                    "Another user is converting or has just converted %(leads)s. "
                    "Reload the page to see the result.",
                    leads=", ".join(self.mapped("display_name")),
                )
            )
        self.invalidate_recordset(["lead_converted_date", "lead_converted_by_id"])
        done = self.filtered("lead_converted_date")
        if done:
            raise UserError(
                self.env._(
                    "Already converted: %(leads)s.",
                    leads="; ".join(
                        self.env._(
                            "%(lead)s by %(user)s on %(date)s",
                            lead=lead.display_name,
                            user=lead.lead_converted_by_id.name,
                            date=fields.Datetime.to_string(lead.lead_converted_date),
                        )
                        for lead in done
                    ),
                )
            )

    def _prepare_lead_pipeline_company_values(self):
        """Values of the customer company a lead becomes; extend to carry
        fields of your own."""
        self.ensure_one()
        return {
            **self._prepare_lead_pipeline_address_values(),
            "name": self.partner_name,
            "is_company": True,
            "email": self.email_from if not self.contact_name else False,
            "phone": self.phone if not self.contact_name else False,
            "lang": self.lang_id.code if self.lang_id.active else False,
            "user_id": self.user_id.id,
            "lead_pipeline_origin_lead_id": self.id,
            **self._prepare_lead_pipeline_relationship_values(),
            **self._prepare_lead_pipeline_custom_values(),
        }

    def _prepare_lead_pipeline_relationship_values(self):
        """How the customer is marked for the relationship sought: a supplier
        lead gives a supplier (Odoo's ``supplier_rank`` where Invoicing or
        Purchase defines it; the partner tags are set apart, in batch)."""
        self.ensure_one()
        if self.lead_relationship == "supplier" and "supplier_rank" in self.env["res.partner"]:
            return {"supplier_rank": 1}
        return {}

    @api.model
    def _lead_pipeline_travelling_fields(self):
        """(lead field, partner field) that every conversion copies: the
        custom fields (``x_``, Studio's included) of the same name on both
        models whose types fit."""
        Partner = self.env["res.partner"]
        pairs = []
        for fname, field in self._fields.items():
            target = Partner._fields.get(fname)
            if (
                not fname.startswith("x_")
                or fname in NOT_TRAVELLING_FIELDS
                or not field.store
                or target is None
                or not target.store
                or target.readonly
            ):
                continue
            if field_fits(
                field_shape(self.env, self._name, fname),
                field_shape(self.env, Partner._name, fname),
            ):
                pairs.append((fname, fname))
        return pairs

    def _prepare_lead_pipeline_custom_values(self):
        """The lead's custom fields, and those its type maps, for its
        customer."""
        self.ensure_one()
        pairs = self._lead_pipeline_travelling_fields() + [
            (line.lead_field, line.partner_field) for line in self.lead_type_id.field_map_ids
        ]
        values = {}
        for lead_fname, partner_fname in pairs:
            if lead_fname not in self._fields or partner_fname not in self.env["res.partner"]:
                continue
            value = self[lead_fname]
            if not value and value is not False and value != 0:
                continue
            values[partner_fname] = self._fields[lead_fname].convert_to_write(value, self)
        return values

    def _prepare_lead_pipeline_contact_values(self, contact, parent):
        """Values of the customer contact a lead contact person becomes."""
        self.ensure_one()
        lang = contact.lang or (self.lang_id.code if self.lang_id.active else False)
        values = {
            "name": contact.name,
            "is_company": False,
            "type": "contact",
            "parent_id": parent.id,
            "function": contact.function,
            "email": contact.email,
            "phone": contact.phone,
            "mobile": contact.mobile,
            "lang": lang,
            "comment": contact.comment,
            "user_id": self.user_id.id,
            "lead_pipeline_origin_lead_id": self.id,
        }
        if not parent:
            # a person customer: where they are, how they are marked, and the
            # company they work for as a name
            values.update(
                self._prepare_lead_pipeline_address_values(),
                company_name=self.partner_name or False,
                **self._prepare_lead_pipeline_relationship_values(),
                **self._prepare_lead_pipeline_custom_values(),
            )
        return values

    def _prepare_lead_pipeline_address_values(self):
        """Where the customer is: the company, or the person without one."""
        self.ensure_one()
        return {
            "vat": self.vat,
            "website": self.website,
            "street": self.street,
            "street2": self.street2,
            "zip": self.zip,
            "city": self.city,
            "state_id": self.state_id.id,
            "country_id": self.country_id.id,
        }

    def _lead_pipeline_original_request(self):
        """The request as the lead arrived: its notes, else its first message."""
        self.ensure_one()
        if not is_html_empty(self.description):
            return html2plaintext(self.description)
        first = self.message_ids.filtered(lambda m: m.message_type in ("email", "comment"))[-1:]
        return html2plaintext(first.body) if first else ""

    @api.depends("lead_converted_partner_ids")
    def _compute_lead_converted_partner_count(self):
        for lead in self:
            lead.lead_converted_partner_count = len(lead.lead_converted_partner_ids)

    def action_lead_pipeline_open_converted_partners(self):
        """The customer company and contacts the lead was converted into."""
        self.ensure_one()
        partners = self.lead_converted_partner_ids
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Customers"),
            "res_model": "res.partner",
            "domain": [("id", "in", partners.ids)],
            "views": [(False, "list"), (False, "form")],
            "context": {"create": False},
        }
        if len(partners) == 1:
            action.update(views=[(False, "form")], res_id=partners.id)
        return action

    def action_lead_pipeline_convert(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Convert Leads"),
            "res_model": "lead_pipeline.convert.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "crm.lead", "active_ids": self.ids},
        }

    def action_lead_pipeline_create_opportunity(self):
        """Second step of a two-step conversion: the converted lead becomes
        the opportunity (business case) in place, with all its information."""
        self.ensure_one()
        if not self.lead_converted_date or self.type != "lead":
            raise UserError(self.env._("Only a converted lead can get its opportunity here."))
        self._lead_pipeline_check_opportunity_allowed()
        self.convert_opportunity(
            self.partner_id, user_ids=self.user_id.ids, team_id=self.team_id.id
        )
        return self.redirect_lead_opportunity_view()

    def convert_opportunity(self, partner, user_ids=False, team_id=False):
        # a converted (closed) lead may go on as its opportunity: the second
        # step of a two-step conversion, which Create Opportunity offers
        self._lead_pipeline_check_opportunity_allowed()
        with scoped(lead_pipeline_converting_ids=frozenset(self.ids)):
            return super().convert_opportunity(partner, user_ids=user_ids, team_id=team_id)

    def _lead_pipeline_check_opportunity_allowed(self):
        """A competitor is watched, not sold to: its lead never becomes an
        opportunity."""
        refusal = self._lead_pipeline_opportunity_refusal()
        if refusal:
            raise UserError(refusal)

    def _lead_pipeline_opportunity_refusal(self):
        """The message refusing an opportunity for competitor-watch leads of
        ``self``, or ``None`` when none is watched."""
        watched = self.filtered(lambda lead: lead.lead_relationship == "competitor")
        if not watched:
            return None
        return self.env._(
            "Competitor watch leads become a competitor company, never an opportunity: %(leads)s",
            leads=", ".join(watched.mapped("display_name")),
        )

    # ------------------------------------------------------------
    # CONVERSION: proposal, checks, customers, history
    # ------------------------------------------------------------

    def _lead_pipeline_conversion_proposal(self):
        """What converting these leads would make, as plain values: per lead
        the proposed company ({"lead_id", "company_action", "partner_id",
        "customer_id", "match_reason"}), per contact person the proposed
        contact ({"lead_id", "lead_contact_id", "action", "partner_id",
        "match_reason"}), each match with its reason."""
        leads = self.filtered(lambda lead: lead.type == "lead")
        Matcher = self.env["lead_pipeline.matcher"]
        # the market and the relationship sought decide: a B2C lead for one
        # person becomes a person, a B2B lead a company with its contacts
        actions = {
            lead.id: default_company_action(
                lead.lead_market,
                lead.partner_name,
                len(lead.lead_contact_ids),
                lead.lead_relationship,
            )
            for lead in leads
        }
        company_leads = leads.filtered(lambda lead: actions[lead.id] == "create")
        company_matches = Matcher._find_partners(company_leads._match_keys(), companies_only=True)
        by_lead = dict(zip(company_leads.ids, company_matches, strict=True))
        lines = []
        for lead in leads:
            match = by_lead.get(lead.id)
            line = {"lead_id": lead.id, "partner_id": False, "customer_id": False}
            if lead.partner_id:
                # already linked to someone in the base: that is the customer
                commercial = lead.partner_id.commercial_partner_id
                line.update(
                    company_action="link" if commercial.is_company else "none",
                    partner_id=commercial.id if commercial.is_company else False,
                    customer_id=lead.partner_id.id,
                    match_reason=self.env._(
                        "%(partner)s: the lead's customer", partner=lead.partner_id.display_name
                    ),
                )
            elif match:
                key_type, _value, partners = match
                line.update(
                    company_action="link",
                    partner_id=partners[0].id,
                    match_reason=Matcher._reason(key_type, partners[0]),
                )
            else:
                line["company_action"] = actions[lead.id]
            lines.append(line)
        contacts = leads.filtered(lambda lead: not lead.partner_id).lead_contact_ids
        contact_matches = Matcher._find_partners(
            contacts._match_keys(), key_types=("email", "phone")
        )
        contact_lines = []
        for contact, match in zip(contacts, contact_matches, strict=True):
            values = {
                "lead_id": contact.lead_id.id,
                "lead_contact_id": contact.id,
                "action": "create",
                "partner_id": False,
            }
            if match:
                key_type, _value, partners = match
                values.update(
                    action="link",
                    partner_id=partners[0].id,
                    match_reason=Matcher._reason(key_type, partners[0]),
                )
            contact_lines.append(values)
        return {"lines": lines, "contact_lines": contact_lines}

    def _lead_pipeline_convert(
        self,
        lines=None,
        contact_lines=None,
        *,
        create_opportunity=False,
        user=None,
        team=None,
        enforce_status=True,
        link_customers=True,
    ):
        """Convert these leads into customers (and, with
        ``create_opportunity``, opportunities), exactly once and all or
        nothing. ``lines`` and ``contact_lines`` are plain values as
        :meth:`_lead_pipeline_conversion_proposal` returns them (the proposal
        when not given). ``enforce_status`` refuses leads whose status does
        not allow conversion; only Odoo's own Convert to Opportunity wizards
        and sales managers convert without it. Returns the converted leads."""
        if not enforce_status and not self.env.su:
            if not self.env.user.has_group("sales_team.group_sale_manager") and not scoped_value(
                "lead_pipeline_native_ids"
            ):
                raise AccessError(
                    self.env._("Only sales managers may convert a lead outside a qualified status.")
                )
        if lines is None or contact_lines is None:
            proposal = self._lead_pipeline_conversion_proposal()
            lines = proposal["lines"] if lines is None else lines
            contact_lines = proposal["contact_lines"] if contact_lines is None else contact_lines
        Lead, Partner = self.browse(), self.env["res.partner"]
        Contact = self.env["lead_pipeline.lead.contact"]
        # the records of the lines read together, as one recordset each
        # (``browse`` one id at a time would read, and compute, one at a time)
        lead_of = _by_id(Lead, [line["lead_id"] for line in lines + contact_lines])
        partner_of = _by_id(
            Partner,
            [
                line.get(fname)
                for line in lines + contact_lines
                for fname in ("partner_id", "customer_id")
            ],
        )
        contact_of = _by_id(Contact, [line["lead_contact_id"] for line in contact_lines])
        options = {
            "create_opportunity": create_opportunity,
            "user": user or self.env["res.users"],
            "team": team or self.env["crm.team"],
            "enforce_status": enforce_status,
            "link_customers": link_customers,
        }
        lines = [
            {
                "lead": lead_of[line["lead_id"]],
                "company_action": line.get("company_action") or "create",
                "partner": partner_of.get(line.get("partner_id"), Partner),
                "customer": partner_of.get(line.get("customer_id"), Partner),
            }
            for line in lines
        ]
        contact_lines = [
            {
                "lead": lead_of[line["lead_id"]],
                "contact": contact_of[line["lead_contact_id"]],
                "action": line.get("action") or "create",
                "partner": partner_of.get(line.get("partner_id"), Partner),
            }
            for line in contact_lines
        ]
        leads = Lead.union(*(line["lead"] for line in lines))
        if not leads:
            raise UserError(self.env._("There is no lead to convert."))
        named = Partner.union(
            *(line["partner"] | line["customer"] for line in lines),
            *(line["partner"] for line in contact_lines),
        )
        # existing customers the user may not change are linked, never marked
        # (relationship tags, supplier rank, the lead's tags)
        options["unmarkable_ids"] = frozenset((named - named._filtered_access("write")).ids)
        with self.env.cr.savepoint():
            leads._lead_pipeline_lock_for_conversion()
            self.env["lead_pipeline.lead.contact"].union(
                *(line["contact"] for line in contact_lines)
            ).check_access("read")
            leads._lead_pipeline_check_conversion(lines, contact_lines, options)
            converter = leads
            if leads._lead_pipeline_converts_leads_only():
                # Leads Only users create no customers of their own: once the
                # checks passed, the conversion runs with the rights it needs
                named.check_access("read")  # links only to customers they may see
                converter = leads.sudo()
                lines, contact_lines, options = _sudo_values(lines, contact_lines, options)
            going_on = frozenset()
            if create_opportunity:
                # the leads that go on as opportunities (active, not won),
                # read before the conversion's writes make their probability
                # to recompute; while it runs, they are not closed leads to
                # what reacts to its writes (an automation rule, say)
                going_on = frozenset(
                    lead.id for lead in converter if lead.active and lead.probability != 100
                )
            options["going_on_ids"] = going_on
            with scoped(lead_pipeline_converting_ids=going_on):
                converter._lead_pipeline_convert_lines(lines, contact_lines, options)
        return leads

    def _lead_pipeline_converts_leads_only(self):
        """Whether the current user works leads without sales rights."""
        user = self.env.user
        return (
            not self.env.su
            and user.has_group("lead_pipeline.group_leads_only")
            and not user.has_group("sales_team.group_sale_salesman")
        )

    @api.model
    def _lead_pipeline_check_conversion(self, lines, contact_lines, options):
        """Refuse the whole conversion, naming every problem, in one error."""
        errors = []
        enforce = options["enforce_status"]
        refusal = options["create_opportunity"] and self._lead_pipeline_opportunity_refusal()
        if refusal:
            errors.append(refusal)
        for line in lines if options["link_customers"] else []:
            lead = line["lead"]
            if enforce and not lead.lead_can_convert:
                errors.append(
                    self.env._(
                        "%(lead)s is not in a status that allows conversion (%(status)s).",
                        lead=lead.display_name,
                        status=lead.lead_status_id.name or "-",
                    )
                )
            if line["company_action"] == "create" and not lead.partner_name:
                errors.append(
                    self.env._(
                        "%(lead)s has no company name: fill it in or convert it as a person.",
                        lead=lead.display_name,
                    )
                )
            if line["company_action"] == "link" and not line["partner"]:
                errors.append(
                    self.env._("%(lead)s: choose the company to link.", lead=lead.display_name)
                )
            if (
                enforce  # Odoo's wizards name the customer as best they can
                and line["company_action"] == "none"
                and not any(c["lead"] == lead for c in contact_lines)
                and not lead.contact_name
                and not line["customer"]
            ):
                errors.append(
                    self.env._(
                        "%(lead)s names neither a company nor a person: fill in a contact "
                        "name or a company name.",
                        lead=lead.display_name,
                    )
                )
        if options["user"].share:
            errors.append(
                self.env._(
                    "%(user)s is not an internal user: opportunities go to salespeople.",
                    user=options["user"].name,
                )
            )
        for contact_line in contact_lines:
            if (
                contact_line["lead"] not in self
                or contact_line["contact"].lead_id != (contact_line["lead"])
            ):
                errors.append(
                    self.env._(
                        "%(contact)s is not a contact person of a lead being converted.",
                        contact=contact_line["contact"].name or "-",
                    )
                )
                continue
            if contact_line["action"] == "link" and not contact_line["partner"]:
                errors.append(
                    self.env._(
                        "%(contact)s: choose the contact to link.",
                        contact=contact_line["contact"].name,
                    )
                )
        if errors:
            raise ValidationError("\n".join(errors))

    def _lead_pipeline_convert_lines(self, lines, contact_lines, options):
        """Create or link companies, then contacts, then close the leads."""
        Partner = self.env["res.partner"]
        link_customers = options["link_customers"]
        # companies: leads of one company within the batch give one company
        create_lines = [
            line for line in lines if line["company_action"] == "create" and link_customers
        ]
        create_leads = self.browse().union(*(line["lead"] for line in create_lines))
        groups = group_rows(create_leads._match_keys()) if create_lines else []
        firsts = sorted(set(groups))
        created = internal_create(
            self._lead_pipeline_quiet(Partner),
            [
                create_lines[index]["lead"]._prepare_lead_pipeline_company_values()
                for index in firsts
            ],
            bookkeeping=True,
        )
        company_of_first = dict(zip(firsts, created, strict=True))
        company_by_lead = {
            line["lead"].id: company_of_first[groups[index]]
            for index, line in enumerate(create_lines)
        }
        for line in lines:
            if line["company_action"] == "link":
                company_by_lead[line["lead"].id] = line["partner"]
        created_by_lead = defaultdict(lambda: Partner)
        for index, line in enumerate(create_lines):
            if index in company_of_first:
                created_by_lead[line["lead"].id] |= company_of_first[index]

        # contacts: each contact person becomes a contact of its company
        contact_vals, contact_leads = [], []
        linked_by_lead = defaultdict(lambda: Partner)
        for contact_line in contact_lines:
            lead = contact_line["lead"]
            if contact_line["action"] == "link":
                linked_by_lead[lead.id] |= contact_line["partner"]
                continue
            parent = company_by_lead.get(lead.id, Partner)
            contact_vals.append(
                lead._prepare_lead_pipeline_contact_values(contact_line["contact"], parent)
            )
            contact_leads.append(lead.id)
        # a person lead without contact persons: the lead's own contact
        for line in lines:
            if line["company_action"] != "none" or not link_customers:
                continue
            lead = line["lead"]
            if line["customer"]:
                linked_by_lead[lead.id] |= line["customer"]
                continue
            if lead.id in contact_leads or linked_by_lead.get(lead.id):
                continue
            name = lead.contact_name
            if not name and not options["enforce_status"]:
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
        contacts = self._lead_pipeline_quiet(Partner)._lead_pipeline_create_synced(
            contact_vals, bookkeeping=True
        )
        self._lead_pipeline_follow_customers(created | contacts)
        contacts_by_lead = defaultdict(lambda: Partner)
        for lead_id, contact in zip(contact_leads, contacts, strict=True):
            contacts_by_lead[lead_id] |= contact
            created_by_lead[lead_id] |= contact

        now = fields.Datetime.now()
        customer_by_lead = {line["lead"].id: line["customer"] for line in lines}
        target_by_lead = {}  # the card that receives the history: company, else person
        leads_by_customer = defaultdict(self.browse)
        converted_rows, created_rows = [], []
        for lead in self:
            company = company_by_lead.get(lead.id, Partner)
            people = contacts_by_lead[lead.id] | linked_by_lead[lead.id]
            # as Odoo does: the contact person, within its company
            customer = (
                customer_by_lead.get(lead.id)
                or people.filtered(lambda p, c=company: p.commercial_partner_id == c)[:1]
                or company
                or people[:1]
            )
            target_by_lead[lead.id] = company or customer
            leads_by_customer[customer] |= lead
            converted_rows += [(lead.id, partner.id) for partner in company | people]
            created_rows += [(lead.id, partner.id) for partner in created_by_lead[lead.id]]
        self._lead_pipeline_link_partners(converted_rows, created_rows)
        # what setting the customer invalidates on it (its leads), read for
        # all customers at once rather than at each write
        Partner.union(*leads_by_customer).fetch(
            [
                fname
                for fname, field in Partner._fields.items()
                if field.type == "one2many" and field.comodel_name == self._name
            ]
        )
        self._lead_pipeline_prefetch_inverses(["partner_id", "type", "stage_id"])
        # the chatter of the leads gets one note for the batch, below
        self._lead_pipeline_write_customers(
            {
                lead.id: customer.id
                for customer, leads in leads_by_customer.items()
                for lead in leads
            },
            {"lead_converted_date": now, "lead_converted_by_id": self.env.uid},
        )
        self._lead_pipeline_convert_tags(
            company_by_lead, contacts_by_lead, target_by_lead, options.get("unmarkable_ids", ())
        )
        self._lead_pipeline_convert_statuses()
        self._lead_pipeline_convert_history(target_by_lead, options)
        mail_bulk.mark_conversion_messages(
            self.env,
            {
                partner.id: lead_id
                for lead_id, partners in created_by_lead.items()
                for partner in partners
            },
        )
        if options["create_opportunity"]:
            self._lead_pipeline_open_opportunities(options)
        return self

    def _lead_pipeline_write_customers(self, customer_by_lead, values):
        """Set each lead's customer, ``{lead id: partner id}``, and
        ``values`` on all of them. ``write`` sets one value at a time: 500
        leads of 500 customers, 500 writes, each walking what depends on the
        customer. Where every override of ``write`` on leads is one known to
        do nothing more with these fields than Odoo's ``BaseModel.write``
        (and tracking is off), this does what that ``write`` does, for all
        the leads at once; anywhere else (an automation rule on leads,
        another addon's override), it writes through ``write``, one write of
        the customer and ``values`` per customer."""
        quiet = self._lead_pipeline_quiet(self)  # tracking off, as every conversion write
        by_customer = defaultdict(list)
        for lead_id, partner_id in customer_by_lead.items():
            by_customer[partner_id].append(lead_id)
        if len(by_customer) < 2 or not quiet._lead_pipeline_plain_write():
            for partner_id, lead_ids in by_customer.items():
                internal_write(
                    quiet.browse(lead_ids), {"partner_id": partner_id, **values}, converting=True
                )
            return
        leads = quiet.browse(list(customer_by_lead))
        field = self._fields["partner_id"]
        leads.check_access("write")
        leads.check_field_access_rights("write", ["partner_id"])
        if self.pool.is_modifying_relations(field):
            leads.modified(["partner_id"], before=True)
        for lead in leads:
            field.write(lead, customer_by_lead[lead.id])
        leads.modified(["partner_id"])
        leads._validate_fields(["partner_id"])
        if self._check_company_auto:
            # as write checks it: every field of the leads
            leads._check_company()
        internal_write(leads, values, converting=True)

    def _lead_pipeline_plain_write(self):
        """Whether writing the customer on these leads, tracking off (the
        conversion's writes are quiet), is Odoo's ``BaseModel.write`` and
        nothing more: no override of ``write`` but the known ones, which do
        nothing else with it; the customer a plain stored field (no inverse,
        not computed)."""
        field = self._fields["partner_id"]
        if field.inverse or field.compute:
            return False
        overrides = {
            (klass.__dict__["write"].__module__, klass.__dict__["write"].__qualname__)
            for klass in type(self).__mro__
            if "write" in klass.__dict__
        }
        return overrides <= PLAIN_LEAD_WRITES

    def _lead_pipeline_open_opportunities(self, options):
        """The leads go on as opportunities of their customer, as Odoo's
        ``convert_opportunity`` makes them (``_convert_opportunity_data``,
        then the salesperson and team), written per group of leads alike
        rather than lead by lead."""
        self._lead_pipeline_check_opportunity_allowed()
        stages, groups = {}, defaultdict(self.browse)
        # where write runs code of others (automation rules...), which may
        # have archived a lead or marked it won, read again
        recheck = not self._lead_pipeline_plain_write()
        for lead in self:
            if recheck and (not lead.active or lead.probability == 100):
                continue
            if lead.id not in options["going_on_ids"]:
                continue
            user, team = options["user"] or lead.user_id, options["team"] or lead.team_id
            values = {"type": "opportunity", "date_conversion": self.env.cr.now()}
            if not lead.stage_id:
                if team.id not in stages:
                    stages[team.id] = self._stage_find(team_id=team.id).id
                values["stage_id"] = stages[team.id]
            groups[tuple(sorted(values.items())), user.id, team.id] |= lead
        with scoped(lead_pipeline_converting_ids=frozenset(self.ids)):
            for (values, user_id, team_id), leads in groups.items():
                self._lead_pipeline_quiet(leads).write(dict(values))
                if user_id or team_id:
                    leads.with_context(
                        mail_auto_subscribe_no_notify=True
                    )._handle_salesmen_assignment(
                        user_ids=[user_id] if user_id else False, team_id=team_id
                    )

    @api.model
    def _lead_pipeline_quiet(self, records):
        """``records`` for the conversion's own writes: no tracking message,
        creation log or assignment e-mail record by record (nothing is sent
        at conversion); the conversion logs its own notes, in batch."""
        records = records.with_context(
            tracking_disable=True, mail_create_nolog=True, mail_auto_subscribe_no_notify=True
        )
        if records._name == "res.partner":
            # defaults of fields not stored (Invoicing's report choice) are
            # computed record by record: once for the batch here
            computed = [
                fname
                for fname, field in records._fields.items()
                if not field.store and callable(field.default) and not field.compute
            ]
            defaults = records.default_get(computed) if computed else {}
            records = records.with_context(
                **{f"default_{fname}": value for fname, value in defaults.items()}
            )
        return records

    def _lead_pipeline_prefetch_inverses(self, fnames):
        """Read, for all the leads at once, the records that depend on
        ``fnames`` (their contacts, status history, visitors...): each write
        of the conversion would otherwise read them lead by lead to
        invalidate what depends on them."""
        tree = self.pool.get_trigger_tree([self._fields[fname] for fname in fnames])
        inverses = set()
        for key in tree:
            if key is None or key.comodel_name != self._name:
                continue
            for fname, field in self._fields.items():
                if field.comodel_name != key.model_name:
                    continue
                if (field.type == "one2many" and field.inverse_name == key.name) or (
                    field.type == "many2many"
                    and key.type == "many2many"
                    and field.relation == key.relation
                ):
                    inverses.add(fname)
        if inverses:
            self.fetch(sorted(inverses))

    def _lead_pipeline_follow_customers(self, partners):
        """The salesperson follows the customers the conversion created, as
        Odoo's auto-subscription would, in one INSERT."""
        by_target = defaultdict(list)
        for partner in partners.filtered("user_id"):
            by_target[partner.user_id.id, False].append(partner.id)
        if by_target:
            mail_bulk.insert_auto_followers(partners, by_target)

    def _lead_pipeline_link_partners(self, converted_rows, created_rows):
        """Record which partners each lead was converted into, and which of
        them the conversion created: (lead id, partner id) rows, one INSERT
        per relation for the batch."""
        for table, rows, fname in (
            (
                "lead_pipeline_lead_converted_partner_rel",
                converted_rows,
                "lead_converted_partner_ids",
            ),
            ("lead_pipeline_lead_created_partner_rel", created_rows, "lead_created_partner_ids"),
        ):
            if not rows:
                continue
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO %s (lead_id, partner_id)
                    SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING
                    """,
                    SQL.identifier(table),
                    [lead_id for lead_id, _partner in rows],
                    [partner_id for _lead, partner_id in rows],
                )
            )
            self.invalidate_recordset([fname])
        if converted_rows:
            # the count the form's Customers button shows, kept with the rows
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE crm_lead SET lead_converted_partner_count = (
                        SELECT count(*) FROM lead_pipeline_lead_converted_partner_rel rel
                          JOIN res_partner partner ON partner.id = rel.partner_id
                         WHERE rel.lead_id = crm_lead.id AND partner.active)
                     WHERE id = ANY(%s)
                    """,
                    sorted({lead_id for lead_id, _partner in converted_rows}),
                )
            )
            self.invalidate_recordset(["lead_converted_partner_count"])

    def _lead_pipeline_convert_tags(
        self, company_by_lead, contacts_by_lead, target_by_lead, unmarkable_ids=()
    ):
        """The lead's tags become contact tags of the same name; the customer
        gets the tag of the relationship sought (supplier, reseller, partner,
        competitor). Existing customers the converting user may not change
        (``unmarkable_ids``) are linked as they are."""
        names = set(self.tag_ids.mapped("name"))
        Category, Partner = self.env["res.partner.category"], self.env["res.partner"]
        by_partner = defaultdict(set)
        for lead in self:
            xmlid = RELATIONSHIP_CATEGORIES.get(lead.lead_relationship)
            category = xmlid and self.env.ref(xmlid, raise_if_not_found=False)
            if category and target_by_lead.get(lead.id):
                by_partner[target_by_lead[lead.id]].add(category.id)
        categories = {}
        if names:
            categories = {c.name: c for c in Category.search([("name", "in", list(names))])}
            missing = [name for name in names if name not in categories]
            for category in Category.create([{"name": name} for name in missing]):
                categories[category.name] = category
        for lead in self.filtered("tag_ids"):
            partners = company_by_lead.get(lead.id, Partner) | contacts_by_lead[lead.id]
            for partner in partners:
                by_partner[partner] |= {categories[name].id for name in lead.tag_ids.mapped("name")}
        rows = [
            (partner.id, category_id)
            for partner, category_ids in by_partner.items()
            if partner.id not in unmarkable_ids
            for category_id in category_ids
        ]
        if rows:
            # one INSERT for the batch: the ORM writes tags partner by partner
            Partner = self.env["res.partner"]
            Partner.flush_model(["category_id"])
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO res_partner_res_partner_category_rel (partner_id, category_id)
                    SELECT * FROM unnest(%s::int[], %s::int[])
                    ON CONFLICT DO NOTHING
                    """,
                    [partner_id for partner_id, _category in rows],
                    [category_id for _partner, category_id in rows],
                )
            )
            Partner.browse({partner_id for partner_id, _category in rows}).invalidate_recordset(
                ["category_id"]
            )
        suppliers = Partner.union(
            *(
                target_by_lead[lead.id]
                for lead in self
                if lead.lead_relationship == "supplier"
                and target_by_lead.get(lead.id)
                and target_by_lead[lead.id].id not in unmarkable_ids
            )
        )
        if "supplier_rank" in Partner and suppliers:
            # linked customers too: the new ones got it at creation
            suppliers.filtered(lambda partner: not partner.supplier_rank).write(
                {"supplier_rank": 1}
            )

    def _lead_pipeline_convert_statuses(self):
        by_status = defaultdict(self.browse)
        first_of_type = {
            lead_type: lead_type._first_status("converted") for lead_type in self.lead_type_id
        }
        for lead in self:
            status = first_of_type.get(lead.lead_type_id)
            if status:
                by_status[status] |= lead
        for status, status_leads in by_status.items():
            internal_write(
                self._lead_pipeline_quiet(status_leads),
                {"lead_status_id": status.id},
                force_status=True,
                converting=True,
            )

    def _lead_pipeline_convert_history(self, target_by_lead, options):
        """The lead's history goes to its customer's card: its notes, e-mails,
        done activities and attachments copied oldest first (the lead keeps
        its own), a note with the original request, and the planned
        activities of leads that do not go on as opportunities."""
        Partner = self.env["res.partner"]
        mail_bulk.copy_history(
            self.env,
            self._name,
            [
                (lead.id, target_by_lead[lead.id].id, lead.id)
                for lead in self
                if target_by_lead.get(lead.id)
            ],
        )
        # the leads' own chatter says what they became (tracking is off for
        # the conversion's writes: one note per lead, one statement)
        mail_bulk.insert_notes(
            self,
            {
                lead.id: escape(
                    self.env._(
                        "Converted into %(customers)s.",
                        customers=", ".join(lead.lead_converted_partner_ids.mapped("display_name"))
                        or "-",
                    )
                )
                for lead in self
            },
        )
        bodies = {}
        for lead in self:
            customer = target_by_lead.get(lead.id, Partner)
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
            # as _message_log_batch logs them, in one statement
            mail_bulk.insert_notes(
                Partner.browse(list(bodies)),
                {
                    # the text escaped, its lines kept (no link made of it)
                    pid: Markup("<br>").join(escape("\n\n".join(texts)).split("\n"))
                    for pid, texts in bodies.items()
                },
            )
        if not options["create_opportunity"]:
            # one write per customer and lead
            activities_by_customer = defaultdict(self.env["mail.activity"].sudo().browse)
            for lead in self:
                customer = target_by_lead.get(lead.id, Partner)
                if customer:
                    activities_by_customer[customer.id, lead.id] |= lead.activity_ids.sudo()
            partner_model = self.env["ir.model"]._get_id("res.partner")
            for (customer_id, lead_id), activities in activities_by_customer.items():
                if activities:
                    activities.write(
                        {
                            "res_model_id": partner_model,
                            "res_model": "res.partner",
                            "res_id": customer_id,
                            "lead_pipeline_origin_lead_id": lead_id,
                        }
                    )


def _by_id(model, ids):
    """``{id: record}`` for the given ids (falsy ones left out), the records
    sharing one prefetch set."""
    return {record.id: record for record in model.browse(list(dict.fromkeys(filter(None, ids))))}


def _sudo_values(*values):
    """``values`` (dicts and lists of dicts) with their records as superuser."""

    def sudo(value):
        if isinstance(value, models.BaseModel):
            return value.sudo()
        if isinstance(value, dict):
            return {key: sudo(item) for key, item in value.items()}
        if isinstance(value, list):
            return [sudo(item) for item in value]
        return value

    return [sudo(value) for value in values]
