from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSaleBridge(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the bridge installs itself with Sales: a missing one is a failure
        assert "sale.order" in cls.env, "lead_pipeline_sale (and Sales) must be installed"
        cls.customer = cls.env["res.partner"].create({"name": "Buyer"})

    def _order(self, lead, **values):
        return self.env["sale.order"].create(
            {"partner_id": self.customer.id, "opportunity_id": lead.id, **values}
        )

    def test_no_quotation_for_unconverted_lead(self):
        lead = self._create_leads(1)
        with self.assertRaises(ValidationError) as caught:
            self._order(lead)
        self.assertIn("convert these leads first", str(caught.exception))

    def test_no_order_moved_onto_unconverted_lead_by_write(self):
        opportunity = self.Lead.create({"name": "Opp", "type": "opportunity"})
        order = self._order(opportunity)
        lead = self._create_leads(1)
        with self.assertRaises(ValidationError):
            order.write({"opportunity_id": lead.id})

    def test_quotation_for_converted_lead_and_opportunity(self):
        lead = self._create_leads(1, partner_name="Acme")
        lead.write({"lead_status_id": self.status_test_call.id})
        lead.write({"lead_status_id": self.status_test_ready.id})
        self.env["lead_pipeline.convert.wizard"].with_context(
            active_model="crm.lead", active_ids=lead.ids, default_create_opportunity=True
        ).create({}).action_convert()
        order = self._order(lead)
        self.assertEqual(order.opportunity_id, lead)
        with self.assertRaises(UserError) as caught:
            lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertIn("has quotations or orders", str(caught.exception))

    def test_import_of_orders_on_leads_refused(self):
        lead = self._create_leads(1)
        result = self.env["sale.order"].load(
            ["partner_id/.id", "opportunity_id/.id"],
            [[str(self.customer.id), str(lead.id)]],
        )
        self.assertTrue(result["messages"])
        self.assertFalse(result["ids"])

    def test_undo_archives_customer_with_a_sale_order_of_its_own(self):
        lead = self._create_leads(1, partner_name="Ordering a.s.")
        lead.write({"lead_status_id": self.status_test_call.id})
        lead.write({"lead_status_id": self.status_test_ready.id})
        lead._lead_pipeline_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertEqual(company.name, "Ordering a.s.")
        # an order for the customer, not for the lead: no blocker, but a use
        order = self.env["sale.order"].create({"partner_id": company.id})
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(company.exists())
        self.assertFalse(company.active)
        self.assertEqual(order.partner_id, company)
        self.assertIn("Ordering a.s.", lead.message_ids[0].body.split("archived")[1])
