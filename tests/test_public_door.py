"""The public doors (the web-to-lead form and Odoo's website contact form) as
an anonymous visitor sees them, over real HTTP: one test per point of the
issue "Every role, every door" (points 4 to 11, web-form part), the answers'
language, and a bounded hostile loop."""

import json
import logging
import time
import xmlrpc.client
from contextlib import contextmanager
from unittest.mock import patch

import psycopg2

from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged

from .common import committed_env, run_in_parallel

_WEB_FORM_LOGGER = "odoo.addons.lead_pipeline.controllers.web_form"


def _lead_fields(env, names):
    return env["ir.model.fields"].search([("model", "=", "crm.lead"), ("name", "in", names)])


class _Records(logging.Handler):
    """Every log record of the block, from any thread of the server."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@contextmanager
def captured_logs():
    """The records of the block at INFO and above, whatever level the test
    run logs at (it may mute Odoo's loggers)."""
    handler = _Records()
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in ("odoo", "werkzeug")]
    levels = [logger.level for logger in loggers]
    root.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.INFO)
    try:
        yield handler.records
    finally:
        root.removeHandler(handler)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _tracebacks(records):
    return [
        record
        for record in records
        if record.exc_info or record.levelno >= logging.ERROR or "Traceback" in record.getMessage()
    ]


class PublicDoorCase(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company = env.company
        cls.form = env["lead_pipeline.web.form"].create(
            {
                "name": "Public door",
                "lead_type_id": env.ref("lead_pipeline.lead_type_b2b_prospect").id,
                "min_fill_seconds": 3,
                "company_id": cls.company.id,
            }
        )
        cls.url = f"/lead_pipeline/form/{cls.form.token}"
        cls.Lead = env["crm.lead"].with_context(active_test=False)
        cls.owner = new_test_user(
            env, login="lp_door_owner", groups="sales_team.group_sale_salesman"
        )

    def _token(self, age=10):
        token = self.form._timestamp(now=time.time() - age)
        return {"_ts": token["ts"], "_sig": token["sig"]}

    def _valid(self, **values):
        return {
            **self._token(),
            "contact_name": "Door Visitor",
            "email_from": "visitor@door.example",
            "partner_name": "Door Visitor Ltd",
            **values,
        }

    def _post_json(self, payload, headers=None):
        data = payload if isinstance(payload, str) else json.dumps(payload)
        return self.url_open(
            self.url,
            data=data,
            headers={"Content-Type": "application/json", **(headers or {})},
            allow_redirects=False,
        )

    def _form_leads(self):
        return self.Lead.search([("lead_web_form_id", "=", self.form.id)])

    def _posts_counted(self):
        return self.env["lead_pipeline.web.form.submission"].search_count(
            [("form_id", "=", self.form.id), ("kind", "=", "post")]
        )

    def _mails_to(self, email):
        return self.env["mail.mail"].search([("email_to", "ilike", email)])


@tagged("post_install", "-at_install", "lead_pipeline")
class TestPublicWebForm(PublicDoorCase):
    # -- point 4: the auto-reply is no relay --------------------------------

    def test_point4_auto_reply_once_a_day_per_address_without_posted_text(self):
        self.assertEqual(
            self.form.auto_reply_template_id,
            self.env.ref("lead_pipeline.mail_template_web_form_auto_reply"),
            "new forms reply with the shipped template",
        )
        other_form = self.form.copy({"name": "Second door"})
        for index, form in enumerate((self.form, self.form, other_form)):
            token = form._timestamp(now=time.time() - 10)
            payload = {
                "_ts": token["ts"],
                "_sig": token["sig"],
                "contact_name": f"Buy pills {index}",
                "email_from": "victim@third.example",
                "name": f"CHEAP PILLS http://spam.example/{index}",
                "description": "Visit http://spam.example now",
            }
            self.url = f"/lead_pipeline/form/{form.token}"
            self.assertEqual(self._post_json(payload).status_code, 200)
        self.assertEqual(self.Lead.search_count([("email_from", "=", "victim@third.example")]), 3)
        mail = self._mails_to("victim@third.example")
        self.assertEqual(len(mail), 1, "one auto-reply a day to an address, whatever the form")
        for text in ("spam.example", "pills", "PILLS"):
            self.assertNotIn(text, mail.subject)
            self.assertNotIn(text, str(mail.body_html))

    def test_point4_fetched_token_is_spent_by_one_post_after_the_fill_time(self):
        self.form.min_fill_seconds = 1
        token = self.url_open(f"{self.url}/ts").json()
        signed = {"_ts": token["ts"], "_sig": token["sig"]}
        too_fast = self._post_json({**self._valid(), **signed})
        self.assertEqual(too_fast.status_code, 400)
        time.sleep(1.2)
        self.assertEqual(self._post_json({**self._valid(), **signed}).status_code, 200)
        reused = self._post_json({**self._valid(email_from="second@door.example"), **signed})
        self.assertEqual(reused.status_code, 400, "a token is good for one post")
        self.assertIn("reload the page", reused.json()["errors"][0])
        self.assertEqual(len(self._form_leads()), 1)

    def test_point4_captcha_verdict_is_honoured_and_json_carries_the_token(self):
        self.env["ir.config_parameter"].set_param("recaptcha_private_key", "door-secret")
        self.env["ir.config_parameter"].set_param("recaptcha_min_score", "0.5")
        self.form.auto_reply_template_id = self.env.ref(
            "lead_pipeline.mail_template_web_form_auto_reply"
        )
        seen = []

        class Verdict:
            def __init__(self, token):
                human = token == "human-token"
                self.payload = {"success": True, "score": 0.9 if human else 0.1, "action": False}

            def json(self):
                return self.payload

        def siteverify(url, data, timeout=None):
            seen.append(data.get("response"))
            return Verdict(data.get("response"))

        with patch("odoo.addons.google_recaptcha.models.ir_http.requests.post", siteverify):
            bot = self._post_json(self._valid(email_from="bot.victim@third.example"))
            human = self._post_json(
                self._valid(email_from="human@door.example", recaptcha_token_response="human-token")
            )
        self.assertEqual(bot.status_code, 400, "Google said bot: the post is refused")
        self.assertIn("CAPTCHA", bot.json()["errors"][0])
        self.assertFalse(self._mails_to("bot.victim@third.example"))
        self.assertEqual(human.status_code, 200)
        self.assertIn("human-token", seen, "the JSON body's token reached the check")
        self.assertEqual(self._form_leads().mapped("email_from"), ["human@door.example"])

    # -- point 5: one address cannot close a form for everyone --------------

    def test_point5_posts_refused_per_address_do_not_count_for_the_form(self):
        self.form.write({"rate_limit_ip": 2, "rate_limit_form": 3})
        codes = [
            self._post_json(self._valid(email_from=f"flood{i}@door.example")).status_code
            for i in range(6)
        ]
        self.assertEqual(codes, [200, 200, 429, 429, 429, 429])
        # the next post, from another address, is under the form's limit
        from_ip, to_form = self.env["lead_pipeline.web.form.submission"]._record(
            self.form, "203.0.113.7"
        )
        self.assertEqual((from_ip, to_form), (1, 3))
        self.assertLessEqual(to_form, self.form.rate_limit_form)

    # -- point 6: malformed posts are counted, one log line, clean 400 ------

    def test_point6_post_that_breaks_the_parser_is_counted_and_logged_once(self):
        before = self._posts_counted()
        with captured_logs() as records:
            response = self._post_json("[" * 5000)
            malformed = self._post_json('{"contact_name": "x",')
        self.assertEqual((response.status_code, malformed.status_code), (400, 400), response.text)
        self.assertEqual(response.json()["status"], "error")
        self.assertEqual(self._posts_counted(), before + 2, "the rate-limit rows are kept")
        ours = [record for record in records if record.name == _WEB_FORM_LOGGER]
        self.assertEqual(len(ours), 2, "one line per refused post")
        self.assertFalse(_tracebacks(records))

    # -- point 7: a form always accepts fields, and only safe ones ----------

    def test_point7_forms_have_safe_fields_enforced_by_the_server(self):
        manager = new_test_user(
            self.env, login="lp_door_manager", groups="sales_team.group_sale_manager"
        )
        rpc = xmlrpc.client.ServerProxy(f"{self.base_url()}/xmlrpc/2/object", allow_none=True)

        def call(method, *args):
            return rpc.execute_kw(
                self.env.cr.dbname, manager.id, "lp_door_manager",
                "lead_pipeline.web.form", method, *args,
            )  # fmt: skip

        lead_type = self.env.ref("lead_pipeline.lead_type_b2b_prospect").id
        form_id = call("create", [{"name": "Over the API", "lead_type_id": lead_type}])
        form = self.env["lead_pipeline.web.form"].browse(form_id)
        self.assertEqual(
            set(form.field_ids.mapped("name")),
            {"name", "contact_name", "partner_name", "email_from", "phone", "description"},
        )
        with self.assertRaises(xmlrpc.client.Fault) as empty:
            call(
                "write", [[form_id], {"field_ids": [(5, 0, 0)], "required_field_ids": [(5, 0, 0)]}]
            )
        self.assertIn("must accept at least one field", empty.exception.faultString)
        unsafe = _lead_fields(self.env, ["user_id"]).id
        with self.assertRaises(xmlrpc.client.Fault) as refused:
            call("write", [[form_id], {"field_ids": [(4, unsafe)]}])
        self.assertIn("cannot fill these fields", refused.exception.faultString)
        self.assertNotIn("user_id", form.field_ids.mapped("name"))

    # -- point 8: big bodies are refused before they are read --------------

    def test_point8_body_over_one_mib_refused_by_odoo_before_the_controller(self):
        """Odoo parses form bodies before any controller runs: the route's own
        ``max_content_length`` makes Odoo refuse a body over 1 MiB without
        parsing it, so the answer is Odoo's 413, not the controller's."""
        before = self._posts_counted()
        with captured_logs() as records:
            response = self.url_open(
                self.url, data={"contact_name": "x" * (1024 * 1024 + 10)}, allow_redirects=False
            )
        self.assertEqual(response.status_code, 413)
        self.assertNotIn(
            "application/json",
            response.headers.get("Content-Type", ""),
            "refused by Odoo before the controller (whose answers are JSON) ran",
        )
        self.assertEqual(self._posts_counted(), before)
        self.assertFalse(_tracebacks(records))
        self.assertFalse(self._form_leads())

    # -- point 11 (web form): requests stay in the form's company ----------

    def test_point11_web_form_never_matches_another_companys_customer(self):
        company_b = self.env["res.company"].create({"name": "Door Company B"})
        customer_a = self.env["res.partner"].create(
            {
                "name": "Customer Of A",
                "email": "shared@customer.example",
                "company_id": self.company.id,
                "user_id": self.owner.id,
            }
        )
        self.form.company_id = company_b
        self.assertEqual(
            self._post_json(self._valid(email_from="shared@customer.example")).status_code, 200
        )
        lead = self._form_leads()
        self.assertEqual(len(lead), 1, "a lead of company B, not a note on A's customer")
        self.assertEqual(lead.company_id, company_b)
        self.assertFalse(lead.lead_duplicate_partner_id)
        self.assertFalse(customer_a.activity_ids)
        self.assertNotIn("Door Visitor", "".join(customer_a.message_ids.mapped("body")))

    # -- the answers speak the form's (or the browser's) language ---------

    def test_error_texts_in_form_language_or_browser_language(self):
        self.env["res.lang"]._activate_lang("pl_PL")
        payload = self._valid(contact_name="x" * 600, email_from="")
        english = self._post_json(payload).json()["errors"]
        self.assertIn("email_from: required.", english)
        browser = self._post_json(payload, headers={"Accept-Language": "pl-PL,pl;q=0.9"})
        self.assertIn("email_from: pole wymagane.", browser.json()["errors"])
        self.form.lang = "pl_PL"
        form_lang = self._post_json({"contact_name": "x"}).json()["errors"]
        self.assertEqual(
            form_lang, ["Formularz nie ma poprawnego znacznika czasu; odśwież stronę."]
        )
        unknown = self.url_open("/lead_pipeline/form/nope/ts", headers={"Accept-Language": "pl"})
        self.assertEqual(unknown.json()["errors"], ["Nieznany formularz."])

    # -- a bounded hostile loop --------------------------------------------

    def test_hostile_loop_no_500_no_traceback_no_lead_one_mail_at_most(self):
        self.form.write({"rate_limit_ip": 40, "max_body_bytes": 4096})
        self.form.field_ids |= _lead_fields(self.env, ["website"])
        spent = self._token()
        self.assertEqual(self._post_json({**self._valid(), **spent}).status_code, 200)
        leads_before = self.Lead.search_count([])
        victims = [f"victim{i}@third.example" for i in range(4)]
        third_party = [
            {**self._valid(email_from=victim, description="spam"), **spent} for victim in victims
        ]
        multipart_broken = (
            "--x\r\nContent-Disposition: form-data; name=contact_name\r\n\r\nunterminated"
        )
        hostile = [
            ("json", "[" * 5000),
            ("json", '{"a": ' * 3000),
            ("json", '{"contact_name": "x",'),
            ("json", json.dumps([1, {"a": 2}])),
            ("json", json.dumps({**self._valid(), "contact_name": {"a": [1]}})),
            ("json", json.dumps({**self._valid(), "email_from": 12, "phone": True})),
            ("json", json.dumps({**self._valid(), "_ts": 5, "_sig": None})),
            ("json", json.dumps({**self._valid(), "description": "x" * 6000})),
            ("json", json.dumps({**self._valid(), **self._token(age=0)})),
            ("json", "\xff\xfe garbage"),
            ("form", {"_ts": "abc", "_sig": "x", "contact_name": "y" * 3000}),
            ("raw_form", "a=%%%&&=&b" * 50),
            ("multipart", multipart_broken),
            ("big_form", "contact_name=" + "z" * (1024 * 1024 + 10)),
            *(("json", json.dumps(payload)) for payload in third_party),
        ]
        statuses = {}
        with captured_logs() as records:
            for round_ in range(4):
                for kind, payload in hostile:
                    if kind == "json":
                        response = self._post_json(payload)
                    elif kind == "form":
                        response = self.url_open(self.url, data=payload, allow_redirects=False)
                    else:
                        content_type = {
                            "raw_form": "application/x-www-form-urlencoded",
                            "big_form": "application/x-www-form-urlencoded",
                            "multipart": "multipart/form-data; boundary=x",
                        }[kind]
                        response = self.opener.post(
                            self.base_url() + self.url,
                            data=payload.encode("latin-1"),
                            headers={"Content-Type": content_type},
                            timeout=12,
                            allow_redirects=False,
                        )
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    self.assertLess(response.status_code, 500, (round_, kind, str(payload)[:80]))
        # 200: an exact repeat of a post is answered as a double click, with no lead
        self.assertLessEqual(set(statuses), {200, 400, 413, 429}, statuses)
        self.assertIn(429, statuses, "the burst from one address hit its limit")
        self.assertFalse(_tracebacks(records), [r.getMessage() for r in _tracebacks(records)])
        self.assertEqual(self.Lead.search_count([]), leads_before)
        for victim in victims:
            self.assertLessEqual(len(self._mails_to(victim)), 1)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestPublicWebsiteForm(HttpCase):
    """Odoo's website contact form through the bridge, as an anonymous visitor."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        assert "website" in cls.env, "website_crm (and lead_pipeline_website) must be installed"
        cls.owner = new_test_user(
            cls.env, login="lp_site_door_owner", groups="sales_team.group_sale_salesman"
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Secret Customer Inc",
                "is_company": True,
                "email": "buyer@secret-customer.example",
                "user_id": cls.owner.id,
            }
        )
        cls.Policy = cls.env["lead_pipeline.intake.policy"]

    def _post(self, files=None, **values):
        data = {"contact_name": "Visitor", "name": "Question", "description": "Hello", **values}
        return self.url_open("/website/form/crm.lead", data=data, files=files)

    def _set_policy(self, action):
        self.Policy.search([("channel", "=", "website_form"), ("scope", "=", "customer")]).unlink()
        self.Policy.create({"channel": "website_form", "scope": "customer", "action": action})

    def test_point9_answer_same_for_customers_and_strangers_and_names_nobody(self):
        known = self._post(email_from="buyer@secret-customer.example")
        stranger = self._post(email_from="stranger@fresh.example")
        self.assertEqual(known.json(), stranger.json(), "the answer tells nothing of the base")
        self.assertNotIn(str(self.customer.id), json.dumps(known.json()))
        self._set_policy("reject")
        leads_before = self.env["crm.lead"].search_count([])
        rejected = self._post(email_from="buyer@secret-customer.example")
        self.assertEqual(rejected.json(), stranger.json())
        self.assertNotIn("Secret Customer", rejected.text)
        self.assertEqual(self.env["crm.lead"].search_count([]), leads_before)

    def test_point10_files_never_land_on_a_customer_and_a_name_is_no_match(self):
        Attachment = self.env["ir.attachment"]

        def customer_files():
            return Attachment.search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id)]
            )

        # the company name alone: a new lead (flagged), the file on it
        self._post(
            email_from="someone@elsewhere.example",
            partner_name="Secret Customer Inc",
            files={"file": ("invoice.txt", b"pay here", "text/plain")},
        )
        lead = self.env["crm.lead"].search(
            [("email_from", "=", "someone@elsewhere.example")], limit=1
        )
        self.assertTrue(lead, "no attachment on a name alone")
        self.assertEqual(lead.lead_duplicate_partner_id, self.customer)
        self.assertFalse(self.customer.message_ids.filtered(lambda m: "Hello" in str(m.body)))
        # even with the customer's own address, the file stays on a new lead
        self._post(
            email_from="buyer@secret-customer.example",
            files={"file": ("malware.txt", b"evil", "text/plain")},
        )
        self.assertFalse(customer_files())
        carrier = self.env["crm.lead"].search(
            [("email_from", "=", "buyer@secret-customer.example")], limit=1
        )
        self.assertEqual(carrier.lead_duplicate_partner_id, self.customer)
        self.assertIn(
            "malware.txt",
            Attachment.search(
                [("res_model", "=", "crm.lead"), ("res_id", "in", (lead | carrier).ids)]
            ).mapped("name"),
        )

    def test_point11_website_request_matched_within_the_website_company(self):
        company_b = self.env["res.company"].create({"name": "Site Company B"})
        self.customer.company_id = company_b
        website = self.env["website"].get_current_website()
        self.assertNotEqual(website.company_id, company_b)
        leads_before = self.env["crm.lead"].search([])
        self._post(email_from="buyer@secret-customer.example")
        lead = self.env["crm.lead"].search([]) - leads_before
        self.assertEqual(len(lead), 1, "another company's customer is no match")
        self.assertEqual(lead.company_id, website.company_id)
        self.assertFalse(self.customer.activity_ids)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestPublicDoorDatabase(TransactionCase):
    def test_point4_auto_reply_claim_is_counted_in_the_database(self):
        """Two workers (two committed cursors) reply to the same address at
        the same time: only one claims the day's reply."""
        with committed_env(self.registry) as env:
            form_id = (
                env["lead_pipeline.web.form"]
                .create(
                    {
                        "name": "Claims",
                        "lead_type_id": env.ref("lead_pipeline.lead_type_b2b_prospect").id,
                    }
                )
                .id
            )
        claims = []

        def claim(barrier):
            with committed_env(self.registry) as env:
                form = env["lead_pipeline.web.form"].browse(form_id)
                Submission = env["lead_pipeline.web.form.submission"]
                barrier.wait()
                try:
                    claims.append(Submission._claim_auto_reply(form, "race@third.example"))
                except psycopg2.errors.SerializationFailure:
                    # what Odoo does for an HTTP request: roll back and retry
                    env.cr.rollback()
                    claims.append(Submission._claim_auto_reply(form, "race@third.example"))

        try:
            run_in_parallel(claim)
            self.assertEqual(sorted(claims), [False, True])
        finally:
            with committed_env(self.registry) as env:
                env["lead_pipeline.web.form"].browse(form_id).unlink()
