from odoo import models

from ..models.internal import scoped, scoped_value


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
        # Odoo's wizard on a lead converted earlier is the conversion's second
        # step (as Create Opportunity): its writes may touch the closed lead
        with scoped(
            lead_pipeline_native_ids=frozenset(ours.ids),
            lead_pipeline_converting_ids=frozenset(leads.ids),
        ):
            if ours:
                ours._lead_pipeline_convert(
                    **self._lead_pipeline_native_conversion(ours),
                    enforce_status=False,
                    link_customers=self.action != "nothing",
                )
            return super()._convert_and_allocate(leads, user_ids, team_id=team_id)

    def _lead_pipeline_native_conversion(self, leads):
        """The conversion Odoo's wizard asks for, as lead_pipeline's lines:
        the proposal (matching), the chosen customer, or nobody."""
        if self.action == "nothing":
            return {
                "lines": [{"lead_id": lead.id, "company_action": "none"} for lead in leads],
                "contact_lines": [],
            }
        proposal = leads._lead_pipeline_conversion_proposal()
        partner = self.partner_id if self.action == "exist" else self.env["res.partner"]
        if partner:
            commercial = partner.commercial_partner_id
            for line in proposal["lines"]:
                line.update(
                    company_action="link" if commercial.is_company else "none",
                    partner_id=commercial.id if commercial.is_company else False,
                    customer_id=partner.id,
                )
            proposal["contact_lines"] = [
                line for line in proposal["contact_lines"] if line.get("partner_id") != partner.id
            ]
        return proposal

    def _convert_handle_partner(self, lead, action, partner_id):
        if lead.id in (scoped_value("lead_pipeline_native_ids") or ()):
            return  # its customer was found or created by lead_pipeline
        return super()._convert_handle_partner(lead, action, partner_id)
