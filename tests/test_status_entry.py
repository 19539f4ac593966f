from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatusEntryActions(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Thank you for the call",
                "model_id": cls.env["ir.model"]._get_id("crm.lead"),
                "subject": "Thank you, {{ object.contact_name }}",
                "email_to": "{{ object.email_from }}",
                "body_html": "<p>Here is what we discussed.</p>",
            }
        )
        cls.status_test_call.mail_template_id = cls.template

    def _mails(self, leads):
        return self.env["mail.mail"].search(
            [
                ("model", "=", "crm.lead"),
                ("res_id", "in", leads.ids),
                ("subject", "=like", "Thank you, %"),
            ]
        )

    def test_template_queued_on_entry_not_for_blacklisted_or_without_address(self):
        leads = self._create_leads(3)
        leads[2].email_from = False
        self.env["mail.blacklist"].create({"email": leads[1].email_from})
        partners_before = self.env["res.partner"].search_count([])
        leads.lead_status_id = self.status_test_call
        mails = self._mails(leads)
        self.assertEqual(len(mails), 1)
        self.assertEqual(mails.res_id, leads[0].id)
        self.assertEqual(mails.email_to, leads[0].email_from)
        self.assertEqual(mails.subject, "Thank you, Person 0")
        self.assertEqual(mails.state, "outgoing", "queued, not sent in the transaction")
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertIn("Thank you for the call", leads[0].message_ids[0].body)
        # not again while it stays; again when it re-enters
        leads[0].description = "talked"
        self.assertEqual(len(self._mails(leads)), 1)
        leads[0].lead_status_id = self.status_test_new
        leads[0].lead_status_id = self.status_test_call
        self.assertEqual(len(self._mails(leads)), 2)

    def test_batch_of_200(self):
        leads = self._create_leads(200)
        leads.lead_status_id = self.status_test_call
        self.assertEqual(len(self._mails(leads)), 200)

    def test_activity_plan_for_the_owner(self):
        plan = self.env["mail.activity.plan"].create(
            {
                "name": "First contact done",
                "res_model": "crm.lead",
                "template_ids": [
                    (0, 0, {"activity_type_id": self.env.ref("mail.mail_activity_data_call").id,
                            "summary": "Follow-up call", "responsible_type": "on_demand",
                            "delay_count": 3, "delay_unit": "days"}),
                    (0, 0, {"activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                            "summary": "Send the brochure", "responsible_type": "other",
                            "responsible_id": self.user_manager.id}),
                ],
            }
        )  # fmt: skip
        self.status_test_call.write({"activity_plan_id": plan.id, "mail_template_id": False})
        leads = self._create_leads(2, user_id=self.user_salesman.id)
        leads.with_user(self.user_salesman).write({"lead_status_id": self.status_test_call.id})
        for lead in leads:
            by_summary = {a.summary: a.user_id for a in lead.activity_ids}
            self.assertEqual(
                by_summary,
                {"Follow-up call": self.user_salesman, "Send the brochure": self.user_manager},
            )

    def test_salesman_moving_a_lead_sends_through_the_queue(self):
        lead = self._create_leads(1, user_id=self.user_salesman.id)
        lead.with_user(self.user_salesman).lead_status_id = self.status_test_call
        self.assertEqual(len(self._mails(lead)), 1)
        with self.assertRaises(AccessError):
            self.status_test_call.with_user(self.user_salesman).mail_template_id = False


@tagged("post_install", "-at_install", "lead_pipeline")
class TestAutomationOnStatusChange(LeadPipelineCase):
    def test_automation_rule_triggers_on_status_change(self):
        automation = self._priority_automation(
            "lead_pipeline.field_crm_lead__lead_status_id",
            [("lead_status_id", "=", self.status_test_call.id)],
        )
        self.addCleanup(automation.unlink)  # and Odoo reloads the rules
        lead = self._create_leads(1)
        self.assertNotEqual(lead.priority, "3")
        lead.lead_status_id = self.status_test_call
        self.assertEqual(lead.priority, "3")
