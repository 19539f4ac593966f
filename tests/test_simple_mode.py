from odoo.tests import tagged

from .common import Door, LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSimpleMode(LeadPipelineCase):
    """With Odoo's Leads setting off (opportunities only), lead_pipeline's
    menus stand aside while routing and intake checks apply to whatever
    intake creates; switching leads back on loses nothing."""

    def _set_leads(self, enabled):
        settings = self.env["res.config.settings"].create({"group_use_lead": enabled})
        settings.execute()

    def test_leads_off_routes_and_checks_opportunities_then_back_on(self):
        lead = self._create_leads(1)
        rule = self.env["lead_pipeline.routing.rule"].create(
            {"name": "Everything", "strategy": "fixed", "fixed_user_id": self.user_salesman.id}
        )
        self._set_leads(False)
        self.assertEqual(self.Lead._lead_pipeline_intake_types(), ("lead", "opportunity"))
        menu = self.env.ref("lead_pipeline.menu_lead_pipeline")
        visible = self.env["ir.ui.menu"].with_user(self.user_salesman)._visible_menu_ids()
        self.assertNotIn(menu.id, visible)
        opportunity = self.Lead.create(
            {"name": "Website request", "type": "opportunity", "email_from": "o@simple.example"}
        )
        self.assertEqual(opportunity.user_id, self.user_salesman)
        self.assertTrue(opportunity.lead_routing_log_ids)
        flagged = Door(self.Lead, "api").create(
            {"name": "Again", "type": "opportunity", "email_from": "o@simple.example"}
        )
        self.assertEqual(flagged.lead_duplicate_of_id, opportunity, "intake checks apply")
        self._set_leads(True)
        self.assertEqual(self.Lead._lead_pipeline_intake_types(), ("lead",))
        visible = self.env["ir.ui.menu"].with_user(self.user_salesman)._visible_menu_ids()
        self.assertIn(menu.id, visible)
        self.assertTrue(lead.exists() and lead.lead_status_id, "nothing lost")
        rule.active = False
