"""Undo never loses someone else's data: a partner goes only when this
conversion created it and nothing else uses it."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .test_conversion import ConversionCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestUndoKeepsOthersData(ConversionCase):
    def _shared_company(self):
        lead_a = self._qualified(partner_name="Shared Works a.s.", email_from="a@shared.example")
        self._wizard(lead_a).action_convert()
        company = lead_a.partner_id.commercial_partner_id
        lead_b = self._qualified(
            partner_name="SHARED WORKS, a.s.",
            contact_name="Bea",
            email_from="bea@shared.example",
        )
        wizard = self._wizard(lead_b)
        self.assertEqual(wizard.line_ids.partner_id, company, "B links to A's company")
        wizard.action_convert()
        return lead_a, lead_b, company

    def test_undo_keeps_company_another_lead_linked_to(self):
        lead_a, lead_b, company = self._shared_company()
        bea = lead_b.partner_id
        self.assertEqual(bea.parent_id, company)
        lead_a.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(company.exists() and company.active)
        self.assertEqual(lead_b.partner_id, bea, "B keeps its customer")
        self.assertEqual(bea.parent_id, company, "B's contact keeps its company")
        self.assertIn(
            "Customers kept because other leads use them: Shared Works a.s.",
            lead_a.message_ids[0].body,
        )
        self.assertFalse(lead_a.partner_id)

    def test_undo_archives_company_with_a_message_posted_since(self):
        lead = self._qualified(partner_name="Talked To a.s.", contact_name=False)
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        company.message_post(body="Called them about the offer", message_type="comment")
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(company.exists())
        self.assertFalse(company.active)
        self.assertIn(
            "archived because other documents use them: Talked To a.s.", lead.message_ids[0].body
        )

    def test_undo_deletes_untouched_customers_and_brings_activities_back(self):
        lead = self._qualified(partner_name="Quiet a.s.")
        activity = lead.activity_schedule("mail.mail_activity_data_todo", summary="Call back")
        self._wizard(lead).action_convert()
        created = lead.lead_created_partner_ids
        self.assertEqual(activity.res_model, "res.partner")
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertFalse(created.exists())
        self.assertEqual((activity.res_model, activity.res_id), ("crm.lead", lead.id))

    def test_undo_archives_customer_with_an_activity_of_its_own(self):
        lead = self._qualified(partner_name="Busy a.s.", contact_name=False)
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        company.activity_schedule("mail.mail_activity_data_todo", summary="Send catalogue")
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(company.exists())
        self.assertFalse(company.active)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConvertOutsideQualifiedStatus(ConversionCase):
    def test_only_sales_managers_convert_whatever_the_status(self):
        lead = self._create_leads(1, partner_name="Early Bird a.s.", user_id=self.user_salesman.id)
        self.assertEqual(lead.lead_status_id, self.status_test_new)
        # a salesperson's box (sent over RPC, say) is not a manager's choice
        with self.assertRaises(ValidationError):
            self._wizard(lead, user=self.user_salesman, any_status=True).action_convert()
        with self.assertRaises(AccessError):
            lead.with_user(self.user_salesman)._lead_pipeline_convert(enforce_status=False)
        self._wizard(lead, user=self.user_manager, any_status=True).action_convert()
        self.assertTrue(lead.lead_converted_date)
        self.assertEqual(lead.partner_id.commercial_partner_id.name, "Early Bird a.s.")
