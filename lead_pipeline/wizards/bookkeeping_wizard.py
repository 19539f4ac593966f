from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.internal import internal_write

#: the bookkeeping a sales manager may correct, with the reason logged
CORRECTABLE = (
    "lead_status_date",
    "lead_converted_date",
    "lead_converted_by_id",
    "lead_consent_text",
    "lead_consent_date",
    "lead_reminded",
    "lead_escalated",
)


class BookkeepingWizard(models.TransientModel):
    """Sales managers correct what Lead Pipeline keeps itself (dates of a
    status or a conversion, consent, reminder flags), with a reason that the
    lead's chatter records; no client writes these fields directly."""

    _name = "lead_pipeline.bookkeeping.wizard"
    _description = "Correct Lead Bookkeeping"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    lead_status_date = fields.Datetime("In Status Since")
    lead_converted_date = fields.Datetime("Converted On")
    lead_converted_by_id = fields.Many2one("res.users", "Converted By")
    lead_consent_text = fields.Text("Consent Given To")
    lead_consent_date = fields.Datetime("Consent Date")
    lead_reminded = fields.Boolean("Owner Reminded")
    lead_escalated = fields.Boolean("Escalated")
    reason = fields.Char(required=True)

    @api.model_create_multi
    def create(self, vals_list):
        # what is not given stays as the lead has it
        for vals in vals_list:
            lead = self.env["crm.lead"].browse(vals.get("lead_id"))
            current = lead._convert_to_write({f: lead[f] for f in CORRECTABLE}) if lead else {}
            for fname, value in current.items():
                vals.setdefault(fname, value)
        return super().create(vals_list)

    @api.onchange("lead_id")
    def _onchange_lead_id(self):
        for fname in CORRECTABLE:
            self[fname] = self.lead_id[fname]

    def action_apply(self):
        self.ensure_one()
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only sales managers may correct a lead's bookkeeping."))
        lead = self.lead_id
        lead.check_access("write")
        changes = {
            fname: self._convert_to_write({fname: self[fname]})[fname]
            for fname in CORRECTABLE
            if self[fname] != lead[fname]
        }
        if not changes:
            raise UserError(self.env._("Nothing to correct: change a value first."))
        lines = [
            Markup("<li>%s: %s → %s</li>")
            % (lead._fields[fname].string, lead[fname] or "-", self[fname] or "-")
            for fname in changes
        ]
        internal_write(lead, changes, bookkeeping=True)
        lead._message_log(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._("Bookkeeping corrected: %(reason)s", reason=escape(self.reason)),
                Markup().join(lines),
            )
        )
        return {"type": "ir.actions.act_window_close"}
