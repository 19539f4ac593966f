"""Qualification criteria of a lead and status deadlines with reminders and
escalation."""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..logic.transitions import (
    OPEN_CATEGORIES,
)
from .internal import internal_write


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

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
        # a kanban or list reads only its own columns: fetch just these two,
        # not every column of the leads (one narrow query per screen)
        self._lead_fetch_missing(["lead_deadline", "lead_status_category"])
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
        internal_write(
            self.sudo(), {"lead_escalated" if escalate else "lead_reminded": True}, sync=True
        )
