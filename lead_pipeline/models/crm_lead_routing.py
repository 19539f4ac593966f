from ast import literal_eval
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..logic.routing import Member, has_room, least_loaded, resolve_substitute, round_robin_slots

OPEN_CATEGORIES = ("new", "working", "qualified")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    lead_routed_date = fields.Datetime(
        "Routed On", readonly=True, copy=False, index="btree_not_null"
    )
    lead_routing_log_ids = fields.One2many("lead_pipeline.routing.log", "lead_id", string="Routing")

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        # a lead whose values name no salesperson is routed (Odoo's default of
        # the current user does not count)
        unnamed = [
            lead
            for lead, vals in zip(leads, vals_list, strict=True)
            if not vals.get("user_id") and lead.type == "lead"
        ]
        if unnamed and self.env["lead_pipeline.routing.rule"]._active_rule_ids():
            self.browse([lead.id for lead in unnamed])._lead_pipeline_route("create", force=True)
        return leads

    def _lead_status_log(self, before):
        res = super()._lead_status_log(before)
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
        return res

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
        rules = (
            self.env["lead_pipeline.routing.rule"]
            .sudo()
            .browse(self.env["lead_pipeline.routing.rule"]._active_rule_ids())
        )
        rules = rules.filtered(lambda rule: rule.trigger == trigger)
        remaining = self.filtered(
            lambda lead: (
                (lead.type == "lead" and (force or not lead.user_id)) or trigger == "status"
            )
        )
        if not rules or not remaining:
            return self.browse()
        context = _RoutingContext(self.env, rules)
        plan = []
        for rule in rules:
            if not remaining:
                break
            candidates = remaining
            if rule.lead_type_ids:
                candidates = candidates.filtered(
                    lambda lead, r=rule: lead.lead_type_id in r.lead_type_ids
                )
            if rule.trigger == "status":
                candidates = candidates.filtered(
                    lambda lead, r=rule: lead.lead_status_id in r.trigger_status_ids
                )
            domain = literal_eval(rule.domain or "[]")
            if domain and candidates:
                candidates = candidates.filtered_domain(domain)
            if not candidates:
                continue
            for lead, user, explanation in context.route(rule, candidates):
                plan.append((lead, rule, user, explanation))
                remaining -= lead
        return self._lead_pipeline_apply_routing(plan)

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

    def __init__(self, env, rules):
        self.env = env
        self.substitutes = env["lead_pipeline.absence"]._substitutes_at(fields.Datetime.now())
        users = rules.member_ids.user_id | rules.fixed_user_id | rules.fallback_user_id
        users |= env["res.users"].browse([u for u in self.substitutes.values() if u])
        Lead = env["crm.lead"].sudo()
        self.open_counts = {
            user.id: count
            for user, count in Lead._read_group(
                [
                    ("type", "=", "lead"),
                    ("user_id", "in", users.ids),
                    ("lead_status_category", "in", OPEN_CATEGORIES),
                ],
                ["user_id"],
                ["__count"],
            )
        }
        today = fields.Datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
        self.daily_counts = {
            user.id: count
            for user, count in Lead._read_group(
                [("user_id", "in", users.ids), ("lead_routed_date", ">=", today)],
                ["user_id"],
                ["__count"],
            )
        }
        self.names = {user.id: user.name for user in users}

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
        turns = rule._next_turns(len(leads)) if rule.strategy in ("round_robin", "capacity") else []
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
