from odoo import models


class Lead2OpportunityPartner(models.TransientModel):
    """Odoo's own conversion wizards (one lead, and the mass conversion that
    inherits this one) go through lead_pipeline's conversion, so that no user
    path bypasses its matching, lock, history and status."""

    _inherit = "crm.lead2opportunity.partner"

    def _convert_and_allocate(self, leads, user_ids, team_id=False):
        ours = leads.filtered(
            lambda lead: (
                lead.type == "lead"
                and lead.active
                and lead.lead_type_id
                and not lead.lead_converted_date
            )
        )
        if ours:
            partner = self.partner_id if self.action == "exist" else self.env["res.partner"]
            self.env["lead_pipeline.convert.wizard"]._convert_from_native(
                ours, self.action, partner
            )
        converting = self.with_context(
            lead_pipeline_converting=True, lead_pipeline_native_ids=ours.ids
        )
        return super(Lead2OpportunityPartner, converting)._convert_and_allocate(
            leads.with_context(lead_pipeline_converting=True), user_ids, team_id=team_id
        )

    def _convert_handle_partner(self, lead, action, partner_id):
        if lead.id in self.env.context.get("lead_pipeline_native_ids", ()):
            return  # its customer was found or created by lead_pipeline
        return super()._convert_handle_partner(lead, action, partner_id)
