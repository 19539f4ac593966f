"""The routing engine's working state for one batch: what routing reads once
(absences, loads, owners) and the choice of a member for each lead. Not a
model: ``crm.lead`` builds one per batch and applies the plan it returns."""

from odoo import fields
from odoo.tools import SQL

from ..logic.routing import (
    Member,
    day_start_utc,
    resolve_substitute,
    round_robin_slots,
)
from ..logic.transitions import OPEN_CATEGORIES


class RoutingContext:
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
        counted = any(rule._routing_counts_loads() for rule in rules)
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
        if rule._routing_takes_turns():
            turns = rule._peek_turns(len(leads)) if self.dry_run else rule._next_turns(len(leads))
        slots = round_robin_slots([m for m in members if not m.paused])
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
        """The strategy's own method on the rule (``_route_<strategy>``),
        so that an addon adds a strategy with ``selection_add`` and a method."""
        return getattr(rule, f"_route_{rule.strategy}")(self, members, slots, start, skipped)

    def _owners(self, leads):
        """Owner of the same company or person: an open lead's salesperson,
        else a customer's salesperson (the shared matching engine)."""
        Matcher = self.env["lead_pipeline.matcher"]
        keys = leads._match_keys()
        owners = {}
        # a dry run's pasted sample holds leads in memory only, with no id yet
        saved_ids = [lead_id for lead_id in leads.ids if isinstance(lead_id, int)]
        owned = [("user_id", "!=", False)]
        open_leads = Matcher._find_open_leads(keys, exclude_ids=saved_ids, domain=owned)
        partners = Matcher._find_partners(keys, domain=owned)
        for lead, lead_match, partner_match in zip(leads, open_leads, partners, strict=True):
            match = lead_match or partner_match
            if match:
                owners[lead.id] = match[2][0].user_id.id
        return owners
