from ast import literal_eval

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..logic.routing import peek_turns, resolve_substitute

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


class RoutingMember(models.Model):
    _name = "lead_pipeline.routing.member"
    _description = "Lead Routing Member"
    _order = "rule_id, sequence, id"

    rule_id = fields.Many2one("lead_pipeline.routing.rule", required=True, ondelete="cascade")
    sequence = fields.Integer(default=10)
    user_id = fields.Many2one("res.users", required=True, domain="[('share', '=', False)]")
    weight = fields.Integer(default=1, help="Round-robin turns per cycle.")
    max_open = fields.Integer("Maximum Open Leads", help="0: no limit.")
    max_daily = fields.Integer("Maximum New Leads per Day", help="0: no limit.")
    paused = fields.Boolean()

    @api.constrains("weight", "max_open", "max_daily")
    def _check_numbers(self):
        for member in self:
            if member.weight < 1 or member.max_open < 0 or member.max_daily < 0:
                raise ValidationError(
                    self.env._(
                        "%(user)s: the weight must be at least 1 and capacities cannot be negative.",
                        user=member.user_id.name,
                    )
                )


class RoutingAbsence(models.Model):
    """A salesperson away (set by themselves or a manager), with the
    substitute who takes their new leads and may work their leads meanwhile."""

    _name = "lead_pipeline.absence"
    _description = "Salesperson Absence"
    _order = "date_from desc"

    _inherit = ["mail.thread"]

    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        required=True,
        default=lambda self: self.env.user,
        domain="[('share', '=', False)]",
        tracking=True,
    )
    substitute_id = fields.Many2one(
        "res.users",
        compute="_compute_substitute_id",
        store=True,
        readonly=False,
        domain="[('share', '=', False), ('id', '!=', user_id)]",
        tracking=True,
        help="Takes the new leads meant for the absent salesperson, may open and work "
        "their leads, receives their messages and their activities falling due.",
    )
    date_from = fields.Datetime("From", required=True, default=fields.Datetime.now, tracking=True)
    date_to = fields.Datetime("Until", required=True, tracking=True)
    note = fields.Char()
    current = fields.Boolean(compute="_compute_current", search="_search_current")

    @api.depends("user_id")
    def _compute_substitute_id(self):
        for absence in self:
            if not absence.substitute_id:
                absence.substitute_id = absence.user_id.lead_pipeline_substitute_id

    def _compute_current(self):
        now = fields.Datetime.now()
        for absence in self:
            absence.current = absence.date_from <= now <= absence.date_to

    def _search_current(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise ValidationError(self.env._("Unsupported search on current absences."))
        now = fields.Datetime.now()
        domain = [("date_from", "<=", now), ("date_to", ">=", now)]
        if (operator == "=") != value:
            return ["|", ("date_from", ">", now), ("date_to", "<", now)]
        return domain

    @api.constrains("user_id", "substitute_id", "date_from", "date_to")
    def _check_absence(self):
        for absence in self:
            if absence.date_to < absence.date_from:
                raise ValidationError(self.env._("An absence cannot end before it starts."))
            if absence.substitute_id == absence.user_id:
                raise ValidationError(self.env._("Nobody can substitute for themselves."))
        # no substitution cycle among overlapping absences
        overlapping = self.search(
            [
                ("date_to", ">=", min(self.mapped("date_from"))),
                ("date_from", "<=", max(self.mapped("date_to"))),
            ]
        )
        substitutes = self._substitutes_at(None, overlapping)
        for user_id in substitutes:
            seen = {user_id}
            current = substitutes.get(user_id)
            while current in substitutes:
                if current in seen:
                    raise ValidationError(
                        self.env._("These absences make a substitution cycle; change a substitute.")
                    )
                seen.add(current)
                current = substitutes[current]

    @api.model_create_multi
    def create(self, vals_list):
        absences = super().create(vals_list)
        self._lead_pipeline_sync_activities()
        return absences

    def write(self, vals):
        res = super().write(vals)
        self._lead_pipeline_sync_activities()
        return res

    def unlink(self):
        res = super().unlink()
        self._lead_pipeline_sync_activities()
        return res

    @api.model
    def _lead_pipeline_sync_activities(self):
        """Activities on leads of someone away, falling due during the absence,
        go to whoever substitutes for them now; back when they return.
        Idempotent: run on every change of absences and by an hourly job."""
        now = fields.Datetime.now()
        Activity = self.env["mail.activity"].sudo()
        substitutes = self._substitutes_at(now)
        # back first: whose owner is not away any more, or whose substitute changed
        lent = Activity.search([("lead_pipeline_absent_user_id", "!=", False)])
        back = lent.filtered(
            lambda activity: (
                resolve_substitute(activity.lead_pipeline_absent_user_id.id, substitutes)[0]
                != activity.user_id.id
            )
        )
        for user in back.lead_pipeline_absent_user_id:
            back.filtered(lambda a, u=user: a.lead_pipeline_absent_user_id == u).write(
                {"user_id": user.id, "lead_pipeline_absent_user_id": False}
            )
        current = self.sudo().search([("current", "=", True), ("substitute_id", "!=", False)])
        for absence in current:
            target = resolve_substitute(absence.user_id.id, substitutes)[0]
            if not target:
                continue
            due = Activity.search(
                [
                    ("res_model", "=", "crm.lead"),
                    ("user_id", "=", absence.user_id.id),
                    ("date_deadline", "<=", fields.Date.to_date(absence.date_to)),
                ]
            )
            due.write({"user_id": target, "lead_pipeline_absent_user_id": absence.user_id.id})

    @api.model
    def _substitutes_at(self, when, absences=None):
        """{absent user id: substitute id or None} at ``when`` (None: any
        overlapping absences, for the cycle check)."""
        if absences is None:
            now = when or fields.Datetime.now()
            absences = self.sudo().search([("date_from", "<=", now), ("date_to", ">=", now)])
        return {absence.user_id.id: absence.substitute_id.id or None for absence in absences}


class ResUsers(models.Model):
    _inherit = "res.users"

    lead_pipeline_substitute_id = fields.Many2one(
        "res.users",
        string="Default Substitute",
        domain="[('share', '=', False)]",
        help="Proposed as substitute on this salesperson's absences, and used for "
        "their approved time off when Odoo's Time Off app is installed.",
    )

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "lead_pipeline_substitute_id"]

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "lead_pipeline_substitute_id"]


class MailActivity(models.Model):
    _inherit = "mail.activity"

    lead_pipeline_absent_user_id = fields.Many2one(
        "res.users",
        string="Lent by",
        index="btree_not_null",
        readonly=True,
        help="Given to a substitute while this user is away; back when they return.",
    )


class RoutingLog(models.Model):
    """Why each lead went where it went."""

    _name = "lead_pipeline.routing.log"
    _description = "Lead Routing Log"
    _order = "date desc, id desc"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", index=True)
    rule_id = fields.Many2one("lead_pipeline.routing.rule", ondelete="set null")
    user_id = fields.Many2one("res.users", string="Salesperson")
    team_id = fields.Many2one("crm.team")
    strategy = fields.Selection(STRATEGIES)
    explanation = fields.Text()
    date = fields.Datetime(default=fields.Datetime.now, required=True)
