from odoo import api, fields, models
from odoo.exceptions import ValidationError

SYNCED_FIELDS = {"state", "date_from", "date_to", "employee_id"}


class LeadPipelineAbsence(models.Model):
    _inherit = "lead_pipeline.absence"

    hr_leave_id = fields.Many2one(
        "hr.leave", string="Time Off", ondelete="cascade", readonly=True, index="btree_not_null"
    )


class HrLeave(models.Model):
    _inherit = "hr.leave"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._lead_pipeline_sync_absences()
        return leaves

    def write(self, vals):
        res = super().write(vals)
        if SYNCED_FIELDS.intersection(vals):
            self._lead_pipeline_sync_absences()
        return res

    def _lead_pipeline_sync_absences(self):
        """An approved time off is an absence for routing, with the user's
        default substitute; anything else (refused, cancelled, back to
        approval) is none."""
        Absence = self.env["lead_pipeline.absence"].sudo()
        existing = Absence.search([("hr_leave_id", "in", self.ids)])
        by_leave = {absence.hr_leave_id.id: absence for absence in existing}
        approved = self.sudo().filtered(lambda leave: leave.state == "validate" and leave.user_id)
        (
            existing - Absence.browse([by_leave[i].id for i in approved.ids if i in by_leave])
        ).unlink()
        for leave in approved:
            values = {
                "user_id": leave.user_id.id,
                "date_from": leave.date_from,
                "date_to": leave.date_to,
                "note": leave.holiday_status_id.name,
            }
            absence = by_leave.get(leave.id)
            if absence:
                absence.write(values)
                continue
            values["hr_leave_id"] = leave.id
            substitute = leave.user_id.lead_pipeline_substitute_id
            try:
                with self.env.cr.savepoint():
                    Absence.create({**values, "substitute_id": substitute.id})
            except ValidationError:
                # the default substitutes make a cycle: the time off is still
                # approved; routing skips the person, with no substitute
                Absence.create({**values, "substitute_id": False})
