from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install", "lead_pipeline")
class TestWebsiteContactForm(HttpCase):
    """Odoo's own website contact form follows the intake policy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the bridge installs itself with website_crm: a missing one is a failure
        assert "website" in cls.env, "website_crm (and lead_pipeline_website) must be installed"
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Site Customer",
                "email": "site.customer@known.example",
                "user_id": cls.env.ref("base.user_admin").id,
            }
        )

    def _post(self, **values):
        data = {
            "contact_name": "Visitor",
            "name": "Question",
            "description": "Do you ship to Slovakia?",
            **values,
        }
        return self.url_open("/website/form/crm.lead", data=data)

    def test_known_customer_attached_not_a_lead(self):
        count = self.env["crm.lead"].search_count([])
        response = self._post(email_from="site.customer@known.example")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["id"], self.customer.id)
        self.assertEqual(self.env["crm.lead"].search_count([]), count)
        self.assertIn("Do you ship to Slovakia?", self.customer.message_ids[0].body)
        self.assertTrue(self.customer.activity_ids)

    def test_new_visitor_becomes_lead_and_open_lead_is_flagged(self):
        first = self._post(email_from="new.visitor@fresh.example").json()["id"]
        lead = self.env["crm.lead"].browse(first)
        self.assertEqual(lead.type, "lead")
        self.assertTrue(lead.lead_status_id)
        second = self.env["crm.lead"].browse(
            self._post(email_from="new.visitor@fresh.example").json()["id"]
        )
        self.assertEqual(second.lead_duplicate_of_id, lead)

    def test_website_request_is_routed(self):
        router = self.env["res.users"].create(
            {
                "name": "Web Router",
                "login": "web_router",
                "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.env["lead_pipeline.routing.rule"].create(
            {"name": "Web", "sequence": -50, "strategy": "fixed", "fixed_user_id": router.id}
        )
        lead = self.env["crm.lead"].browse(
            self._post(email_from="routed.visitor@fresh.example").json()["id"]
        )
        self.assertEqual(lead.user_id, router)
        self.assertIn("Routed by rule Web", lead.lead_routing_log_ids.explanation)
