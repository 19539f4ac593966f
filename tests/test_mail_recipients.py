from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "lead_pipeline")
class TestLeadSuggestedRecipients(HttpCase):
    """Replying to a lead's suggested recipient mails the person without
    creating a contact: leads stay out of the customer base."""

    def _post(self, record, emails):
        self.authenticate("admin", "admin")
        return self.make_jsonrpc_request(
            "/mail/message/post",
            {
                "thread_model": "crm.lead",
                "thread_id": record.id,
                "post_data": {"body": "Thanks for your interest", "message_type": "comment"},
                "partner_emails": emails,
                "partner_additional_values": {},
            },
        )

    def test_reply_to_lead_creates_no_partner(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Reply",
                "type": "lead",
                "contact_name": "Lena",
                "email_from": "lena@example.com",
            }
        )
        partners_before = self.env["res.partner"].with_context(active_test=False).search_count([])
        self._post(lead, ["lena@example.com"])
        self.assertEqual(
            self.env["res.partner"].with_context(active_test=False).search_count([]),
            partners_before,
        )
        self.assertFalse(lead.partner_id)
        mail = self.env["mail.mail"].search([("res_id", "=", lead.id), ("model", "=", "crm.lead")])
        self.assertEqual(mail.email_to, "lena@example.com")
        self.assertIn("Thanks for your interest", lead.message_ids[0].body)

    def test_reply_on_opportunity_keeps_native_behaviour(self):
        opportunity = self.env["crm.lead"].create(
            {"name": "Opp", "type": "opportunity", "email_from": "opp.person@example.com"}
        )
        self._post(opportunity, ["opp.person@example.com"])
        self.assertTrue(
            self.env["res.partner"].search([("email", "=", "opp.person@example.com")]),
            "opportunities still get a contact, as in Odoo",
        )
