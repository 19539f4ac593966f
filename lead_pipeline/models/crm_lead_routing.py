from ast import literal_eval
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

from ..logic.routing import (
    Member,
    day_start_utc,
    has_room,
    least_loaded,
    resolve_substitute,
    round_robin_slots,
)

OPEN_CATEGORIES = ("new", "working", "qualified")
#: above this many leads, rule conditions are evaluated by the database
SQL_FILTER_THRESHOLD = 200


class CrmLead(models.Model):
    _inherit = "crm.lead"

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

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        # a lead whose values name no salesperson is routed (Odoo's default of
        # the current user does not count)
        if not self.env["lead_pipeline.routing.rule"]._active_rule_ids():
            return leads
        form_user = self._lead_pipeline_form_default_user()
        unnamed = [
            lead
            for lead, vals in zip(leads, vals_list, strict=True)
            if lead.type == "lead" and (not vals.get("user_id") or vals["user_id"] == form_user)
        ]
        if unnamed:
            self.browse([lead.id for lead in unnamed])._lead_pipeline_route("create", force=True)
        return leads

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

    def _lead_status_log(self, before):
        # route first, so that what entering the status starts (activity
        # plans, reminders) goes to the new owner
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
        return super()._lead_status_log(before)

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
        remaining = self.filtered(
            lambda lead: (
                (lead.type == "lead" and (force or not lead.user_id)) or trigger == "status"
            )
        )
        if not rules or not remaining:
            return []
        context = _RoutingContext(self.env, rules, dry_run=dry_run)
        default_company = self.env.company.id
        facts = {
            lead.id: (
                lead.company_id.id or default_company,
                lead.lead_type_id.id,
                lead.lead_status_id.id,
            )
            for lead in remaining
        }
        waiting = dict.fromkeys(remaining.ids)  # ordered set of ids still to place
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
        by_target = defaultdict(list)
        for lead, rule, user, _explanation in plan:
            team = rule.team_id or (user and user.sudo().sale_team_id)
            by_target[(user.id if user else False, team.id if team else False)].append(lead.id)
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
            ).write(values)
        self.env["lead_pipeline.routing.log"].sudo().create(
            [
                {
                    "lead_id": lead.id,
                    "rule_id": rule.id,
                    "user_id": user.id if user else False,
                    "team_id": (rule.team_id or (user and user.sudo().sale_team_id)).id
                    if (rule.team_id or user)
                    else False,
                    "strategy": rule.strategy,
                    "explanation": explanation,
                    "date": now,
                }
                for lead, rule, user, explanation in plan
            ]
        )
        if plan:
            self.browse([lead.id for lead, *_rest in plan]).sudo()._message_log_batch(
                bodies={lead.id: explanation for lead, _rule, _user, explanation in plan}
            )
        return self.browse([lead.id for lead, _rule, user, _e in plan if user])


class _RoutingContext:
    """What routing reads once per batch: absences, loads, owners."""

    def __init__(self, env, rules, dry_run=False):
        self.env = env
        self.dry_run = dry_run
        now = fields.Datetime.now()
        self.substitutes = env["lead_pipeline.absence"]._substitutes_at(now)
        users = rules.member_ids.user_id | rules.fixed_user_id | rules.fallback_user_id
        users |= env["res.users"].browse([u for u in self.substitutes.values() if u])
        users = users.sudo()
        self.names = {user.id: user.name for user in users}
        day_starts = {user.id: day_start_utc(now, user.tz) for user in users}
        counted = any(rule.strategy in ("least_loaded", "capacity") for rule in rules)
        self.open_counts, self.daily_counts = {}, {}
        if counted and users:
            self._count_loads(day_starts)

    def _count_loads(self, day_starts):
        """Open leads per member and leads routed to them since their local
        midnight. Odoo runs at REPEATABLE READ, whose snapshot misses what
        other workers committed since this transaction began: so routing with
        loads takes a transaction lock (one at a time, until commit) and also
        counts on a fresh cursor, keeping the higher of the two counts (this
        transaction's own uncommitted leads only show on its own cursor)."""
        env = self.env
        env["crm.lead"].flush_model(
            ["user_id", "type", "active", "lead_status_category", "lead_routed_date"]
        )
        query = SQL(
            """
            SELECT lead.user_id,
                   count(*) FILTER (WHERE lead.type = 'lead' AND lead.active
                                      AND lead.lead_status_category IN %(open)s),
                   count(*) FILTER (WHERE lead.lead_routed_date >= member.day_start)
              FROM crm_lead lead
              JOIN unnest(%(users)s::int[], %(starts)s::timestamp[]) AS member(user_id, day_start)
                ON member.user_id = lead.user_id
             GROUP BY lead.user_id
            """,
            open=OPEN_CATEGORIES,
            users=list(day_starts),
            starts=list(day_starts.values()),
        )
        cursors = [env.cr]
        if not self.dry_run:
            env.cr.execute(SQL("SELECT pg_advisory_xact_lock(hashtext('lead_pipeline_routing'))"))
        fresh = None
        if not self.dry_run and not env.registry.in_test_mode():
            fresh = env.registry.cursor()
            cursors.append(fresh)
        try:
            for cr in cursors:
                cr.execute(query)
                for user_id, open_count, daily_count in cr.fetchall():
                    self.open_counts[user_id] = max(self.open_counts.get(user_id, 0), open_count)
                    self.daily_counts[user_id] = max(self.daily_counts.get(user_id, 0), daily_count)
        finally:
            if fresh is not None:
                fresh.close()

    def _name(self, user_id):
        if user_id not in self.names:
            self.names[user_id] = self.env["res.users"].browse(user_id).sudo().name
        return self.names[user_id]

    def _available(self, user_id, skipped):
        """The user who takes a lead meant for ``user_id``, or None."""
        final, chain = resolve_substitute(user_id, self.substitutes)
        if final is None:
            skipped.append(
                self.env._(
                    "%(user)s (away, no one available to substitute)", user=self._name(user_id)
                )
            )
            return None, ""
        note = ""
        if len(chain) > 1:
            note = " " + self.env._(
                "(substituting for %(chain)s)", chain=" → ".join(self._name(u) for u in chain[:-1])
            )
        return final, note

    def route(self, rule, leads):
        """Yield (lead, user, explanation) for the leads this rule places."""
        Users = self.env["res.users"]
        members = [
            Member(m.user_id.id, m.weight, m.max_open, m.max_daily, m.paused)
            for m in rule.member_ids
        ]
        strategy_label = dict(rule._fields["strategy"]._description_selection(self.env))[
            rule.strategy
        ]
        owners = self._owners(leads) if rule.owner_continuity else {}
        turns = []
        if rule.strategy in ("round_robin", "capacity"):
            turns = rule._peek_turns(len(leads)) if self.dry_run else rule._next_turns(len(leads))
        slots = round_robin_slots([m for m in members if not m.paused]) if turns else []
        for position, lead in enumerate(leads):
            skipped = [
                self.env._("%(user)s (paused)", user=self._name(m.user_id))
                for m in members
                if m.paused
            ]
            user_id, how = None, strategy_label
            owner = owners.get(lead.id)
            if owner:
                user_id, note = self._available(owner, skipped)
                how = self.env._("owner continuity") + note
            if not user_id:
                turn = turns[position] if turns else 0
                user_id, note = self._pick(rule, members, slots, turn, skipped)
                how = strategy_label + note
            if not user_id and rule.fallback_user_id:
                user_id, note = self._available(rule.fallback_user_id.id, skipped)
                how = self.env._("fallback") + note
            if not user_id:
                continue  # falls through to the next rule
            self.open_counts[user_id] = self.open_counts.get(user_id, 0) + 1
            self.daily_counts[user_id] = self.daily_counts.get(user_id, 0) + 1
            explanation = self.env._(
                "Routed by rule %(rule)s to %(user)s (%(how)s).",
                rule=rule.name,
                user=self._name(user_id),
                how=how,
            )
            if skipped:
                explanation += " " + self.env._("Skipped: %(skipped)s.", skipped=", ".join(skipped))
            yield lead, Users.browse(user_id), explanation

    def _pick(self, rule, members, slots, start, skipped):
        if rule.strategy == "fixed":
            return self._available(rule.fixed_user_id.id, skipped)
        active = [m for m in members if not m.paused]
        if rule.strategy == "least_loaded":
            pool = list(active)
            while pool:
                member = least_loaded(pool, self.open_counts)
                user_id, note = self._available(member.user_id, skipped)
                if user_id:
                    return user_id, note
                pool.remove(member)
            return None, ""
        if not slots:
            return None, ""
        for offset in range(len(slots)):
            member = slots[(start + offset) % len(slots)]
            user_id, note = self._available(member.user_id, skipped)
            if not user_id:
                continue
            if rule.strategy == "capacity" and not has_room(
                member, self.open_counts.get(user_id, 0), self.daily_counts.get(user_id, 0)
            ):
                skipped.append(self.env._("%(user)s (full)", user=self._name(user_id)))
                continue
            return user_id, note
        return None, ""

    def _owners(self, leads):
        """Owner of the same company or person: an open lead's salesperson,
        else a customer's salesperson (the shared matching engine)."""
        Matcher = self.env["lead_pipeline.matcher"]
        keys = leads._match_keys()
        owners = {}
        open_leads = Matcher._find_open_leads(keys, exclude_ids=leads.ids)
        partners = Matcher._find_partners(keys)
        for lead, lead_match, partner_match in zip(leads, open_leads, partners, strict=True):
            for match in (lead_match, partner_match):
                if match:
                    owner = next((r.user_id for r in match[2] if r.user_id), None)
                    if owner:
                        owners[lead.id] = owner.id
                        break
        return owners


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def _get_lead_to_assign_domain(self):
        """Odoo's scheduled assignment (which also merges and converts) leaves
        alone the leads lead_pipeline routes."""
        return [*super()._get_lead_to_assign_domain(), ("lead_routed_date", "=", False)]
