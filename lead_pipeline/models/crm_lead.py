from ast import literal_eval
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup
from psycopg2 import IntegrityError
from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.http import request
from odoo.tools import (
    SQL,
    email_normalize,
    html2plaintext,
    is_html_empty,
    parse_contact_from_email,
)
from odoo.tools.mail import generate_tracking_message_id

from ..controllers.rpc import EXTERNAL_API_CALL
from ..logic.intake import decide
from ..logic.matching import KEY_ORDER, group_rows
from ..logic.routing import resolve_substitute
from ..logic.transitions import (
    OPEN_CATEGORIES,
    missing_required,
    most_advanced,
    move_allowed,
)
from .lead_contact import MIRRORED_FIELDS
from .routing_engine import RoutingContext

# crm.lead fields whose writes may change a lead's status
STATUS_KEYS = frozenset({"lead_status_id", "active", "lead_type_id"})
LEAD_MIRRORED_FIELDS = {lead: contact for contact, lead in MIRRORED_FIELDS.items()}
#: above this many leads, rule conditions are evaluated by the database
SQL_FILTER_THRESHOLD = 200
#: above this many leads, routing writes its chatter notes and the followers
#: Odoo would add in one INSERT each
SQL_BATCH_THRESHOLD = 200


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "lead_pipeline.match.mixin"]

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    # Every column added here stays nullable: Odoo's own crm tests insert
    # leads while only crm is loaded.
    lead_type_id = fields.Many2one(
        "lead_pipeline.lead.type",
        index=True,
        tracking=True,
        check_company=True,
        compute="_compute_lead_type_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    lead_status_id = fields.Many2one(
        "lead_pipeline.status",
        string="Status",
        index=True,
        tracking=True,
        copy=False,
        check_company=True,
        ondelete="restrict",
        compute="_compute_lead_status_id",
        store=True,
        readonly=False,
        precompute=True,
        group_expand="_read_group_lead_status_ids",
        domain="[('id', 'in', lead_allowed_status_ids)]",
    )
    lead_status_category = fields.Selection(
        related="lead_status_id.category", store=True, string="Status Category"
    )
    lead_status_date = fields.Datetime(
        string="In Status Since",
        default=fields.Datetime.now,
        copy=False,
        readonly=True,
    )
    lead_allowed_status_ids = fields.Many2many(
        "lead_pipeline.status", compute="_compute_lead_allowed_status_ids"
    )
    lead_status_history_ids = fields.One2many(
        "lead_pipeline.status.history", "lead_id", string="Status History"
    )
    lead_contact_ids = fields.One2many(
        "lead_pipeline.lead.contact", "lead_id", string="Contact Persons"
    )
    # stored, hence prefetched with the lead: merging (run in bulk by Odoo's
    # assignment) moves contacts and history only when there are some
    lead_contact_count = fields.Integer(
        compute="_compute_lead_contact_count", store=True, string="Contact Persons Count"
    )
    lead_status_change_count = fields.Integer(
        compute="_compute_lead_status_change_count", store=True, string="Status Changes"
    )
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
    lead_duplicate_of_id = fields.Many2one(
        "crm.lead", "Possible Duplicate Of", index="btree_not_null", copy=False, readonly=True
    )
    lead_duplicate_partner_id = fields.Many2one(
        "res.partner", "Existing Customer", index="btree_not_null", copy=False, readonly=True
    )
    lead_web_form_id = fields.Many2one(
        "lead_pipeline.web.form", "Web Form", index="btree_not_null", copy=False, readonly=True
    )
    lead_consent_text = fields.Text("Consent Given To", copy=False, readonly=True)
    lead_consent_date = fields.Datetime("Consent Date", copy=False, readonly=True)
    vat = fields.Char(string="Tax ID", help="Tax number of the prospect company.", tracking=True)
    lead_stale = fields.Boolean(
        string="Stale",
        compute="_compute_lead_stale",
        search="_search_lead_stale",
        help="Open lead with no status change and no activity for the number "
        "of days set in the CRM settings.",
    )

    # routing
    lead_routed_date = fields.Datetime(
        "Routed On", readonly=True, copy=False, index="btree_not_null"
    )

    lead_routing_log_ids = fields.One2many("lead_pipeline.routing.log", "lead_id", string="Routing")

    lead_pipeline_substitute_ids = fields.Many2many(
        "res.users",
        string="Substitutes Now",
        compute="_compute_lead_pipeline_substitute_ids",
        search="_search_lead_pipeline_substitute_ids",
        help="Who works this lead while its salesperson is away.",
    )
    # qualification and status deadlines
    lead_qualification_ids = fields.One2many(
        "lead_pipeline.lead.qualification", "lead_id", string="Qualification"
    )

    lead_qualification_score = fields.Float(
        "Qualification Score",
        compute="_compute_lead_qualification_score",
        store=True,
        aggregator="avg",
        digits=(5, 1),
        help="Share of the type's qualification criteria met, in percent; apart "
        "from Odoo's predictive lead scoring (probability).",
    )

    lead_qualified_date = fields.Datetime("Qualified On", readonly=True, copy=False)

    lead_deadline = fields.Datetime(
        "Status Deadline",
        compute="_compute_lead_deadlines",
        store=True,
        index="btree_not_null",
        help="When the lead has overstayed its status and its owner is reminded.",
    )

    lead_escalation_date = fields.Datetime(
        "Escalation Date", compute="_compute_lead_deadlines", store=True
    )

    lead_overdue = fields.Boolean(
        "Overdue", compute="_compute_lead_overdue", search="_search_lead_overdue"
    )

    lead_reminded = fields.Boolean(readonly=True, copy=False)

    lead_escalated = fields.Boolean(readonly=True, copy=False)

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    @api.depends("type")
    def _compute_lead_type_id(self):
        default_type = None
        for lead in self:
            if lead.type != "lead" or lead.lead_type_id:
                continue
            if default_type is None:
                default_type = self.env["lead_pipeline.lead.type"]._get_default_type()
            lead.lead_type_id = default_type

    @api.depends("lead_type_id")
    def _compute_lead_status_id(self):
        for lead in self:
            lead_type = lead.lead_type_id
            if lead.type != "lead" or not lead_type:
                continue  # opportunities keep whatever they had
            if not lead.lead_status_id or lead.lead_status_id not in lead_type.status_ids:
                lead.lead_status_id = lead_type._get_default_status()

    @api.depends("vat", "email_from", "phone", "mobile", "partner_name", "country_id")
    def _compute_match_keys(self):
        for lead in self:
            lead.update(
                lead._match_keys_from(
                    vat=lead.vat,
                    email=lead.email_from,
                    phone=lead.phone or lead.mobile,
                    company_name=lead.partner_name,
                    country=lead.country_id,
                )
            )

    @api.depends("lead_status_id", "lead_type_id", "lead_converted_date", "type", "active")
    def _compute_lead_can_convert(self):
        for lead in self:
            lead.lead_can_convert = bool(
                lead.type == "lead"
                and lead.active
                and not lead.lead_converted_date
                and lead.lead_status_id in lead.lead_type_id._get_convert_statuses()
            )

    @api.depends("lead_contact_ids")
    def _compute_lead_contact_count(self):
        for lead in self:
            lead.lead_contact_count = len(lead.lead_contact_ids)

    @api.depends("lead_status_history_ids")
    def _compute_lead_status_change_count(self):
        for lead in self:
            lead.lead_status_change_count = len(lead.lead_status_history_ids)

    @api.depends("lead_status_id", "lead_type_id")
    def _compute_lead_allowed_status_ids(self):
        for lead in self:
            statuses = lead.lead_type_id.status_ids
            current = lead.lead_status_id
            if current.allowed_next_ids:
                statuses = statuses & current.allowed_next_ids
            lead.lead_allowed_status_ids = statuses | current

    def _compute_lead_stale(self):
        stale = self.filtered_domain(self._lead_stale_domain())
        for lead in self:
            lead.lead_stale = lead in stale

    def _search_lead_stale(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise ValidationError(self.env._("Unsupported search on stale leads."))
        domain = self._lead_stale_domain()
        if (operator == "=") == value:
            return domain
        return ["!", *domain] if len(domain) == 1 else ["!", "&", *domain]

    def _lead_stale_domain(self):
        days = int(self.env["ir.config_parameter"].sudo().get_param("lead_pipeline.stale_days", 14))
        cutoff = fields.Datetime.now() - timedelta(days=days)
        return [
            "&",
            "&",
            ("lead_status_category", "in", OPEN_CATEGORIES),
            ("lead_status_date", "<", cutoff),
            ("activity_ids", "=", False),
        ]

    @api.model
    def _read_group_lead_status_ids(self, statuses, domain):
        """Show the pipeline's empty statuses too: those of the type being
        looked at, or every status in the all-types view."""
        type_id = self.env.context.get("lead_pipeline_type_id") or self.env.context.get(
            "default_lead_type_id"
        )
        if type_id:
            lead_type = self.env["lead_pipeline.lead.type"].browse(type_id)
            return lead_type.status_ids | statuses
        return statuses.search([("active", "=", True)]) | statuses

    # ------------------------------------------------------------
    # CRUD
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        channel = self._lead_pipeline_intake_channel()
        flags = self._lead_pipeline_intake_check(vals_list, channel) if channel else {}
        for vals in vals_list:
            # an empty import cell or API value means "the default", not "none"
            for fname in ("lead_type_id", "lead_status_id"):
                if fname in vals and not vals[fname]:
                    del vals[fname]
        leads = super().create(vals_list)
        if flags:
            leads._lead_pipeline_intake_flagged(flags)
        if not self.env.context.get("lead_pipeline_mirroring"):
            leads._lead_contact_create_from_lead(
                [
                    lead
                    for lead, vals in zip(leads, vals_list, strict=True)
                    if "lead_contact_ids" not in vals
                ]
            )
        leads._lead_qualification_sync()
        leads._lead_pipeline_route_created(vals_list)
        return leads

    def _check_company(self, fnames=None):
        """Odoo's check, made once per company and field over the union of
        the linked records instead of once per lead and field: routing or
        importing thousands of leads writes a handful of distinct
        salespeople and teams. The check is per linked record, so the union
        passes exactly when every lead does; when it fails, Odoo's own check
        runs on that company's leads and words the error."""
        if len(self) < 2:
            return super()._check_company(fnames)
        if fnames is None or {"company_id", "company_ids"} & set(fnames):
            fnames = self._fields
        checked = [
            name
            for name in fnames
            if self._fields[name].relational and self._fields[name].check_company
        ]
        if any(self._fields[name].company_dependent for name in checked):
            return super()._check_company(fnames)
        by_company = defaultdict(list)
        for lead in self.sudo():
            by_company[lead.company_id].append(lead.id)
        for company, lead_ids in by_company.items():
            leads = self.sudo().browse(lead_ids)
            for name in checked:
                linked = leads.mapped(name)
                domain = linked and linked._check_company_domain(company)
                if domain and linked != linked.with_context(active_test=False).filtered_domain(
                    domain
                ):
                    super(CrmLead, self.browse(lead_ids))._check_company(fnames)
                    break
        return None

    def write(self, vals):
        context = self.env.context
        if not context.get("lead_pipeline_converting"):
            self._lead_check_converted_read_only(vals)
        if context.get("lead_pipeline_status_sync"):
            # a step of _lead_status_write: statuses and mirroring handled there
            return super().write(vals)
        if STATUS_KEYS & vals.keys():
            if "lead_qualification_ids" in vals:
                # the form saves answers and the status it enters in one write:
                # answers first, so that the move is checked against them
                vals = dict(vals)
                self.write({"lead_qualification_ids": vals.pop("lead_qualification_ids")})
            res = self._lead_status_write(vals)
        else:
            res = super().write(vals)
        if not context.get("lead_pipeline_mirroring") and LEAD_MIRRORED_FIELDS.keys() & vals.keys():
            self._lead_contact_sync_from_lead()
        if "lead_type_id" in vals:
            self._lead_qualification_sync()
        return res

    # ------------------------------------------------------------
    # STATUSES
    # ------------------------------------------------------------

    def _lead_status_write(self, vals):
        """Write ``vals`` checking status moves, keeping the disqualified
        status and Odoo's lost / restore in step, and logging the history."""
        leads = self.filtered(lambda lead: lead.type == "lead")
        before = {lead.id: (lead.lead_status_id, lead.lead_status_date) for lead in leads}
        groups = self._lead_status_write_groups(vals, leads)
        res = True
        for records, group_vals in groups:
            res = records.with_context(lead_pipeline_status_sync=True).write(group_vals) and res
        self._lead_status_log(before)
        return res

    def _lead_status_write_groups(self, vals, leads):
        """Split the write into (records, values) groups: one status target
        may imply archiving or restoring, and lost / restore imply a status
        that differs per lead type."""
        Status = self.env["lead_pipeline.status"]
        if "lead_status_id" in vals:
            target = Status.browse(vals["lead_status_id"])
            if not target:
                return [(self, vals)]
            movers = leads.filtered(lambda lead: lead.lead_status_id != target)
            if movers and not self.env.context.get("lead_pipeline_force_status"):
                movers._lead_check_status_move(target, vals)
            if "active" in vals:
                return [(self, vals)]
            if target.category == "disqualified":
                special = movers.filtered("active")
                extra = {"active": False}
            else:
                special = movers.filtered(lambda lead: not lead.active)
                extra = {"active": True, "lost_reason_id": False}
            groups = [(self - special, vals)] if self - special else []
            if special:
                groups.append((special, {**vals, **extra}))
            return groups
        if "active" not in vals:
            return [(self, vals)]
        if not vals["active"]:
            targets = {
                lead: lead.lead_type_id._first_status("disqualified")
                for lead in leads
                if lead.active
                and lead.lead_status_id
                and lead.lead_status_category != "disqualified"
            }
        else:
            restoring = leads.filtered(
                lambda lead: not lead.active and lead.lead_status_category == "disqualified"
            )
            targets = restoring._lead_status_before_disqualified()
        by_target = {}
        for lead, status in targets.items():
            if status:
                by_target.setdefault(status, self.browse())
                by_target[status] |= lead
        changed = self.browse().union(*by_target.values()) if by_target else self.browse()
        groups = [(self - changed, vals)] if self - changed else []
        groups += [
            (records, {**vals, "lead_status_id": status.id})
            for status, records in by_target.items()
        ]
        return groups

    def _lead_status_before_disqualified(self):
        """Status each lead had before it was disqualified (from its history),
        else its type's default status."""
        if not self:
            return {}
        history = (
            self.env["lead_pipeline.status.history"]
            .sudo()
            .search(
                [("lead_id", "in", self.ids), ("to_status_category", "=", "disqualified")],
                order="date desc, id desc",
            )
        )
        previous = {}
        for row in history:
            previous.setdefault(row.lead_id.id, row.from_status_id)
        result = {}
        for lead in self:
            status = previous.get(lead.id)
            if (
                not status
                or status.category == "disqualified"
                or (lead.lead_type_id and status not in lead.lead_type_id.status_ids)
            ):
                status = lead.lead_type_id._get_default_status() if lead.lead_type_id else status
            result[lead] = status
        return result

    def _lead_check_status_move(self, target, vals):
        """Refuse the whole write when any lead may not enter ``target``,
        naming every failing lead and why, in one message."""
        Type = self.env["lead_pipeline.lead.type"]
        infos = (self.lead_status_id | target)._status_info()
        target_info = infos[target.id]
        new_type = Type.browse(vals["lead_type_id"]) if "lead_type_id" in vals else None
        errors = []
        for lead in self:
            lead_type = new_type if new_type is not None else lead.lead_type_id
            if lead_type and target not in lead_type.status_ids:
                errors.append(
                    self.env._(
                        "%(lead)s: status %(status)s is not part of the %(type)s pipeline.",
                        lead=lead.display_name,
                        status=target.name,
                        type=lead_type.name,
                    )
                )
                continue
            current = infos.get(lead.lead_status_id.id)
            if not move_allowed(current, target_info):
                allowed = lead.lead_status_id.allowed_next_ids.mapped("name")
                errors.append(
                    self.env._(
                        "%(lead)s: moving from %(current)s to %(target)s is not "
                        "allowed (allowed: %(allowed)s).",
                        lead=lead.display_name,
                        current=current.name,
                        target=target.name,
                        allowed=", ".join(allowed),
                    )
                )
                continue
            values = {
                fname: vals[fname] if fname in vals else lead[fname]
                for fname, _label in target_info.required_fields
            }
            missing = missing_required(target_info, values)
            if missing:
                errors.append(
                    self.env._(
                        "%(lead)s: fill in %(fields)s to enter status %(status)s.",
                        lead=lead.display_name,
                        fields=", ".join(missing),
                        status=target.name,
                    )
                )
                continue
            unmet = target.require_qualification and lead.lead_qualification_ids.filtered(
                lambda line: line.state != "met"
            )
            if unmet:
                errors.append(
                    self.env._(
                        "%(lead)s: qualification criteria not met: %(criteria)s.",
                        lead=lead.display_name,
                        criteria=", ".join(unmet.mapped("name")),
                    )
                )
        if errors:
            raise ValidationError(
                self.env._(
                    "%(count)s lead(s) cannot move to status %(status)s; nothing was changed.\n%(errors)s",
                    count=len(errors),
                    status=target.name,
                    errors="\n".join(errors),
                )
            )

    def _lead_status_log(self, before):
        """One history row per lead whose status changed, in one batch; leads
        are routed first (rules firing on status entry), so that what entering
        the status starts (activity plans, reminders) goes to the new owner."""
        if not before:
            return
        if self.env["lead_pipeline.routing.rule"]._active_rule_ids():
            moved = self.browse(
                [
                    lead_id
                    for lead_id, (status, _date) in before.items()
                    if self.browse(lead_id).lead_status_id != status
                ]
            )
            if moved:
                moved._lead_pipeline_route("status")
        now = fields.Datetime.now()
        rows = []
        changed = self.browse()
        for lead in self.browse(list(before)):
            old_status, old_date = before[lead.id]
            if lead.lead_status_id == old_status:
                continue
            changed |= lead
            rows.append(lead._prepare_status_history_values(old_status, old_date, now))
        if rows:
            self.env["lead_pipeline.status.history"].sudo().create(rows)
            changed._lead_status_entered(now)

    def _lead_status_entered(self, now):
        """Leads that just entered their status (after a move), in batch:
        deadlines start afresh, first qualification is dated, the status's
        e-mail goes out and its activity plan starts."""
        self.with_context(lead_pipeline_status_sync=True).write(
            self._lead_status_entered_values(now)
        )
        qualified = self.filtered(
            lambda lead: lead.lead_status_category == "qualified" and not lead.lead_qualified_date
        )
        if qualified:
            qualified.with_context(lead_pipeline_status_sync=True).write(
                {"lead_qualified_date": now}
            )
        by_status = defaultdict(self.browse)
        for lead in self:
            status = lead.lead_status_id
            if status.mail_template_id or status.activity_plan_id:
                by_status[status] |= lead
        for status, leads in by_status.items():
            if status.mail_template_id:
                leads._lead_send_status_template(status.mail_template_id)
            if status.activity_plan_id:
                leads._lead_launch_plan(status.activity_plan_id)

    def _lead_status_entered_values(self, now):
        return {"lead_status_date": now, "lead_reminded": False, "lead_escalated": False}

    def _prepare_status_history_values(self, old_status, old_date, now):
        self.ensure_one()
        hours = (now - old_date).total_seconds() / 3600.0 if old_date else 0.0
        return {
            "lead_id": self.id,
            "lead_type_id": self.lead_type_id.id,
            "from_status_id": old_status.id,
            "to_status_id": self.lead_status_id.id,
            "user_id": self.env.uid,
            "date": now,
            "duration_hours": max(hours, 0.0),
        }

    # ------------------------------------------------------------
    # CONTACT PERSONS
    # ------------------------------------------------------------

    def _lead_contact_values(self):
        """Values of the primary contact as the lead shows them; none when
        the lead names no person, or is already linked to a customer (that
        customer is its contact)."""
        self.ensure_one()
        name = self.contact_name
        if not name or self.partner_id:
            return {}
        values = {
            contact_field: self[lead_field] or False
            for lead_field, contact_field in LEAD_MIRRORED_FIELDS.items()
        }
        values["name"] = name
        values["lang"] = self.lang_id.code or False
        return values

    def _lead_contact_create_from_lead(self, leads):
        """Business-card rule at creation: a company only gives a lead, a
        company and a person a lead with that person as contact, a person
        only a lead for that person, with the person as contact."""
        vals_list = []
        for lead in leads:
            if lead.type != "lead":
                continue
            values = lead._lead_contact_values()
            if values:
                vals_list.append({**values, "lead_id": lead.id, "primary": True})
        if vals_list:
            self.env["lead_pipeline.lead.contact"].sudo().with_context(
                lead_pipeline_mirroring=True
            ).create(vals_list)

    def _lead_contact_sync_from_lead(self):
        leads = self.filtered(lambda lead: lead.type == "lead")
        if not leads:
            return
        Contact = (
            self.env["lead_pipeline.lead.contact"].sudo().with_context(lead_pipeline_mirroring=True)
        )
        primaries = {
            contact.lead_id.id: contact
            for contact in Contact.search([("lead_id", "in", leads.ids), ("primary", "=", True)])
        }
        missing = self.browse()
        for lead in leads:
            contact = primaries.get(lead.id)
            if not contact:
                missing |= lead
                continue
            values = {
                contact_field: lead[lead_field] or False
                for lead_field, contact_field in LEAD_MIRRORED_FIELDS.items()
                if contact[contact_field] != (lead[lead_field] or False)
            }
            if values.get("name") is False:
                values.pop("name")  # a contact keeps its name
            if values:
                contact.write(values)
        if missing:
            self._lead_contact_create_from_lead(missing)

    # ------------------------------------------------------------
    # MERGE
    # ------------------------------------------------------------

    def _merge_opportunity(self, user_id=False, team_id=False, auto_unlink=True, max_length=5):
        # the surviving lead takes the most advanced status without the
        # entry checks: merging is not a user moving a lead along
        return super(
            CrmLead, self.with_context(lead_pipeline_force_status=True)
        )._merge_opportunity(
            user_id=user_id, team_id=team_id, auto_unlink=auto_unlink, max_length=max_length
        )

    def _merge_get_fields_specific(self):
        fields_specific = super()._merge_get_fields_specific()
        fields_specific["lead_status_id"] = lambda fname, leads: self._merge_lead_status(leads)
        return fields_specific

    @api.model
    def _merge_lead_status(self, leads):
        """Most advanced status among the merged leads that fits the
        surviving (first) lead's pipeline."""
        head = leads[:1]
        statuses = leads.lead_status_id
        if len(statuses) <= 1:
            # the usual case (duplicates merged at assignment): nothing to read
            return head.lead_status_id.id
        if head.lead_type_id:
            statuses &= head.lead_type_id.status_ids
        best = most_advanced(list(statuses._status_info().values()))
        return best.id if best else head.lead_status_id.id

    def _merge_data(self, fnames=None):
        data = super()._merge_data(fnames=fnames)
        if data.get("lead_status_id") == self[:1].lead_status_id.id:
            data.pop("lead_status_id")  # unchanged: no status write at all
        return data

    def _merge_dependences(self, opportunities):
        res = super()._merge_dependences(opportunities)
        self._merge_dependences_lead_pipeline(opportunities)
        return res

    def _merge_dependences_lead_pipeline(self, opportunities):
        """Gather contact persons and status history on the surviving lead,
        in one statement, and none when there is nothing to move (merging
        runs in bulk during Odoo's assignment)."""
        if not any(
            lead.lead_contact_count or lead.lead_status_change_count for lead in opportunities
        ):
            return
        self.env["lead_pipeline.lead.contact"].flush_model(["lead_id", "primary"])
        self.env["lead_pipeline.status.history"].flush_model(["lead_id"])
        self.env.cr.execute(
            """
            WITH moved AS (
                UPDATE lead_pipeline_lead_contact
                   SET lead_id = %(head)s,
                       "primary" = "primary" AND NOT EXISTS (
                           SELECT 1 FROM lead_pipeline_lead_contact c
                            WHERE c.lead_id = %(head)s AND c."primary")
                 WHERE lead_id IN %(tail)s
            )
            UPDATE lead_pipeline_status_history SET lead_id = %(head)s
             WHERE lead_id IN %(tail)s
            """,
            {"head": self.id, "tail": tuple(opportunities.ids)},
        )
        self.env["lead_pipeline.lead.contact"].invalidate_model(["lead_id", "primary"])
        self.env["lead_pipeline.status.history"].invalidate_model(["lead_id"])
        (self | opportunities).invalidate_recordset(["lead_contact_ids", "lead_status_history_ids"])
        self.modified(["lead_contact_ids", "lead_status_history_ids"])

    # ------------------------------------------------------------
    # MAIL
    # ------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Mail alias intake: the lead keeps the original message as its
        request; a mail from a person only names the lead's contact; a mail
        from someone the intake policy attaches creates no lead."""
        custom_values = dict(custom_values or {})
        if not msg_dict.get("author_id") and "contact_name" not in custom_values:
            name = parse_contact_from_email(msg_dict.get("from") or "")[0]
            if name:
                custom_values["contact_name"] = name
        if msg_dict.get("body") and "description" not in custom_values:
            custom_values["description"] = msg_dict["body"]
        mail_self = self.with_context(lead_pipeline_channel="mail")
        target = mail_self._lead_pipeline_attach_target(
            [{"email_from": msg_dict.get("email_from") or msg_dict.get("from"), **custom_values}],
            "mail",
        )[0]
        if target:
            target._lead_pipeline_schedule_owner_activity(
                self.env._(
                    "New request by e-mail: %(subject)s", subject=msg_dict.get("subject") or ""
                )
            )
            # the gateway posts the message on the record message_new returns
            return target.with_context(lead_pipeline_attached=True)
        return super(CrmLead, mail_self).message_new(msg_dict, custom_values=custom_values)

    def _creation_subtype(self):
        if self.env.context.get("lead_pipeline_attached"):
            return self.env.ref("mail.mt_comment")
        return super()._creation_subtype()

    def _lead_pipeline_own_emails(self):
        """Normalized addresses of the lead and its contact persons."""
        self.ensure_one()
        emails = {self.email_normalized} | set(self.lead_contact_ids.mapped("email_normalized"))
        return {email for email in emails if email}

    def _message_post_after_hook(self, message, msg_vals):
        email_to = self.env.context.get("lead_pipeline_email_to")
        if email_to and self.type == "lead":
            # crm's hook would link a partner created from the recipient; the
            # lead has none, so the message goes out to the addresses as such
            self.env["mail.mail"].sudo().create(
                self._prepare_lead_direct_mail_values(message, email_to)
            )
        return super()._message_post_after_hook(message, msg_vals)

    def _prepare_lead_direct_mail_values(self, message, email_to):
        self.ensure_one()
        return {
            "mail_message_id": message.id,
            "email_to": ",".join(email_to),
            "body_html": message.body,
            "auto_delete": True,
            "model": self._name,
            "res_id": self.id,
        }

    # ------------------------------------------------------------
    # CONVERSION
    # ------------------------------------------------------------

    def _lead_check_converted_read_only(self, vals):
        """A lead converted without an opportunity is closed: read-only but
        for sales managers (and for the chatter and activities)."""
        if not any(
            lead.lead_converted_date and lead.type == "lead" for lead in self
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
        }

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
            values.update(self._prepare_lead_pipeline_address_values())
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

    def action_lead_pipeline_convert(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Convert Leads"),
            "res_model": "lead_pipeline.convert.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": "crm.lead", "active_ids": self.ids},
        }

    def _lead_pipeline_convert(self, create_opportunity=False):
        """Convert these leads with the matches the convert action proposes,
        as the form would without changes: for code, imports and demo data."""
        wizard = (
            self.env["lead_pipeline.convert.wizard"]
            .with_context(active_model="crm.lead", active_ids=self.ids)
            .create({"create_opportunity": create_opportunity})
        )
        return wizard.action_convert()

    def action_lead_pipeline_create_opportunity(self):
        """Second step of a two-step conversion: the converted lead becomes
        the opportunity (business case) in place, with all its information."""
        self.ensure_one()
        if not self.lead_converted_date or self.type != "lead":
            raise UserError(self.env._("Only a converted lead can get its opportunity here."))
        self.with_context(lead_pipeline_converting=True).convert_opportunity(
            self.partner_id, user_ids=self.user_id.ids, team_id=self.team_id.id
        )
        return self.redirect_lead_opportunity_view()

    def _lead_pipeline_undo_blockers(self):
        """Reasons a conversion cannot be undone; bridges add their own
        (quotations with the Sales app)."""
        self.ensure_one()
        reasons = []
        if not self.lead_converted_date:
            reasons.append(self.env._("%(lead)s was not converted.", lead=self.display_name))
        if self.type == "opportunity":
            first_stage = self._stage_find(team_id=self.team_id.id)
            if self.stage_id and first_stage and self.stage_id != first_stage:
                reasons.append(
                    self.env._(
                        "Opportunity %(lead)s has moved past its first stage.",
                        lead=self.display_name,
                    )
                )
        return reasons

    def action_lead_pipeline_undo_conversion(self):
        """Revert conversions while nothing was built on them yet."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only sales managers may undo a conversion."))
        reasons = [reason for lead in self for reason in lead._lead_pipeline_undo_blockers()]
        if reasons:
            raise UserError(self.env._("The conversion cannot be undone:\n%s", "\n".join(reasons)))
        history = self.env["lead_pipeline.status.history"].sudo()
        for lead in self:
            created = lead.lead_created_partner_ids
            previous = (
                history.search(
                    [("lead_id", "=", lead.id), ("to_status_category", "=", "converted")],
                    order="date desc, id desc",
                    limit=1,
                ).from_status_id
                or lead.lead_type_id._get_default_status()
            )
            lead.with_context(lead_pipeline_converting=True, lead_pipeline_force_status=True).write(
                {
                    "type": "lead",
                    "partner_id": False,
                    "lead_status_id": previous.id,
                    "lead_converted_date": False,
                    "lead_converted_by_id": False,
                    "lead_converted_partner_ids": [(5, 0, 0)],
                    "lead_created_partner_ids": [(5, 0, 0)],
                }
            )
            deleted, archived = lead._lead_pipeline_remove_partners(created)
            lead._message_log(
                body=self.env._(
                    "Conversion undone: back to status %(status)s. Customers deleted: "
                    "%(deleted)s. Customers archived because other documents use them: "
                    "%(archived)s.",
                    status=previous.name,
                    deleted=", ".join(deleted) or "-",
                    archived=", ".join(archived) or "-",
                )
            )
        return True

    def _lead_pipeline_remove_partners(self, partners):
        """Delete the partners a conversion created when the database lets
        them go; archive those that other documents point at."""
        deleted, archived = [], []
        # contacts before their company
        for partner in partners.sorted(lambda p: p.is_company):
            name = partner.display_name
            try:
                with self.env.cr.savepoint():
                    partner.sudo().unlink()
                deleted.append(name)
            except (IntegrityError, UserError, ValidationError):
                # another document points at it: keep it, archived
                partner.sudo().action_archive()
                archived.append(name)
        return deleted, archived

    # ------------------------------------------------------------
    # INTAKE
    # ------------------------------------------------------------

    @api.model
    def _lead_pipeline_intake_channel(self):
        """The door a lead comes in by, or None for leads created by code
        (other addons, crons, tests), which intake leaves alone."""
        context = self.env.context
        if context.get("lead_pipeline_channel"):
            return context["lead_pipeline_channel"]
        if context.get("import_file"):
            return "import"
        if EXTERNAL_API_CALL.get():
            return "api"
        if request:
            path = request.httprequest.path
            if path.startswith("/website/form"):
                return "website_form"  # Odoo's own website contact form
            if path.startswith("/web/dataset/call_kw"):
                return "api"  # typed in the web client
        return None

    @api.model
    def get_import_templates(self):
        """Odoo's templates plus one for leads with their type and contact."""
        return [
            *super().get_import_templates(),
            {
                "label": self.env._("Import Template for Lead Pipeline Leads"),
                "template": "/lead_pipeline/static/xls/lead_pipeline_leads.csv",
            },
        ]

    @api.model
    def _lead_pipeline_vals_keys(self, vals):
        country = self.env["res.country"].browse(vals.get("country_id") or [])
        keys = self._match_keys_from(
            vat=vals.get("vat"),
            email=vals.get("email_from"),
            phone=vals.get("phone") or vals.get("mobile"),
            company_name=vals.get("partner_name"),
            country=country,
        )
        return {key_type: keys[f"match_{key_type}"] or None for key_type in KEY_ORDER}

    @api.model
    def _lead_pipeline_intake_decisions(self, vals_list, channel):
        """Per values: None (a lead to create as is) or (action, kind,
        record or row index, reason), kind being customer, lead or batch.
        Whole batch: one search per key type and model, one for policies."""
        default_type = self.default_get(["type"]).get("type")
        rows = [
            index
            for index, vals in enumerate(vals_list)
            if vals.get("type", default_type) in self._lead_pipeline_intake_types()
            and not vals.get("partner_id")
        ]
        decisions = [None] * len(vals_list)
        if not rows:
            return decisions
        Matcher = self.env["lead_pipeline.matcher"]
        keys = [self._lead_pipeline_vals_keys(vals_list[index]) for index in rows]
        customers = Matcher._find_partners(keys)
        open_leads = Matcher._find_open_leads(keys)
        groups = group_rows(keys)
        policies = self.env["lead_pipeline.intake.policy"].sudo()._policy_map()
        default_type_id = self.env["lead_pipeline.lead.type"]._get_default_type().id
        for position, index in enumerate(rows):
            type_id = vals_list[index].get("lead_type_id") or default_type_id
            # someone already in the base weighs more than an open lead
            found = next(
                (
                    (match, scope, kind)
                    for match, scope, kind in (
                        (customers[position], "customer", "customer"),
                        (open_leads[position], "open_lead", "lead"),
                    )
                    if match
                ),
                None,
            )
            if found:
                (key_type, _value, records), scope, kind = found
                decisions[index] = (
                    decide(policies, type_id, channel, scope),
                    kind,
                    records[0],
                    Matcher._reason(key_type, records[0]),
                )
            elif groups[position] != position:
                first = rows[groups[position]]
                decisions[index] = (
                    decide(policies, type_id, channel, "open_lead"),
                    "batch",
                    first,
                    self.env._("same person or company as row %(row)s", row=first + 1),
                )
        return decisions

    @api.model
    def _lead_pipeline_intake_check(self, vals_list, channel):
        """Refuse (reject) or mark (flag) the values before they are created;
        returns the flags to finish once the leads exist."""
        decisions = self._lead_pipeline_intake_decisions(vals_list, channel)
        errors = [
            self.env._(
                "Row %(row)s (%(name)s): %(reason)s.",
                row=index + 1,
                name=vals_list[index].get("name") or vals_list[index].get("email_from") or "",
                reason=decision[3],
            )
            for index, decision in enumerate(decisions)
            if decision and decision[0] == "reject"
        ]
        if errors:
            raise ValidationError(
                self.env._(
                    "These leads are for someone already in the base or already an open "
                    "lead, and the intake policy refuses them:\n%s",
                    "\n".join(errors),
                )
            )
        tag = self.env.ref("lead_pipeline.crm_tag_possible_duplicate", raise_if_not_found=False)
        flags = {}
        for index, decision in enumerate(decisions):
            if not decision or decision[0] != "flag":
                continue
            _action, kind, record, reason = decision
            vals = vals_list[index]
            if tag:
                vals["tag_ids"] = [*(vals.get("tag_ids") or []), (4, tag.id)]
            if kind == "customer":
                vals["lead_duplicate_partner_id"] = record.id
            elif kind == "lead":
                vals["lead_duplicate_of_id"] = record.id
            flags[index] = (kind, record, reason)
        return flags

    def _lead_pipeline_intake_flagged(self, flags):
        """Link in-batch duplicates to the first lead of their group and give
        the owners of the existing records an activity, in batch."""
        leads = list(self)
        by_first = {}
        for index, (kind, record, _reason) in flags.items():
            if kind == "batch":
                by_first.setdefault(leads[record], self.browse())
                by_first[leads[record]] |= leads[index]
        for first, duplicates in by_first.items():
            duplicates.with_context(lead_pipeline_status_sync=True).write(
                {"lead_duplicate_of_id": first.id}
            )
        targets = self.env["crm.lead"]
        partners = self.env["res.partner"]
        notes = {}
        for index, (kind, record, reason) in flags.items():
            existing = leads[record] if kind == "batch" else record
            notes.setdefault((existing._name, existing.id), []).append(
                self.env._("%(lead)s: %(reason)s", lead=leads[index].display_name, reason=reason)
            )
            if existing._name == "crm.lead":
                targets |= existing
            else:
                partners |= existing
        for records in (targets, partners):
            records._lead_pipeline_schedule_owner_activity(
                self.env._("Possible duplicate leads came in"),
                notes={record.id: notes[(record._name, record.id)] for record in records},
            )

    @api.model
    def _lead_pipeline_attach_target(self, vals_list, channel):
        """Per values: the existing lead or customer the policy attaches the
        request to, or None."""
        decisions = self._lead_pipeline_intake_decisions(vals_list, channel)
        targets = []
        for decision in decisions:
            if decision and decision[0] == "attach" and decision[1] != "batch":
                record = decision[2]
                targets.append(
                    record.commercial_partner_id if record._name == "res.partner" else record
                )
            else:
                targets.append(None)
        return targets

    # ------------------------------------------------------------
    # IMPORT
    # ------------------------------------------------------------

    @api.model
    def load(self, fields, data):
        """Import intake: rows with no way to reach the person, with a wrong
        e-mail address, or refused by the intake policy are left out and
        reported as warnings with their row number (an error would roll the
        whole import back); phones are normalised; the rest imports."""
        if not self.env.context.get("import_file") or not data:
            return super().load(fields, data)
        kept, warnings = self._lead_pipeline_check_import_rows(fields, data)
        result = super().load(fields, [data[index] for index in kept])
        for message in result.get("messages", []):
            for key in ("from", "to"):
                if "rows" in message and message["rows"].get(key) is not None:
                    message["rows"][key] = kept[min(message["rows"][key], len(kept) - 1)]
            if isinstance(message.get("record"), int) and kept:
                message["record"] = kept[min(message["record"], len(kept) - 1)]
        result["messages"] = warnings + result.get("messages", [])
        return result

    @api.model
    def _lead_pipeline_check_import_rows(self, fields, data):
        column = {name: position for position, name in enumerate(fields)}
        country = self.env.company.country_id

        def cell(row, *names):
            for name in names:
                if name in column and column[name] < len(row) and row[column[name]]:
                    return str(row[column[name]]).strip()
            return ""

        warnings, candidates = [], []
        for index, row in enumerate(data):
            email = cell(row, "email_from")
            phones = [cell(row, "phone"), cell(row, "mobile")]
            problem = None
            if not email and not any(phones):
                problem = self.env._("no e-mail address and no phone number")
            elif email and not email_normalize(email, strict=False):
                problem = self.env._("%(email)s is not a valid e-mail address", email=email)
            if problem:
                warnings.append(self._lead_pipeline_import_warning(index, problem))
                continue
            for fname in ("phone", "mobile"):
                value = cell(row, fname)
                if value:
                    formatted = self._phone_format(number=value, country=country)
                    if formatted:
                        row[column[fname]] = formatted
            candidates.append(index)
        type_ids = self._lead_pipeline_import_types(fields, data, candidates)
        vals_list = [
            {
                "type": "lead",
                "name": cell(data[index], "name"),
                "email_from": cell(data[index], "email_from"),
                "phone": cell(data[index], "phone") or cell(data[index], "mobile"),
                "vat": cell(data[index], "vat"),
                "partner_name": cell(data[index], "partner_name"),
                "lead_type_id": type_ids.get(index),
            }
            for index in candidates
        ]
        decisions = self._lead_pipeline_intake_decisions(vals_list, "import")
        kept = []
        for index, decision in zip(candidates, decisions, strict=True):
            if decision and decision[0] == "reject":
                warnings.append(self._lead_pipeline_import_warning(index, decision[3]))
            else:
                kept.append(index)
        return kept, warnings

    @api.model
    def _lead_pipeline_import_types(self, fields, data, indexes):
        """Lead type per row when the file names one (by external id or name)."""
        Type = self.env["lead_pipeline.lead.type"]
        result = {}
        for fname in ("lead_type_id/id", "lead_type_id"):
            if fname not in fields:
                continue
            position = fields.index(fname)
            values = {data[index][position] for index in indexes if data[index][position]}
            if fname.endswith("/id"):
                found = {value: self.env.ref(value, raise_if_not_found=False) for value in values}
            else:
                types = Type.search([("name", "in", list(values))])
                found = {t.name: t for t in types}
            for index in indexes:
                record = found.get(data[index][position])
                if record:
                    result[index] = record.id
        return result

    @api.model
    def _lead_pipeline_import_warning(self, index, problem):
        return {
            "type": "warning",
            "message": self.env._(
                "Row %(row)s not imported: %(problem)s.", row=index + 1, problem=problem
            ),
            "rows": {"from": index, "to": index},
            "record": index,
        }

    # ------------------------------------------------------------
    # ROUTING
    # ------------------------------------------------------------

    def _lead_pipeline_route_created(self, vals_list):
        """Route, in one batch, the new leads whose values name no salesperson
        (Odoo's default of the current user does not count)."""
        if not self.env["lead_pipeline.routing.rule"]._active_rule_ids():
            return
        form_user = self._lead_pipeline_form_default_user()
        types = self._lead_pipeline_intake_types()
        unnamed = [
            lead.id
            for lead, vals in zip(self, vals_list, strict=True)
            if lead.type in types and (not vals.get("user_id") or vals["user_id"] == form_user)
        ]
        if unnamed:
            self.browse(unnamed)._lead_pipeline_route("create", force=True)

    @api.depends("user_id")
    def _compute_lead_pipeline_substitute_ids(self):
        substitutes = self.env["lead_pipeline.absence"]._substitutes_at(fields.Datetime.now())
        for lead in self:
            chain = resolve_substitute(lead.user_id.id, substitutes)[1] if lead.user_id else []
            lead.lead_pipeline_substitute_ids = [(6, 0, chain[1:])]

    def _search_lead_pipeline_substitute_ids(self, operator, value):
        """Leads whose salesperson is away now with one of ``value`` as
        substitute, directly or down a chain (A -> B -> C). The moment is
        taken at search time, so the record rule built on it ends with the
        absence although Odoo caches the rule's domain."""
        if operator not in ("in", "="):
            raise UserError(self.env._("Unsupported search on substitutes."))
        user_ids = [value] if isinstance(value, int) else list(value or [])
        now = fields.Datetime.now()
        absent = SQL(
            """(
            WITH RECURSIVE away AS (
                SELECT user_id, substitute_id FROM lead_pipeline_absence
                 WHERE date_from <= %(now)s AND date_to >= %(now)s
            ), chain(user_id, depth) AS (
                SELECT user_id, 1 FROM away WHERE substitute_id = ANY(%(users)s)
                UNION
                SELECT away.user_id, chain.depth + 1
                  FROM away JOIN chain ON away.substitute_id = chain.user_id
                 WHERE chain.depth < 20
            )
            SELECT user_id FROM chain
            )""",
            now=now,
            users=user_ids,
        )
        return [("user_id", "in", absent)]

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        """Whatever would reach a salesperson who is away reaches whoever
        substitutes for them too, so that no reply waits for their return."""
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if len(self) != 1 or not self.user_id or not recipients:
            return recipients
        owner_partner = self.user_id.partner_id.id
        if not any(data["id"] == owner_partner for data in recipients):
            return recipients
        substitutes = self.env["lead_pipeline.absence"]._substitutes_at(fields.Datetime.now())
        if self.user_id.id not in substitutes:
            return recipients
        substitute = resolve_substitute(self.user_id.id, substitutes)[0]
        if not substitute:
            return recipients
        partner = self.env["res.users"].browse(substitute).sudo().partner_id
        author = (msg_vals or {}).get("author_id") or message.author_id.id
        if partner.id == author or any(data["id"] == partner.id for data in recipients):
            return recipients
        msg_vals = msg_vals or {}
        extra = self.env["mail.followers"]._get_recipient_data(
            self,
            msg_vals.get("message_type") or message.message_type,
            msg_vals.get("subtype_id") or message.subtype_id.id,
            [partner.id],
        )[self.id]
        if partner.id in extra:
            recipients.append(extra[partner.id])
        return recipients

    @api.model
    def _lead_pipeline_form_default_user(self):
        """The salesperson the lead form proposes (the current user), when the
        setting routes leads typed in the web client as well; else None."""
        if not (request and request.httprequest.path.startswith("/web/dataset/call_kw")):
            return None
        routed = self.env["ir.config_parameter"].sudo().get_param("lead_pipeline.route_form_leads")
        return self.env.uid if routed else None

    def action_lead_pipeline_route(self):
        """Route again: the selected leads go through the rules as if new."""
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            raise UserError(self.env._("Only users who see all leads may route leads again."))
        routed = self._lead_pipeline_route("create", force=True)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(count)s of %(total)s leads routed.", count=len(routed), total=len(self)
                ),
                "type": "success",
                "sticky": False,
            },
        }

    @api.model
    def _cron_route_unassigned(self):
        leads = self.search(
            [
                ("type", "=", "lead"),
                ("user_id", "=", False),
                ("lead_status_category", "in", OPEN_CATEGORIES),
            ],
            limit=5000,
        )
        leads._lead_pipeline_route("create", force=True)

    def _lead_pipeline_route(self, trigger, force=False):
        """Route the leads in one batch: rules in order, each taking the leads
        its condition matches; returns the leads that got a salesperson."""
        return self._lead_pipeline_apply_routing(self._lead_pipeline_routing_plan(trigger, force))

    @api.model
    @tools.ormcache(cache="groups")
    def _lead_pipeline_intake_types(self):
        """What intake checks and routing handle: leads; with Odoo's Leads
        setting off (opportunities only, as small teams prefer), whatever
        intake creates, opportunities included. Cached with the groups."""
        group_user = self.env.ref("base.group_user").sudo()
        if self.env.ref("crm.group_use_lead") in group_user.implied_ids:
            return ("lead",)
        return ("lead", "opportunity")

    def _lead_pipeline_routing_plan(
        self, trigger, force=False, dry_run=False, inactive_rules=False
    ):
        """[(lead, rule, user or empty, explanation)] for the leads the rules
        place. A dry run takes no round-robin turn and locks nothing; it may
        include rules not enabled yet."""
        Rule = self.env["lead_pipeline.routing.rule"]
        if inactive_rules:
            rules = Rule.sudo().search([("active", "in", [True, False])])
        else:
            rules = Rule.sudo().browse(Rule._active_rule_ids())
        rules = rules.filtered(lambda rule: rule.trigger == trigger)
        types = self._lead_pipeline_intake_types()
        remaining = self.filtered(
            lambda lead: (lead.type in types and (force or not lead.user_id)) or trigger == "status"
        )
        if not rules or not remaining:
            return []
        context = RoutingContext(self.env, rules, dry_run=dry_run)
        default_company = self.env.company.id
        facts = {
            lead.id: (
                lead.company_id.id or default_company,
                lead.lead_type_id.id,
                lead.lead_status_id.id,
            )
            for lead in remaining
        }
        waiting = dict.fromkeys(remaining._ids)  # ordered ids to place (new ones in a dry run)
        plan = []
        for rule in rules:
            if not waiting:
                break
            company = rule.company_id.id
            types = set(rule.lead_type_ids.ids)
            statuses = set(rule.trigger_status_ids.ids) if rule.trigger == "status" else None
            candidates = self.browse(
                [
                    lead_id
                    for lead_id in waiting
                    if (not company or facts[lead_id][0] == company)
                    and (not types or facts[lead_id][1] in types)
                    and (statuses is None or facts[lead_id][2] in statuses)
                ]
            )
            domain = literal_eval(rule.domain or "[]")
            if domain and candidates:
                candidates = candidates._lead_pipeline_filter(domain)
            if not candidates:
                continue
            for lead, user, explanation in context.route(rule, candidates):
                plan.append((lead, rule, user, explanation))
                del waiting[lead.id]
        return plan

    def _lead_pipeline_filter(self, domain):
        """The leads matching ``domain``, in their order: in memory for a few
        leads (no query), in one query for large batches, where the database
        is much faster than evaluating the domain record by record."""
        if len(self) <= SQL_FILTER_THRESHOLD:
            return self.filtered_domain(domain)
        matching = set(
            self.sudo().with_context(active_test=False)._search([("id", "in", self.ids), *domain])
        )
        return self.filtered(lambda lead: lead.id in matching)

    def _lead_pipeline_apply_routing(self, plan):
        now = fields.Datetime.now()
        # the rule's team, else the salesperson's own: once per plan line
        teams = [rule.team_id or (user and user.sudo().sale_team_id) for _l, rule, user, _e in plan]
        by_target = defaultdict(list)
        for (lead, _rule, user, _explanation), team in zip(plan, teams, strict=True):
            by_target[(user.id if user else False, team.id if team else False)].append(lead.id)
        routed = self.browse([lead.id for lead, *_rest in plan])
        # what the team's recomputes read, read once before any write: read
        # later, each chunk's read would flush the writes pending so far, and
        # every lead would be updated twice
        routed.sudo().fetch(["lead_properties"])
        # above the threshold, the followers Odoo would add on each write are
        # added below in one INSERT
        bulk = len(plan) > SQL_BATCH_THRESHOLD
        for (user_id, team_id), lead_ids in by_target.items():
            values = {"lead_routed_date": now}
            if user_id:
                values["user_id"] = user_id
            if team_id:
                values["team_id"] = team_id
            # the routing log and the chatter note say it all, in batch; no
            # assignment mail per lead (as Odoo's own assignment does)
            self.browse(lead_ids).sudo().with_context(
                lead_pipeline_status_sync=True,
                mail_notrack=True,
                mail_auto_subscribe_no_notify=True,
                tracking_disable=bulk,
            ).write(values)
        if bulk:
            self._lead_pipeline_subscribe(by_target)
        self.env["lead_pipeline.routing.log"]._log_plan(plan, teams, now)
        routed._lead_pipeline_log_notes(
            {lead.id: explanation for lead, _rule, _user, explanation in plan}
        )
        return self.browse([lead.id for lead, _rule, user, _e in plan if user])

    def _lead_pipeline_subscribe(self, by_target):
        """Add the followers that Odoo's auto-subscription adds when a write
        sets ``user_id`` and ``team_id``, in one INSERT for the whole batch
        (the ORM creates followers one by one): the salesperson with the
        default subtypes, and the team's followers with the lead subtypes their
        team subscription implies; existing followers are left as they are.
        ``by_target`` maps (user id, team id) to lead ids."""
        Followers = self.env["mail.followers"].sudo()
        child_ids, default_ids, internal_ids, parent, relation = self.env[
            "mail.message.subtype"
        ]._get_auto_subscription_subtypes(self._name)
        team_ids = [team_id for _user_id, team_id in by_target if team_id]
        team_partners = defaultdict(dict)  # team id: {partner id: subtype ids}
        if team_ids and "team_id" in relation.get("crm.team", ()):
            for (
                _follower_id,
                team_id,
                partner_id,
                subtype_ids,
                share,
                active,
            ) in Followers._get_subscription_data(
                [("crm.team", team_ids)], None, include_pshare=True, include_active=True
            ):
                implied = [parent[sid] for sid in subtype_ids if parent.get(sid)]
                implied += [sid for sid in subtype_ids if sid not in parent and sid in child_ids]
                if partner_id and active:
                    team_partners[team_id][partner_id] = set(implied) - (
                        set(internal_ids) if share else set()
                    )
        salespeople = {
            user_id: self._message_auto_subscribe_followers({"user_id": user_id}, default_ids)
            for user_id in {user_id for user_id, _team_id in by_target}
        }
        res_ids, partner_ids, subtypes = [], [], []
        for (user_id, team_id), lead_ids in by_target.items():
            partners = dict(team_partners.get(team_id, {}))
            for partner_id, subtype_ids, _template in salespeople[user_id]:
                partners.setdefault(partner_id, subtype_ids)
            for partner_id, subtype_ids in partners.items():
                res_ids += lead_ids
                partner_ids += [partner_id] * len(lead_ids)
                subtypes += [sorted(subtype_ids)] * len(lead_ids)
        if not res_ids:
            return
        Followers.flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH wanted AS (
                    SELECT * FROM unnest(%(res_ids)s::int[], %(partner_ids)s::int[],
                                         %(subtypes)s::text[])
                        AS wanted(res_id, partner_id, subtype_ids)
                ), added AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT %(model)s, res_id, partner_id FROM wanted
                    ON CONFLICT DO NOTHING
                    RETURNING id, res_id, partner_id
                )
                INSERT INTO mail_followers_mail_message_subtype_rel
                       (mail_followers_id, mail_message_subtype_id)
                SELECT added.id, unnest(wanted.subtype_ids::int[])
                  FROM added JOIN wanted USING (res_id, partner_id)
                """,
                model=self._name,
                res_ids=res_ids,
                partner_ids=partner_ids,
                subtypes=["{" + ",".join(map(str, ids)) + "}" for ids in subtypes],
            )
        )
        Followers.invalidate_model()
        self.browse(res_ids).invalidate_recordset(
            ["message_follower_ids", "message_partner_ids", "message_is_follower"]
        )

    def _lead_pipeline_log_notes(self, texts):
        """Log an internal note on each lead of ``texts`` ({lead id: plain
        text}, escaped here) with ``_message_log_batch``; above
        SQL_BATCH_THRESHOLD leads (Route Again, the retry job, imports), the
        very same notes (the current user's partner as author, the note
        subtype, no notification, no follower) in one INSERT, as the ORM's
        work per message (defaults, sanitizing, inverse caches) would cost
        more than the routing itself."""
        if not texts:
            return
        bodies = {lead_id: Markup("<p>%s</p>") % text for lead_id, text in texts.items()}
        if len(texts) <= SQL_BATCH_THRESHOLD:
            self.browse(list(texts)).sudo()._message_log_batch(bodies=bodies)
            return
        author_id, email_from = self._message_compute_author(raise_on_email=False)
        now = fields.Datetime.now()
        lead_ids = list(texts)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_message (
                    model, res_id, body, message_type, subtype_id, is_internal,
                    author_id, email_from, reply_to, message_id, email_add_signature,
                    date, create_uid, write_uid, create_date, write_date
                )
                SELECT %(model)s, note.res_id, note.body, 'notification', %(subtype)s,
                       TRUE, %(author)s, %(email_from)s, %(reply_to)s, %(message_id)s,
                       FALSE, %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM unnest(%(lead_ids)s::int[], %(bodies)s::text[]) AS note(res_id, body)
                """,
                model=self._name,
                subtype=self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
                author=author_id,
                email_from=email_from,
                reply_to=self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False],
                message_id=generate_tracking_message_id("message-notify"),
                now=now,
                uid=self.env.uid,
                lead_ids=lead_ids,
                bodies=[str(bodies[lead_id]) for lead_id in lead_ids],
            )
        )
        self.browse(lead_ids).invalidate_recordset(
            ["message_ids", "message_needaction", "message_needaction_counter"]
        )

    # ------------------------------------------------------------
    # QUALIFICATION AND STATUS DEADLINES
    # ------------------------------------------------------------

    @api.depends("lead_qualification_ids.state")
    def _compute_lead_qualification_score(self):
        for lead in self:
            lines = lead.lead_qualification_ids
            met = len(lines.filtered(lambda line: line.state == "met"))
            lead.lead_qualification_score = 100.0 * met / len(lines) if lines else 0.0

    @api.depends(
        "type",
        "lead_status_date",
        "lead_status_id.deadline_duration",
        "lead_status_id.escalation_duration",
        "lead_status_id.deadline_unit",
        "lead_status_id.deadline_working_time",
        "company_id",
    )
    def _compute_lead_deadlines(self):
        # leads created or moved together share their start: one computation
        memo = {}
        for lead in self:
            status = lead.lead_status_id
            if lead.type != "lead" or not lead.lead_status_date or not status.deadline_duration:
                lead.lead_deadline = lead.lead_escalation_date = False
                continue
            calendar = False
            if status.deadline_working_time:
                calendar = (lead.company_id or self.env.company).resource_calendar_id
            key = (status.id, calendar.id if calendar else None, lead.lead_status_date)
            if key not in memo:
                memo[key] = (
                    self._lead_deadline_after(status, status.deadline_duration, key[2], calendar),
                    status.escalation_duration
                    and self._lead_deadline_after(
                        status, status.escalation_duration, key[2], calendar
                    ),
                )
            lead.lead_deadline, lead.lead_escalation_date = memo[key]

    @api.model
    def _lead_deadline_after(self, status, amount, start, calendar):
        """``amount`` of the status's unit after ``start``, in working time of
        ``calendar`` when given (a working day counts the calendar's hours per
        day)."""
        hours = amount * 24 if status.deadline_unit == "days" else amount
        if not calendar:
            return start + timedelta(hours=hours)
        if status.deadline_unit == "days":
            hours = amount * (calendar.hours_per_day or 8.0)
        return calendar.sudo().plan_hours(hours, start, compute_leaves=True)

    def _compute_lead_overdue(self):
        now = fields.Datetime.now()
        for lead in self:
            lead.lead_overdue = bool(
                lead.lead_deadline
                and lead.lead_deadline < now
                and lead.lead_status_category in OPEN_CATEGORIES
            )

    def _search_lead_overdue(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on overdue leads."))
        domain = [
            ("lead_deadline", "<", fields.Datetime.now()),
            ("lead_status_category", "in", OPEN_CATEGORIES),
        ]
        if (operator == "=") == value:
            return domain
        return ["!", "&", *domain]

    def _lead_qualification_sync(self):
        """Give each lead a line per criterion of its type's framework, in one
        create; lines left unanswered from another type go."""
        leads = self.filtered(lambda lead: lead.type == "lead" and lead.lead_type_id)
        if not leads:
            return
        criteria = leads.lead_type_id._qualification_criteria()
        if not criteria and not leads.lead_qualification_ids:
            return
        Line = self.env["lead_pipeline.lead.qualification"].sudo()
        create, stale = [], Line
        for lead in leads:
            wanted = criteria.get(lead.lead_type_id.id, Line.criterion_id)
            have = lead.lead_qualification_ids
            stale |= have.filtered(
                lambda line, w=wanted: line.criterion_id not in w and line.state == "unknown"
            )
            create += [
                {"lead_id": lead.id, "criterion_id": criterion.id}
                for criterion in wanted - have.criterion_id
            ]
        stale.unlink()
        Line.create(create)

    def _lead_send_status_template(self, template):
        """Queue the template for leads with an address that is not
        blacklisted (Odoo's mass mailing checks this, its templates do not)."""
        blacklisted = set(
            self.env["mail.blacklist"]
            .sudo()
            .search([("email", "in", [m for m in self.mapped("email_normalized") if m])])
            .mapped("email")
        )
        sendable = self.filtered(
            lambda lead: lead.email_normalized and lead.email_normalized not in blacklisted
        )
        if not sendable:
            return
        mails = template.sudo().send_mail_batch(sendable.ids, force_send=False)
        subject = {mail.res_id: mail.subject for mail in mails}
        sendable.sudo()._message_log_batch(
            bodies={
                lead.id: self.env._(
                    "E-mail %(template)s queued to %(email)s: %(subject)s",
                    template=template.name,
                    email=lead.email_normalized,
                    subject=html2plaintext(subject.get(lead.id) or ""),
                )
                for lead in sendable
            }
        )

    def _lead_launch_plan(self, plan):
        """The plan's activities for each lead's owner, in one create."""
        today = fields.Date.context_today(self)
        model_id = self.env["ir.model"]._get_id("crm.lead")
        values = []
        for lead in self:
            owner = lead.user_id or self.env.user
            for template in plan.template_ids:
                responsible = owner
                if template.responsible_type != "on_demand":
                    responsible = template._determine_responsible(owner, lead)["responsible"]
                values.append(
                    {
                        "res_model_id": model_id,
                        "res_id": lead.id,
                        "activity_type_id": template.activity_type_id.id,
                        "summary": template.summary,
                        "note": template.note,
                        "user_id": (responsible or owner).id,
                        "date_deadline": template._get_date_deadline(today),
                    }
                )
        if values:
            self.env["mail.activity"].sudo().create(values)

    @api.model
    def _cron_lead_deadlines(self):
        """Remind the owner once when a lead overstays its status, and tell
        the team leader (or the type's escalation user) once past the second
        threshold: activities and chatter notes, in batch."""
        now = fields.Datetime.now()
        base = [("type", "=", "lead"), ("lead_status_category", "in", OPEN_CATEGORIES)]
        overdue = self.search([*base, ("lead_deadline", "<", now), ("lead_reminded", "=", False)])
        overdue._lead_deadline_activities(escalate=False)
        escalated = self.search(
            [*base, ("lead_escalation_date", "<", now), ("lead_escalated", "=", False)]
        )
        escalated._lead_deadline_activities(escalate=True)

    def _lead_deadline_activities(self, escalate):
        if not self:
            return
        model_id = self.env["ir.model"]._get_id("crm.lead")
        todo = self.env.ref("mail.mail_activity_data_todo")
        today = fields.Date.context_today(self)
        values, bodies = [], {}
        for lead in self:
            status = lead.lead_status_id.name
            if escalate:
                user = lead.team_id.user_id or lead.lead_type_id.escalation_user_id
                summary = self.env._(
                    "Escalated: %(lead)s overstays %(status)s", lead=lead.name, status=status
                )
                bodies[lead.id] = self.env._(
                    "Escalated to %(user)s: the lead is in status %(status)s since %(since)s, "
                    "past its escalation time.",
                    user=user.name or self.env._("nobody (no team leader)"),
                    status=status,
                    since=lead.lead_status_date,
                )
            else:
                user = lead.user_id
                summary = self.env._(
                    "Overdue: %(lead)s is still in %(status)s", lead=lead.name, status=status
                )
                bodies[lead.id] = summary
            if user:
                values.append(
                    {
                        "res_model_id": model_id,
                        "res_id": lead.id,
                        "activity_type_id": todo.id,
                        "summary": summary,
                        "user_id": user.id,
                        "date_deadline": today,
                    }
                )
        self.env["mail.activity"].sudo().create(values)
        self.sudo()._message_log_batch(bodies=bodies)
        self.sudo().with_context(lead_pipeline_status_sync=True).write(
            {"lead_escalated" if escalate else "lead_reminded": True}
        )
