import json
import time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, TransactionCase, tagged

from .common import committed_env, run_in_parallel


def _lead_fields(env, names):
    return env["ir.model.fields"].search([("model", "=", "crm.lead"), ("name", "in", names)])


class WebFormCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.form = env["lead_pipeline.web.form"].create(
            {
                "name": "Contact page",
                "lead_type_id": env.ref("lead_pipeline.lead_type_b2b_prospect").id,
                "source_id": env.ref("lead_pipeline.utm_source_contact_form").id,
                "medium_id": env.ref("utm.utm_medium_website").id,
                "field_ids": [(6, 0, _lead_fields(env, ["contact_name", "email_from", "partner_name", "description", "phone"]).ids)],
                "required_field_ids": [(6, 0, _lead_fields(env, ["contact_name", "email_from"]).ids)],
                "max_length": 200,
                "max_body_bytes": 4096,
                "min_fill_seconds": 3,
            }
        )  # fmt: skip
        cls.url = f"/lead_pipeline/form/{cls.form.token}"
        cls.Lead = env["crm.lead"]

    def _signed(self, age=10):
        token = self.form._timestamp(now=time.time() - age)
        return {"_ts": token["ts"], "_sig": token["sig"]}

    def _valid(self, **values):
        return {
            **self._signed(),
            "contact_name": "Web Visitor",
            "email_from": "visitor@web.example",
            "partner_name": "Visitor Company",
            **values,
        }

    def _post_json(self, payload, url=None):
        return self.url_open(
            url or self.url,
            data=json.dumps(payload),
            headers={"Content-Type": "application/json"},
            allow_redirects=False,
        )

    def _post_form(self, payload, url=None):
        return self.url_open(url or self.url, data=payload, allow_redirects=False)

    def _form_leads(self):
        return self.Lead.with_context(active_test=False).search(
            [("lead_web_form_id", "=", self.form.id)]
        )


@tagged("post_install", "-at_install", "lead_pipeline")
class TestWebForm(WebFormCase):
    def test_json_post_creates_lead_with_form_settings(self):
        response = self._post_json(
            self._valid(description="<p>Need <b>40</b> units</p><script>x()</script>")
        )
        self.assertEqual((response.status_code, response.json()), (200, {"status": "ok"}))
        lead = self._form_leads()
        self.assertEqual(len(lead), 1)
        self.assertEqual(lead.type, "lead")
        self.assertEqual(lead.lead_type_id, self.form.lead_type_id)
        self.assertEqual(lead.source_id, self.form.source_id)
        self.assertEqual(lead.medium_id, self.form.medium_id)
        self.assertEqual(lead.contact_name, "Web Visitor")
        self.assertNotIn("<", str(lead.description).replace("<p>", "").replace("</p>", ""))
        self.assertIn("Need 40 units", lead.description)

    def test_form_encoded_post_redirects(self):
        self.form.redirect_url = "https://example.com/thanks"
        response = self._post_form(self._valid())
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response.headers["Location"], "https://example.com/thanks")
        self.assertEqual(len(self._form_leads()), 1)

    def test_unknown_and_inactive_forms_404(self):
        self.assertEqual(
            self._post_json(self._valid(), url="/lead_pipeline/form/nope").status_code, 404
        )
        self.form.active = False
        self.assertEqual(self._post_json(self._valid()).status_code, 404)

    def test_oversized_body_413(self):
        response = self._post_json(self._valid(description="x" * 5000))
        self.assertEqual(response.status_code, 413)

    def test_missing_fields_bad_email_and_long_values_400_with_list(self):
        payload = self._valid(contact_name="", email_from="not-an-email", partner_name="y" * 300)
        response = self._post_json(payload)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["errors"],
            ["partner_name: longer than 200 characters.", "contact_name: required.", "email_from: not a valid e-mail address."],
        )  # fmt: skip
        self.assertFalse(self._form_leads())

    def test_wrong_types_and_bodies_400(self):
        for body in ([1, 2], "text", {"contact_name": {"a": 1}}, {"contact_name": ["x"]}):
            payload = body if not isinstance(body, dict) else {**self._valid(), **body}
            self.assertEqual(self._post_json(payload).status_code, 400, body)
        response = self.url_open(self.url, data="<xml/>", headers={"Content-Type": "text/xml"})
        self.assertEqual(response.status_code, 400)
        self.assertFalse(self._form_leads())

    def test_honeypot_answers_ok_and_creates_nothing(self):
        response = self._post_json(self._valid(_hp="http://spam.example"))
        self.assertEqual(response.json(), {"status": "ok"})
        self.assertFalse(self._form_leads())

    def test_minimum_fill_time_and_signature(self):
        too_fast = self._post_json({**self._valid(), **self._signed(age=0)})
        self.assertEqual(too_fast.status_code, 400)
        self.assertIn("too quickly", too_fast.json()["errors"][0])
        forged = self._post_json({**self._valid(), "_sig": "0" * 64})
        self.assertEqual(forged.status_code, 400)
        self.assertEqual(self._post_json({"contact_name": "x"}).status_code, 400)
        self.assertFalse(self._form_leads())

    def test_timestamp_endpoint_signs_fresh_time(self):
        data = self.url_open(f"{self.url}/ts").json()
        self.assertEqual(data["sig"], self.form._sign(data["ts"]))
        self.assertLessEqual(abs(int(data["ts"].split(".")[0]) - time.time()), 5)

    def test_rate_limit_per_address_429(self):
        self.form.rate_limit_ip = 3
        codes = [
            self._post_json(self._valid(email_from=f"r{i}@rate.example")).status_code
            for i in range(5)
        ]
        self.assertEqual(codes, [200, 200, 200, 429, 429])
        self.assertEqual(len(self._form_leads()), 3)

    def test_identical_double_submit_gives_one_lead(self):
        payload = self._valid()
        self.assertEqual(self._post_json(payload).status_code, 200)
        self.assertEqual(self._post_json(payload).json(), {"status": "ok"})
        self.assertEqual(len(self._form_leads()), 1)

    def test_known_customer_same_answer_no_lead(self):
        customer = self.env["res.partner"].create(
            {
                "name": "Known",
                "email": "known@web.example",
                "user_id": self.env.ref("base.user_admin").id,
            }
        )
        response = self._post_json(self._valid(email_from="known@web.example"))
        self.assertEqual((response.status_code, response.json()), (200, {"status": "ok"}))
        self.assertFalse(self._form_leads())
        self.assertIn("Request through web form Contact page", customer.message_ids[0].body)
        self.assertTrue(customer.activity_ids)

    def test_auto_reply_queued(self):
        template = self.env["mail.template"].create(
            {
                "name": "Thanks",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "subject": "Thank you",
                "email_to": "{{ object.email_from }}",
                "body_html": "<p>We will call you.</p>",
            }
        )
        self.form.auto_reply_template_id = template
        self._post_json(self._valid())
        lead = self._form_leads()
        mail = self.env["mail.mail"].search([("model", "=", "crm.lead"), ("res_id", "=", lead.id)])
        self.assertEqual((mail.state, mail.subject), ("outgoing", "Thank you"))

    def test_consent_required_and_stored(self):
        self.form.consent_required = True
        self.assertEqual(self._post_json(self._valid()).status_code, 400)
        self.assertEqual(self._post_json(self._valid(consent=True)).status_code, 200)
        lead = self._form_leads()
        self.assertEqual(lead.lead_consent_text, self.form.consent_text)
        self.assertTrue(lead.lead_consent_date)

    def test_thousand_hostile_posts_no_500_no_stray_record(self):
        self.form.write({"rate_limit_ip": 100000, "rate_limit_form": 100000})
        leads_before = self.Lead.search_count([])
        partners_before = self.env["res.partner"].search_count([])
        hostile = [
            lambda i: ("json", {"contact_name": f"<script>alert({i})</script>"}),
            lambda i: ("json", {**self._valid(), "email_from": f"x{i}@"}),
            lambda i: ("json", {**self._valid(), "contact_name": None, "email_from": [i]}),
            lambda i: ("json", {**self._valid(), "_sig": "f" * 64}),
            lambda i: ("json", {**self._valid(), "partner_name": "A" * 5000}),
            lambda i: ("json", [i, {"a": i}]),
            lambda i: ("json", {**self._valid(), **self._signed(age=0)}),
            lambda i: ("json", {**self._valid(), "_hp": "bot"}),
            lambda i: ("form", {"_ts": "abc", "_sig": "x", "contact_name": "x" * 3000}),
            lambda i: ("raw", "{not json"),
            lambda i: ("bad_url", {**self._valid()}),
            lambda i: ("json", {**self._valid(), "contact_name": "", "email_from": "a@b.c"}),
        ]
        statuses = {}
        for i in range(1000):
            kind, payload = hostile[i % len(hostile)](i)
            if kind == "json":
                response = self._post_json(payload)
            elif kind == "form":
                response = self._post_form(payload)
            elif kind == "raw":
                response = self.url_open(
                    self.url, data=payload, headers={"Content-Type": "application/json"}
                )
            else:
                response = self._post_json(payload, url=f"/lead_pipeline/form/{'z' * (i % 300)}")
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        self.assertNotIn(500, statuses)
        self.assertEqual(set(statuses), {200, 400, 404, 413}, statuses)
        self.assertEqual(self.Lead.search_count([]), leads_before)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestWebFormDatabase(TransactionCase):
    def test_public_user_cannot_reach_leads_or_forms(self):
        public = self.env.ref("base.public_user")
        with self.assertRaises(AccessError):
            self.env["crm.lead"].with_user(public).create({"name": "Sneaky"})
        with self.assertRaises(AccessError):
            self.env["lead_pipeline.web.form"].with_user(public).search([])

    def test_invalid_configuration_refused(self):
        from odoo.exceptions import ValidationError

        lead_type = self.env.ref("lead_pipeline.lead_type_b2b_prospect")
        for values in ({"max_length": 0}, {"max_body_bytes": 10}, {"rate_limit_ip": 0}):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.env["lead_pipeline.web.form"].create(
                    {"name": "Bad", "lead_type_id": lead_type.id, **values}
                )

    def test_rate_limit_counts_across_two_database_cursors(self):
        """Two workers (two cursors, two threads): each post is its own row,
        counted by the other once committed; none blocks on a shared row."""
        with committed_env(self.registry) as env:
            form = env["lead_pipeline.web.form"].create(
                {"name": "Rate", "lead_type_id": env.ref("lead_pipeline.lead_type_b2b_prospect").id}
            )
            form_id = form.id
        counts = []

        def post(barrier):
            with committed_env(self.registry) as env:
                form = env["lead_pipeline.web.form"].browse(form_id)
                barrier.wait()
                counts.append(env["lead_pipeline.web.form.submission"]._record(form, "10.0.0.1")[0])

        try:
            run_in_parallel(post)
            self.assertEqual(len(counts), 2)
            with committed_env(self.registry) as env:
                form = env["lead_pipeline.web.form"].browse(form_id)
                third = env["lead_pipeline.web.form.submission"]._record(form, "10.0.0.1")[0]
                self.assertEqual(third, 3, "both committed posts are counted")
                env.cr.rollback()
        finally:
            with committed_env(self.registry) as env:
                env["lead_pipeline.web.form"].browse(form_id).unlink()


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStripHtml(TransactionCase):
    def test_strip_html(self):
        from odoo.addons.lead_pipeline.controllers.web_form import strip_html

        self.assertEqual(strip_html("<b>Hi</b> <script>alert(1)</script>there"), "Hi there")
        self.assertEqual(strip_html("&lt;script&gt;x&lt;/script&gt;ok"), "xok")
        self.assertEqual(strip_html("a < b"), "a ")
        self.assertEqual(strip_html("<style>p{}</style>plain &amp; simple"), "plain & simple")

    def test_import_template_offered_beside_odoo_one(self):
        templates = self.env["crm.lead"].get_import_templates()
        self.assertEqual(len(templates), 2)
        self.assertTrue(templates[1]["template"].endswith("lead_pipeline_leads.csv"))
