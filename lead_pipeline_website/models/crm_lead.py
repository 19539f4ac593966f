from odoo import api, models

from odoo.addons.lead_pipeline.logic.intake import decide


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def _lead_pipeline_intake_decisions(self, vals_list, channel):
        """A logged-in customer sending the website contact form with their own
        details comes with the ``partner_id`` Odoo's website_crm links to them.
        Intake leaves values naming a customer alone on other channels; here
        the customer is a known sender like any other, judged by the policy."""
        decisions = super()._lead_pipeline_intake_decisions(vals_list, channel)
        if channel != "website_form":
            return decisions
        default_type = self.default_get(["type"]).get("type")
        types = self._lead_pipeline_intake_types()
        linked = [
            index
            for index, vals in enumerate(vals_list)
            if decisions[index] is None
            and vals.get("partner_id")
            and vals.get("type", default_type) in types
        ]
        if not linked:
            return decisions
        policies = self.env["lead_pipeline.intake.policy"].sudo()._policy_map()
        default_type_id = self.env["lead_pipeline.lead.type"]._get_default_type().id
        Matcher = self.env["lead_pipeline.matcher"]
        for index in linked:
            partner = self.env["res.partner"].browse(vals_list[index]["partner_id"]).exists()
            if not partner:
                continue
            type_id = vals_list[index].get("lead_type_id") or default_type_id
            decisions[index] = (
                decide(policies, type_id, channel, "customer"),
                "customer",
                partner,
                # website_crm links the visitor's partner only on the same address
                Matcher._reason("email", partner),
            )
        return decisions
