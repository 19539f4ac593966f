from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged


def _last_lead(env, email):
    return env["crm.lead"].search([("email_from", "=", email)], order="id desc", limit=1)


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
        self.assertEqual(response.json(), {"id": True}, "the same answer as for anyone")
        self.assertEqual(self.env["crm.lead"].search_count([]), count)
        self.assertIn("Do you ship to Slovakia?", self.customer.message_ids[0].body)
        self.assertTrue(self.customer.activity_ids)

    def test_new_visitor_becomes_lead_and_open_lead_is_flagged(self):
        self.assertEqual(self._post(email_from="new.visitor@fresh.example").json(), {"id": True})
        lead = _last_lead(self.env, "new.visitor@fresh.example")
        self.assertEqual(lead.type, "lead")
        self.assertTrue(lead.lead_status_id)
        self._post(email_from="new.visitor@fresh.example")
        second = _last_lead(self.env, "new.visitor@fresh.example")
        self.assertNotEqual(second, lead)
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
        self._post(email_from="routed.visitor@fresh.example")
        lead = _last_lead(self.env, "routed.visitor@fresh.example")
        self.assertEqual(lead.user_id, router)
        self.assertIn("Routed by rule Web", lead.lead_routing_log_ids.explanation)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestWebsiteContactFormLoggedCustomer(HttpCase):
    """A logged-in customer sending Odoo's website contact form with their own
    details is a known sender like any other: the intake policy for the website
    form decides, and a lead it lets through keeps the link to the customer
    that Odoo's website_crm sets for a logged-in visitor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_test_user(
            cls.env, login="lp_site_owner", groups="sales_team.group_sale_salesman"
        )
        cls.portal_user = new_test_user(
            cls.env,
            login="lp_site_portal",
            name="Logged Customer",
            email="logged.customer@known.example",
            groups="base.group_portal",
        )
        cls.partner = cls.portal_user.partner_id
        cls.partner.user_id = cls.owner
        cls.Policy = cls.env["lead_pipeline.intake.policy"]
        cls.tag = cls.env.ref("lead_pipeline.crm_tag_possible_duplicate")

    def _post_logged(self, **values):
        self.authenticate("lp_site_portal", "lp_site_portal")
        data = {
            "contact_name": "Logged Customer",
            "email_from": "logged.customer@known.example",
            "name": "More licences",
            "description": "We need ten more seats.",
            "csrf_token": http.Request.csrf_token(self),
            **values,
        }
        response = self.url_open("/website/form/crm.lead", data=data)
        self.assertEqual(response.status_code, 200)
        return response.json()

    def _set_policy(self, action):
        self.Policy.search([("channel", "=", "website_form"), ("scope", "=", "customer")]).unlink()
        self.Policy.create({"channel": "website_form", "scope": "customer", "action": action})

    def test_logged_customer_request_attached_by_default(self):
        leads_before = self.env["crm.lead"].search([])
        result = self._post_logged()
        self.assertEqual(self.env["crm.lead"].search([]), leads_before, "no lead is created")
        self.assertEqual(result, {"id": True})
        message = self.partner.message_ids[0]
        self.assertIn("We need ten more seats.", message.body)
        self.assertIn("More licences", message.body)
        activity = self.partner.activity_ids
        self.assertEqual(activity.user_id, self.owner)
        self.assertIn("website contact form", activity.summary)

    def test_logged_customer_lead_flagged_keeps_partner(self):
        self._set_policy("flag")
        self._post_logged()
        lead = _last_lead(self.env, "logged.customer@known.example")
        self.assertEqual(lead._name, "crm.lead")
        self.assertTrue(lead.exists())
        self.assertEqual(lead.partner_id, self.partner, "Odoo's link to the customer stays")
        self.assertEqual(lead.lead_duplicate_partner_id, self.partner)
        self.assertIn(self.tag, lead.tag_ids)
        self.assertEqual(self.partner.activity_ids.user_id, self.owner)

    def test_logged_customer_lead_allowed_keeps_partner(self):
        self._set_policy("allow")
        self._post_logged()
        lead = _last_lead(self.env, "logged.customer@known.example")
        self.assertEqual(lead.partner_id, self.partner)
        self.assertFalse(lead.lead_duplicate_partner_id)
        self.assertNotIn(self.tag, lead.tag_ids)

    def test_logged_customer_rejected_is_told(self):
        """Nothing is dropped silently: a refusal reaches the sender."""
        self._set_policy("reject")
        leads_before = self.env["crm.lead"].search([])
        result = self._post_logged()
        self.assertIn("intake policy refuses", result.get("error") or "")
        self.assertEqual(self.env["crm.lead"].search([]), leads_before)

    def test_logged_customer_with_other_details_is_not_linked(self):
        """As natively: details edited to someone else's give no link to the
        logged-in customer, and intake judges the details sent."""
        leads_before = self.env["crm.lead"].search([])
        result = self._post_logged(
            contact_name="Somebody Else", email_from="somebody.else@fresh.example"
        )
        lead = self.env["crm.lead"].search([]) - leads_before
        self.assertEqual(len(lead), 1)
        self.assertEqual(result, {"id": True})
        self.assertFalse(lead.partner_id)
        self.assertFalse(lead.lead_duplicate_partner_id)
