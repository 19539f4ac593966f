"""Leads of lead_pipeline: type and status, and the create and write every
channel ends in; each capability extends crm.lead in its own file
(crm_lead_<capability>.py)."""

from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..logic.transitions import (
    OPEN_CATEGORIES,
)
from .internal import internal_call, scoped, scoped_value, take_flags
from .lead_contact import MIRRORED_FIELDS

# crm.lead fields whose writes may change a lead's status
STATUS_KEYS = frozenset({"lead_status_id", "active", "lead_type_id"})
LEAD_MIRRORED_FIELDS = {lead: contact for contact, lead in MIRRORED_FIELDS.items()}


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "lead_pipeline.match.mixin"]

    # computed before the INSERT, from the same salesperson, team and
    # customer as after it: otherwise the first search after a creation
    # (routing's, intake's, under the multi-company rule) writes it in an
    # UPDATE of every new row of its own
    company_id = fields.Many2one(
        compute="_compute_company_id", store=True, readonly=False, precompute=True
    )
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
    # the cached pipelines hold active statuses only (and the current one,
    # archived or not): no need to read ``active`` again on every form
    lead_allowed_status_ids = fields.Many2many(
        "lead_pipeline.status",
        compute="_compute_lead_allowed_status_ids",
        context={"active_test": False},
    )
    vat = fields.Char(string="Tax ID", help="Tax number of the prospect company.", tracking=True)
    lead_stale = fields.Boolean(
        string="Stale",
        compute="_compute_lead_stale",
        search="_search_lead_stale",
        help="Open lead with no status change and no activity for the number "
        "of days set in the CRM settings.",
    )

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

    def _match_raw_values(self, vals_list):
        return [
            (
                vals.get("vat"),
                vals.get("email_from"),
                vals.get("phone") or vals.get("mobile"),
                vals.get("partner_name"),
                vals.get("country_id"),
            )
            for vals in vals_list
        ]

    def _add_precomputed_values(self, vals_list):
        """The status category into the INSERT as well, from the status the
        creation gives or precomputes (see the matching keys' own)."""
        result = super()._add_precomputed_values(vals_list)
        status_ids = {vals.get("lead_status_id") for vals in vals_list}
        status_ids = [status_id for status_id in status_ids if type(status_id) is int and status_id]
        # a status that does not exist is the INSERT's to refuse, as before
        categories = (
            {
                status.id: status.category
                for status in self.env["lead_pipeline.status"]
                .sudo()
                .with_context(active_test=False)
                .search_fetch([("id", "in", status_ids)], ["category"])
            }
            if status_ids
            else {}
        )
        for vals in vals_list:
            status_id = vals.get("lead_status_id")
            vals["lead_status_category"] = (
                categories.get(status_id, False) if type(status_id) is int else False
            )
        return result

    def _compute_team_id(self):
        # crm's, with each salesperson's default team asked once for the
        # leads computed together (see crm.team's _get_default_team_id)
        with scoped(lead_pipeline_default_teams={}):
            return super()._compute_team_id()

    @api.depends("lead_status_id", "lead_type_id")
    def _compute_lead_allowed_status_ids(self):
        # from the cached pipelines: no query per form or card
        by_type, allowed_next = self.env["lead_pipeline.lead.type"]._pipeline_map()
        for lead in self:
            current = lead.lead_status_id._origin.id
            statuses = by_type.get(lead.lead_type_id._origin.id, ((), ()))[0]
            if allowed_next.get(current):
                statuses = [status for status in statuses if status in allowed_next[current]]
            lead.lead_allowed_status_ids = self.env["lead_pipeline.status"].browse(
                [*statuses, *([current] if current and current not in statuses else [])]
            )

    def _lead_fetch_missing(self, field_names):
        """Fetch ``field_names`` when some record lacks one in cache: a form
        computing from values its read already holds skips ``fetch()``'s
        access check, which it passed when reading them."""
        cache = self.env.cache
        if any(next(cache.get_missing_ids(self, self._fields[name]), None) for name in field_names):
            self.fetch(field_names)

    def web_read(self, specification):
        # a form: its lists (contact persons, qualification, tags) in one
        # query rather than one each
        if len(self) == 1 and type(self.id) is int:  # not a new record
            self._lead_prefetch_x2many(specification)
        return super().web_read(specification)

    def _lead_prefetch_x2many(self, field_names):
        """Put the stored one2many and many2many ``field_names`` of this lead
        in cache in one query, a subquery each, built as the ORM's own reads
        of these fields build theirs (``One2many.read``, ``Many2many.read``):
        the lines' record rules, archived lines included, in their order.
        Lists that Odoo reads otherwise (a field or a line model with a read
        or search of its own, a domain computed per record, a one2many whose
        inverse is not a plain column) are left to it; a lead that does not
        exist gets nothing."""
        cache = self.env.cache
        fnames = tuple(
            name
            for name in field_names
            if (field := self._fields.get(name))
            and type(field).read in (fields.One2many.read, fields.Many2many.read)
            and field.store
            and field.is_accessible(self.env)
            and isinstance(field.domain, list | tuple)
            and self._lead_prefetchable_comodel(field)
            and next(cache.get_missing_ids(self, field), None)
        )
        if len(fnames) < 2:
            return
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM %s AS lead_pipeline_form_lead WHERE lead_pipeline_form_lead.id = %s",
                self._lead_x2many_arrays(
                    fnames, tuple(self.env["ir.rule"]._compute_domain_context_values())
                ),
                SQL.identifier(self._table),
                self.id,
            )
        )
        if rows:
            for fname, ids in zip(fnames, rows[0], strict=True):
                cache.insert_missing(self, self._fields[fname], [tuple(ids)])

    def _lead_prefetchable_comodel(self, field):
        comodel = type(self.env[field.comodel_name])
        if (
            comodel.search_fetch is not models.BaseModel.search_fetch
            or comodel._search is not models.BaseModel._search
        ):
            return False
        if field.type == "many2many":
            return True
        inverse = self.env[field.comodel_name]._fields.get(field.inverse_name)
        return bool(inverse and inverse.type == "many2one" and inverse.store)

    @api.model
    @tools.ormcache("self.env.uid", "self.env.su", "self.env.lang", "fnames", "rule_key")
    def _lead_x2many_arrays(self, fnames, rule_key):
        """``ARRAY(subquery), ...`` of the lists ``fnames`` of the lead
        aliased ``lead_pipeline_form_lead``: each subquery correlated to it,
        so that the statement is built once per user, language and record
        rules (``rule_key``: what keys Odoo's cache of rule domains), not at
        every form."""
        lead_id = SQL.identifier("lead_pipeline_form_lead", "id")
        arrays = []
        for fname in fnames:
            field = self._fields[fname]
            comodel = self.env[field.comodel_name].with_context(
                **{"active_test": False, **field.context}
            )
            domain = list(field.domain)
            if field.type == "one2many":
                query = comodel._search(domain, order=comodel._order)
                query.add_where(
                    SQL(
                        "%s = %s",
                        SQL.identifier(
                            comodel._table,
                            field.inverse_name,
                            # as the domain of Odoo's read flushes it
                            to_flush=comodel._fields[field.inverse_name],
                        ),
                        lead_id,
                    )
                )
                arrays.append(SQL("ARRAY(%s)", query.select()))
                continue
            query = comodel._where_calc(domain)
            comodel._apply_ir_rules(query, "read")
            query.order = comodel._order_to_sql(comodel._order, query)
            column1 = SQL.identifier(field.relation, field.column1)
            column2 = SQL.identifier(field.relation, field.column2)
            query.add_join(
                "JOIN",
                field.relation,
                None,
                SQL("%s = %s", column2, SQL.identifier(comodel._table, "id")),
            )
            query.add_where(SQL("%s = %s", column1, lead_id))
            arrays.append(SQL("ARRAY(%s)", query.select(column2)))
        return SQL(", ").join(arrays)

    def _compute_lead_stale(self):
        # the kanban reads only its own columns: fetch just what the domain
        # needs, not every column of the cards (one narrow query per column)
        self._lead_fetch_missing(["lead_status_category", "lead_status_date"])
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

    def init(self):
        res = super().init()
        # the Lead Types overview counts all leads by type and status
        # category: an index-only scan, not a read of the whole table
        tools.create_index(
            self.env.cr,
            "crm_lead_lead_pipeline_type_category_index",
            self._table,
            ["lead_type_id", "lead_status_category", "company_id"],
            where="type = 'lead'",
        )
        return res

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

    @api.model_create_multi
    def create(self, vals_list):
        flags = take_flags(self)
        if not (flags.get("sync") or flags.get("bookkeeping")):
            self._lead_pipeline_check_bookkeeping(
                {fname for vals in vals_list for fname in vals}
                | {key[8:] for key in self.env.context if key.startswith("default_")}
            )
        channel = self._lead_pipeline_intake_channel()
        intake_flags = self._lead_pipeline_intake_check(vals_list, channel) if channel else {}
        for vals in vals_list:
            # an empty import cell or API value means "the default", not "none"
            for fname in ("lead_type_id", "lead_status_id"):
                if fname in vals and not vals[fname]:
                    del vals[fname]
        leads = super().create(vals_list)
        if intake_flags:
            leads._lead_pipeline_intake_flagged(intake_flags)
        if not flags.get("mirroring"):
            leads._lead_contact_create_from_lead(
                [
                    lead
                    for lead, vals in zip(leads, vals_list, strict=True)
                    if "lead_contact_ids" not in vals
                ]
            )
        leads._lead_qualification_sync()
        if not (flags.get("sync") or flags.get("bookkeeping")):
            leads._lead_status_check_entered()
        leads._lead_pipeline_route_created(vals_list)
        return leads

    @api.model
    def _lead_pipeline_bookkeeping_fields(self):
        """Fields only the addon's own steps write (conversion, status moves,
        intake, routing, deadlines); extend to add yours."""
        return {
            "lead_status_date",
            "lead_converted_date",
            "lead_converted_by_id",
            "lead_converted_partner_ids",
            "lead_converted_partner_count",
            "lead_created_partner_ids",
            "lead_duplicate_of_id",
            "lead_duplicate_partner_id",
            "lead_web_form_id",
            "lead_consent_text",
            "lead_consent_date",
            "lead_routed_date",
            "lead_qualified_date",
            "lead_reminded",
            "lead_escalated",
        }

    @api.model
    def _lead_pipeline_check_bookkeeping(self, fnames):
        """Refuse a client's create or write that sets bookkeeping fields,
        naming them; sales managers correct them with the dedicated action."""
        self._match_check_not_set(fnames)
        refused = fnames & self._lead_pipeline_bookkeeping_fields()
        if refused:
            labels = sorted(
                self._fields[fname].get_description(self.env)["string"] for fname in refused
            )
            raise UserError(
                self.env._(
                    "These fields are kept by Lead Pipeline itself and cannot be set "
                    "directly: %(fields)s. A sales manager can correct them with "
                    "Correct Bookkeeping on the lead.",
                    fields=", ".join(labels),
                )
            )

    def _load_records_create(self, vals_list):
        # XML data files (demo leads dated in the past) are code; an import
        # (load, which also ends here) is a client and is checked
        if scoped_value("lead_pipeline_load"):
            return super()._load_records_create(vals_list)
        with internal_call(self.browse(), bookkeeping=True):
            return super()._load_records_create(vals_list)

    def _load_records_write(self, values):
        if scoped_value("lead_pipeline_load"):
            return super()._load_records_write(values)
        with internal_call(self, bookkeeping=True):
            return super()._load_records_write(values)

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

    def _lead_pipeline_closed(self):
        """The converted leads among these (converted without an opportunity,
        not being converted right now): closed, and their contact persons and
        qualification answers with them."""
        going_on = scoped_value("lead_pipeline_converting_ids") or ()
        return self.sudo().filtered(
            lambda lead: (
                lead.lead_converted_date and lead.type == "lead" and lead.id not in going_on
            )
        )

    def _lead_pipeline_check_open(self, children):
        """Refuse changing the ``children`` ("contacts" or "answers") of
        converted leads, as the lead itself: only sales managers may, and the
        addon's own steps (superuser, or the internal flags their callers
        check)."""
        if self.env.su or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        closed = self._lead_pipeline_closed()
        if not closed:
            return
        leads = ", ".join(closed.mapped("display_name"))
        if children == "contacts":
            message = self.env._(
                "These leads were converted and are closed: only a sales manager may "
                "change their contact persons: %(leads)s",
                leads=leads,
            )
        else:
            message = self.env._(
                "These leads were converted and are closed: only a sales manager may "
                "change their qualification answers: %(leads)s",
                leads=leads,
            )
        raise UserError(message)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_converted(self):
        """A converted lead is the record of where a customer came from: it
        goes only once its conversion is undone (code running as superuser,
        such as an uninstall or a cleanup, still may)."""
        if self.env.su:
            return
        converted = self.sudo().filtered(
            lambda lead: lead.lead_converted_date and lead.type == "lead"
        )
        if converted:
            raise UserError(
                self.env._(
                    "These leads were converted and cannot be deleted; undo the "
                    "conversion first: %(leads)s",
                    leads=", ".join(converted.mapped("display_name")),
                )
            )

    def write(self, vals):
        flags = take_flags(self)
        if flags.get("sync"):
            # a step of the addon's own: statuses and mirroring handled there
            return super().write(vals)
        if not (flags.get("converting") or flags.get("bookkeeping")):
            self._lead_pipeline_check_bookkeeping(set(vals))
            # written, the status's category would stick (a create's value, a
            # list grouped by category's default, is computed again)
            self._match_check_not_set(set(vals), ("lead_status_category",))
        if not flags.get("converting"):
            self._lead_check_converted_read_only(vals)
        # a record becoming a lead, or a lead changing type, may keep a status
        # it never entered in that pipeline: checked below as if entered
        entering = self.browse()
        if not (flags.get("force_status") or flags.get("converting")):
            if vals.get("type") == "lead":
                entering = self.filtered(lambda lead: lead.type != "lead")
            if "lead_type_id" in vals:
                entering = self
        if STATUS_KEYS & vals.keys():
            if "lead_qualification_ids" in vals:
                # the form saves answers and the status it enters in one write:
                # answers first, so that the move is checked against them
                vals = dict(vals)
                self.write({"lead_qualification_ids": vals.pop("lead_qualification_ids")})
            res = self._lead_status_write(vals, force=flags.get("force_status", False))
        else:
            res = super().write(vals)
        if not flags.get("mirroring") and LEAD_MIRRORED_FIELDS.keys() & vals.keys():
            self._lead_contact_sync_from_lead()
        if "lead_type_id" in vals:
            self._lead_qualification_sync()
        if entering:
            entering._lead_status_check_entered()
        if "type" in vals and self._lead_pipeline_converts_leads_only():
            # record rules are checked before a write: a Leads Only user must
            # not turn a lead into an opportunity they could not see
            self.check_access("write")
        return res
