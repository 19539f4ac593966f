from ast import literal_eval

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..logic.routing import has_room, least_loaded, peek_turns

STRATEGIES = [
    ("round_robin", "Round-robin"),
    ("least_loaded", "Least Loaded"),
    ("capacity", "Capacity-bound"),
    ("fixed", "Fixed Person"),
]


class RoutingRule(models.Model):
    """Ordered routing rules: the first rule whose condition matches and that
    has an available member takes the lead; a rule whose members are all
    unavailable lets the lead fall through to the next one."""

    _name = "lead_pipeline.routing.rule"
    _description = "Lead Routing Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    lead_type_ids = fields.Many2many(
        "lead_pipeline.lead.type", string="Lead Types", help="Empty: every lead type."
    )
    domain = fields.Char(
        "Condition",
        default="[]",
        help="Leads this rule takes: country, state, zip, tags, source, medium, "
        "campaign, expected revenue, language or any other field of the lead.",
    )
    team_id = fields.Many2one("crm.team", string="Sales Team", check_company=True)
    member_ids = fields.One2many("lead_pipeline.routing.member", "rule_id", string="Members")
    # an addon adds a strategy with selection_add and a _route_<strategy> method
    strategy = fields.Selection(STRATEGIES, required=True, default="round_robin")
    fixed_user_id = fields.Many2one("res.users", string="Fixed Salesperson")
    fallback_user_id = fields.Many2one(
        "res.users", string="Fallback", help="Takes the lead when no member is available."
    )
    owner_continuity = fields.Boolean(
        help="A lead from a company or person that already has an owner (an open "
        "lead or a customer with a salesperson) goes to that owner first."
    )
    trigger = fields.Selection(
        [("create", "When the Lead Comes In"), ("status", "When It Enters a Status")],
        required=True,
        default="create",
    )
    trigger_status_ids = fields.Many2many("lead_pipeline.status", string="Entering Statuses")

    @api.constrains("domain")
    def _check_domain(self):
        for rule in self:
            try:
                domain = literal_eval(rule.domain or "[]")
                self.env["crm.lead"].sudo().search(domain, limit=1)
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The condition of rule %(rule)s is not a valid domain on leads: %(error)s",
                        rule=rule.name,
                        error=error,
                    )
                ) from error

    @api.constrains("strategy", "member_ids", "fixed_user_id", "fallback_user_id", "team_id")
    def _check_targets(self):
        for rule in self:
            if rule.strategy == "fixed" and not rule.fixed_user_id:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s routes to a fixed person: choose them.", rule=rule.name
                    )
                )
            if rule.strategy != "fixed" and not rule.member_ids:
                raise ValidationError(
                    self.env._("Rule %(rule)s needs at least one member.", rule=rule.name)
                )

    @api.constrains("trigger", "trigger_status_ids")
    def _check_trigger(self):
        for rule in self:
            if rule.trigger == "status" and not rule.trigger_status_ids:
                raise ValidationError(
                    self.env._(
                        "Rule %(rule)s fires on entering a status: choose which.", rule=rule.name
                    )
                )

    def _sequence_name(self):
        self.ensure_one()
        return f"lead_pipeline_routing_rule_{self.id}_seq"

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        for rule in rules:
            # round-robin turns live in the database: several workers share them
            self.env.cr.execute(
                SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(rule._sequence_name()))
            )
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        res = super().write(vals)
        self.env.registry.clear_cache()
        return res

    def unlink(self):
        names = [rule._sequence_name() for rule in self]
        res = super().unlink()
        for name in names:
            self.env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(name)))
        self.env.registry.clear_cache()
        return res

    @api.model
    @tools.ormcache("self.env.company.id")
    def _active_rule_ids(self):
        """Cached, so that creating leads without any active rule costs no
        query at all."""
        return tuple(self.sudo().search([("active", "=", True)]).ids)

    def _next_turns(self, count):
        """``count`` consecutive round-robin turns, in one query."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT nextval(%s) FROM generate_series(1, %s)", self._sequence_name(), count)
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _peek_turns(self, count):
        """The turns the next ``count`` leads would take, without taking them
        (dry run)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL("SELECT last_value, is_called FROM %s", SQL.identifier(self._sequence_name()))
        )
        last_value, is_called = self.env.cr.fetchone()
        return peek_turns(last_value, is_called, count)

    # ------------------------------------------------------------
    # STRATEGIES: _route_<strategy>(routing, members, slots, turn, skipped)
    # returns (user id or None, note); ``routing`` is the batch's
    # RoutingContext (loads, absences), ``slots`` the weighted round-robin
    # cycle of the members not paused, ``turn`` this lead's turn in it, and
    # ``skipped`` collects who was passed over and why.
    # ------------------------------------------------------------

    def _routing_takes_turns(self):
        """Whether the strategy takes round-robin turns (a sequence)."""
        self.ensure_one()
        return self.strategy in ("round_robin", "capacity")

    def _routing_counts_loads(self):
        """Whether the strategy reads members' open and daily loads."""
        self.ensure_one()
        return self.strategy in ("least_loaded", "capacity")

    def _route_fixed(self, routing, members, slots, turn, skipped):
        return routing._available(self.fixed_user_id.id, skipped)

    def _route_least_loaded(self, routing, members, slots, turn, skipped):
        pool = [member for member in members if not member.paused]
        while pool:
            member = least_loaded(pool, routing.open_counts)
            user_id, note = routing._available(member.user_id, skipped)
            if user_id:
                return user_id, note
            pool.remove(member)
        return None, ""

    def _route_round_robin(self, routing, members, slots, turn, skipped):
        return self._route_next_slot(routing, slots, turn, skipped, with_room=False)

    def _route_capacity(self, routing, members, slots, turn, skipped):
        return self._route_next_slot(routing, slots, turn, skipped, with_room=True)

    def _route_next_slot(self, routing, slots, turn, skipped, with_room):
        """The first available member from this turn on in the cycle; with
        ``with_room``, one under their open and daily maximums."""
        for offset in range(len(slots)):
            member = slots[(turn + offset) % len(slots)]
            user_id, note = routing._available(member.user_id, skipped)
            if not user_id:
                continue
            if with_room and not has_room(
                member, routing.open_counts.get(user_id, 0), routing.daily_counts.get(user_id, 0)
            ):
                skipped.append(self.env._("%(user)s (full)", user=routing._name(user_id)))
                continue
            return user_id, note
        return None, ""
