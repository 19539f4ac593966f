"""Status moves of leads: checked in batch, all or nothing, logged in the
status history; what entering a status starts; merging keeps the most
advanced status."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import (
    html2plaintext,
)

from ..logic.transitions import (
    missing_required,
    most_advanced,
    move_allowed,
)
from .internal import internal_write


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    lead_status_history_ids = fields.One2many(
        "lead_pipeline.status.history", "lead_id", string="Status History"
    )
    lead_status_change_count = fields.Integer(
        compute="_compute_lead_status_change_count", store=True, string="Status Changes"
    )

    @api.depends("lead_status_history_ids")
    def _compute_lead_status_change_count(self):
        for lead in self:
            lead.lead_status_change_count = len(lead.lead_status_history_ids)

    def action_lead_pipeline_open_status_history(self):
        """The lead's moves from status to status, with the time spent in each."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lead_pipeline.status_history_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    def _lead_status_write(self, vals, force=False):
        """Write ``vals`` checking status moves (unless ``force``: merging,
        conversion and its undo are not a user moving a lead along), keeping
        the disqualified status and Odoo's lost / restore in step, and logging
        the history."""
        leads = self.filtered(lambda lead: lead.type == "lead")
        before = {lead.id: (lead.lead_status_id, lead.lead_status_date) for lead in leads}
        groups = self._lead_status_write_groups(vals, leads, force=force)
        res = True
        for records, group_vals in groups:
            res = internal_write(records, group_vals, sync=True) and res
        self._lead_status_log(before)
        return res

    def _lead_status_write_groups(self, vals, leads, force=False):
        """Split the write into (records, values) groups: one status target
        may imply archiving or restoring, and lost / restore imply a status
        that differs per lead type."""
        Status = self.env["lead_pipeline.status"]
        if "lead_status_id" in vals:
            target = Status.browse(vals["lead_status_id"])
            if not target:
                return [(self, vals)]
            movers = leads.filtered(lambda lead: lead.lead_status_id != target)
            if movers and not force:
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

    def _lead_status_check_entered(self):
        """A lead created in a status of the client's choosing (a column of
        the kanban, an import's or the API's status), or keeping its status
        when it changes type or becomes a lead, enters it as a move would:
        part of its type's pipeline, the status's required fields filled and
        its qualification met; a disqualified status archives it. Its type's
        default status, which a lead gets when given none, is entered
        freely. All or nothing: one refused lead refuses the batch."""
        leads = self.filtered(lambda lead: lead.type == "lead" and lead.lead_status_id)
        defaults = {lead_type: lead_type._get_default_status() for lead_type in leads.lead_type_id}
        by_target = defaultdict(self.browse)
        for lead in leads:
            if lead.lead_status_id != defaults.get(lead.lead_type_id):
                by_target[lead.lead_status_id] |= lead
        for target, chosen in by_target.items():
            chosen._lead_check_status_move(target, {})
        # entering a disqualified status archives the lead, as a move does
        lost = leads.filtered(
            lambda lead: lead.active and lead.lead_status_category == "disqualified"
        )
        if lost:
            internal_write(lost, {"active": False}, sync=True)

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
        unmet_by_lead = self._lead_qualification_unmet() if target.require_qualification else {}
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
            unmet = target.require_qualification and unmet_by_lead[lead.id]
            if unmet:
                errors.append(
                    self.env._(
                        "%(lead)s: qualification criteria not met: %(criteria)s.",
                        lead=lead.display_name,
                        criteria=", ".join(unmet),
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

    def _lead_qualification_unmet(self):
        """{lead id: names of the criteria it has not met}: every criterion
        of its type's framework counts, answered or not, and the answers are
        read whatever the reader's record rules let them see (a substitute, a
        Leads Only user), so that unreadable answers never read as all met."""
        leads = self.sudo()
        criteria = leads.lead_type_id._qualification_criteria()
        Criterion = self.env["lead_pipeline.qualification.criterion"].sudo()
        result = {}
        for lead in leads:
            lines = lead.lead_qualification_ids
            met = lines.filtered(lambda line: line.state == "met").criterion_id
            wanted = criteria.get(lead.lead_type_id.id, Criterion) | lines.criterion_id
            result[lead.id] = (wanted - met).mapped("name")
        return result

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
        rows, changed_ids = [], []
        for lead in self.browse(list(before)):
            old_status, old_date = before[lead.id]
            if lead.lead_status_id == old_status:
                continue
            changed_ids.append(lead.id)
            rows.append(lead._prepare_status_history_values(old_status, old_date, now))
        if rows:
            self.env["lead_pipeline.status.history"].sudo().create(rows)
            self.browse(changed_ids)._lead_status_entered(now)

    def _lead_status_entered(self, now):
        """Leads that just entered their status (after a move), in batch:
        deadlines start afresh, first qualification is dated, the status's
        e-mail goes out and its activity plan starts."""
        internal_write(self, self._lead_status_entered_values(now), sync=True)
        qualified = self.filtered(
            lambda lead: lead.lead_status_category == "qualified" and not lead.lead_qualified_date
        )
        if qualified:
            internal_write(qualified, {"lead_qualified_date": now}, sync=True)
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
    def _merge_lead_status(self, leads):
        """Most advanced status among the merged leads that fits the
        surviving (first) lead's pipeline."""
        head = leads[:1]
        statuses = leads.lead_status_id
        if len(statuses) <= 1:
            # the usual case (duplicates merged at assignment): nothing to read
            return head.lead_status_id
        if head.lead_type_id:
            statuses &= head.lead_type_id.status_ids
        best = most_advanced(list(statuses._status_info().values()))
        return self.env["lead_pipeline.status"].browse(best.id) if best else head.lead_status_id

    def _merge_dependences(self, opportunities):
        res = super()._merge_dependences(opportunities)
        self._merge_dependences_lead_pipeline(opportunities)
        # the surviving lead takes the most advanced status without the entry
        # checks: merging is not a user moving a lead along
        status = self._merge_lead_status(self | opportunities)
        if status != self.lead_status_id:
            internal_write(self, {"lead_status_id": status.id}, force_status=True)
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
