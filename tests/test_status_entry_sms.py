from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatusEntrySms(LeadPipelineCase):
    """With Odoo's SMS app (the bridge installs itself with it), a status
    sends its SMS template on entry, through the queue, blacklist honoured."""

    def test_sms_queued_on_entry_blacklisted_number_cancelled(self):
        assert "sms.template" in self.env, "sms (and lead_pipeline_sms) must be installed"
        self.env.company.country_id = self.env.ref("base.sk")
        template = self.env["sms.template"].create(
            {
                "name": "Thanks by SMS",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "body": "Thank you {{ object.contact_name }}, we will call you back.",
            }
        )
        self.status_test_call.sms_template_id = template
        leads = self._create_leads(3)
        for index, lead in enumerate(leads):
            lead.mobile = f"+421 905 000 00{index}"
        self.env["phone.blacklist"].create({"number": "+421905000001"})
        leads.lead_status_id = self.status_test_call
        sms = self.env["sms.sms"].search([("body", "like", "we will call you back")])
        by_number = {record.number: record.state for record in sms}
        self.assertEqual(by_number["+421905000000"], "outgoing")
        self.assertEqual(by_number["+421905000002"], "outgoing")
        self.assertNotEqual(by_number.get("+421905000001"), "outgoing")
        self.assertIn("Thank you Person 0", leads[0].message_ids[0].body)
