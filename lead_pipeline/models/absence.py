from bisect import bisect_left, bisect_right
from collections import defaultdict

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from ..logic.routing import resolve_substitute

# the cursor's copy of the absences' bounds (see _lead_pipeline_period)
BOUNDS_KEY = "lead_pipeline_absence_bounds"


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
    company_id = fields.Many2one(
        related="user_id.company_id",
        store=True,
        index=True,
        string="Company",
        help="The salesperson's company: managers of other companies do not see the absence.",
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
        absences._lead_pipeline_check_result("create")
        self.env.cr.cache.pop(BOUNDS_KEY, None)
        # the substitute record rule's domain is cached per user (ir.rule)
        self.env.registry.clear_cache()
        self._lead_pipeline_sync_activities()
        return absences

    def write(self, vals):
        res = super().write(vals)
        self._lead_pipeline_check_result("write")
        self.env.cr.cache.pop(BOUNDS_KEY, None)
        self.env.registry.clear_cache()
        self._lead_pipeline_sync_activities()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.cr.cache.pop(BOUNDS_KEY, None)
        self.env.registry.clear_cache()
        self._lead_pipeline_sync_activities()
        return res

    def _lead_pipeline_check_result(self, operation):
        """Record rules are checked on the records before a write: an own
        absence rewritten to another salesperson (naming oneself substitute)
        would pass. Check the result too, so that salespeople keep to their
        own absences whatever they write."""
        self.check_access(operation)

    @api.model
    @tools.ormcache()
    def _lead_pipeline_bounds(self):
        """Every moment an absence starts or ends, sorted; cached until
        absences change (their create, write and unlink clear the cache)."""
        self.env.cr.execute("SELECT date_from, date_to FROM lead_pipeline_absence")
        return tuple(sorted({moment for row in self.env.cr.fetchall() for moment in row}))

    @api.model
    def _lead_pipeline_period(self):
        """A key that changes whenever an absence starts or ends: where now
        falls among those moments. Cached rule domains depending on who is
        away now are keyed on it (see ir.rule)."""
        cache = self.env.cr.cache
        bounds = cache.get(BOUNDS_KEY)
        if bounds is None:
            # every record rule lookup computes this key: the cursor keeps
            # the bounds (dropped when absences change), Odoo's cache lookup
            # costing more than the rest of the key
            bounds = cache[BOUNDS_KEY] = self._lead_pipeline_bounds()
        if not bounds:
            return 0, 0
        now = fields.Datetime.now()
        return bisect_left(bounds, now), bisect_right(bounds, now)

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
        lend = {
            absence.user_id.id: (target, fields.Date.to_date(absence.date_to))
            for absence in current
            if (target := resolve_substitute(absence.user_id.id, substitutes)[0])
        }
        if not lend:
            return
        # one search for every absent owner, then one write per substitute
        due = Activity.search(
            [("res_model", "=", "crm.lead"), ("user_id", "in", list(lend))]
        ).filtered(lambda activity: activity.date_deadline <= lend[activity.user_id.id][1])
        by_owner = defaultdict(lambda: Activity)
        for activity in due:
            by_owner[activity.user_id.id] |= activity
        for owner_id, activities in by_owner.items():
            activities.write(
                {"user_id": lend[owner_id][0], "lead_pipeline_absent_user_id": owner_id}
            )

    @api.model
    def _substitutes_at(self, when, absences=None):
        """{absent user id: substitute id or None} at ``when`` (None: any
        overlapping absences, for the cycle check)."""
        if absences is None:
            now = when or fields.Datetime.now()
            absences = self.sudo().search([("date_from", "<=", now), ("date_to", ">=", now)])
        return {absence.user_id.id: absence.substitute_id.id or None for absence in absences}
