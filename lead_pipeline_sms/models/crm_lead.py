from collections import defaultdict

from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def _lead_status_entered(self, now):
        res = super()._lead_status_entered(now)
        by_template = defaultdict(self.browse)
        for lead in self:
            if lead.lead_status_id.sms_template_id:
                by_template[lead.lead_status_id.sms_template_id] |= lead
        for template, leads in by_template.items():
            leads._lead_send_status_sms(template)
        return res

    def _lead_send_status_sms(self, template):
        """Odoo's SMS composer in mass mode: one batch into the SMS queue,
        blacklisted numbers cancelled, a note on each lead."""
        composer = (
            self.env["sms.composer"]
            .sudo()
            .create(
                {
                    "composition_mode": "mass",
                    "res_model": "crm.lead",
                    "res_ids": repr(self.ids),
                    "template_id": template.id,
                    "mass_keep_log": True,
                    "mass_force_send": False,
                    "mass_use_blacklist": True,
                }
            )
        )
        return composer._action_send_sms_mass(self.sudo())
