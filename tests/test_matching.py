from odoo.tests import BaseCase, TransactionCase, tagged

from odoo.addons.lead_pipeline.logic.matching import (
    email_company_domain,
    group_rows,
    normalize_company_name,
    normalize_vat,
)

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestMatchingKeys(BaseCase):
    def test_company_names_lose_case_accents_punctuation_and_legal_form(self):
        same = [
            "Tatra Logistics, s.r.o.",
            "TATRA LOGISTICS SRO",
            "tatra  logistics",
            "Tatra Logistics spol. s r.o.",
        ]
        self.assertEqual({normalize_company_name(name) for name in same}, {"tatra logistics"})
        self.assertEqual(normalize_company_name("Wisła Foods sp. z o.o."), "wisla foods")
        self.assertEqual(normalize_company_name("ООО Ромашка"), "ромашка")
        self.assertEqual(normalize_company_name("Morava Wine GmbH"), "morava wine")
        self.assertEqual(normalize_company_name("Acme Ltd"), normalize_company_name("ACME Inc."))
        self.assertEqual(normalize_company_name("GmbH"), "gmbh", "a bare legal form stays a name")
        self.assertIsNone(normalize_company_name("  .,- "))

    def test_similar_names_stay_different(self):
        self.assertNotEqual(
            normalize_company_name("Tatra Logistic"), normalize_company_name("Tatra Logistics")
        )

    def test_vat(self):
        self.assertEqual(normalize_vat("sk 2020/123-456"), "SK2020123456")
        self.assertIsNone(normalize_vat("12"))
        self.assertIsNone(normalize_vat(False))

    def test_email_company_domain(self):
        self.assertEqual(email_company_domain("jan@tatra.example"), "tatra.example")
        self.assertIsNone(email_company_domain("jan@gmail.com"))

    def test_group_rows_by_any_shared_key(self):
        rows = [
            {"vat": "SK1", "name": "a"},
            {"email": "x@b.example", "name": "b"},
            {"vat": "SK1", "email": "x@b.example"},
            {"name": "c"},
        ]
        self.assertEqual(group_rows(rows), [0, 0, 0, 3])


@tagged("post_install", "-at_install", "lead_pipeline")
class TestMatchingEngine(LeadPipelineCase):
    def test_keys_stored_on_leads_and_partners(self):
        self.env.company.country_id = self.env.ref("base.sk")
        lead = self.Lead.create(
            {
                "name": "Keys",
                "type": "lead",
                "partner_name": "Danube Solar a.s.",
                "vat": "sk2020 123 456",
                "email_from": '"Eva" <EVA@Danube.example>',
                "phone": "0905 123 456",
            }
        )
        self.assertEqual(
            (lead.match_vat, lead.match_email, lead.match_phone, lead.match_name),
            ("SK2020123456", "eva@danube.example", "+421905123456", "danube solar"),
        )
        partner = self.env["res.partner"].create(
            {"name": "DANUBE SOLAR", "is_company": True, "phone": "+421 905 123 456"}
        )
        self.assertEqual(
            (partner.match_name, partner.match_phone), ("danube solar", "+421905123456")
        )
        person = self.env["res.partner"].create({"name": "Danube Solar"})
        self.assertFalse(person.match_name, "a person's name identifies no company")

    def test_find_partners_strongest_key_first_in_batch(self):
        Partner = self.env["res.partner"]
        by_vat = Partner.create({"name": "Vat Co", "is_company": True, "vat": "PL1234560007"})
        by_name = Partner.create({"name": "Name Co sp. z o.o.", "is_company": True})
        name_key = normalize_company_name("NAME CO")
        rows = [
            {"vat": "PL1234560007", "name": name_key},
            {"name": name_key},
            {"name": "nobody"},
        ]
        with self.assertQueryCount(__system__=2):  # one search per key type used
            matches = self.env["lead_pipeline.matcher"]._find_partners(rows, companies_only=True)
        self.assertEqual(matches[0][0], "vat")
        self.assertEqual(matches[0][2][0], by_vat)
        self.assertEqual(matches[1][2][0], by_name)
        self.assertIsNone(matches[2])

    def test_find_open_leads(self):
        lead = self._create_leads(1, partner_name="Open Co")
        lost = self._create_leads(1, partner_name="Lost Co")
        lost.action_set_lost()
        rows = [{"name": normalize_company_name(name)} for name in ("Open Co", "Lost Co")]
        matches = self.env["lead_pipeline.matcher"]._find_open_leads(rows)
        self.assertEqual(matches[0][2][0], lead)
        self.assertIsNone(matches[1], "disqualified leads are not open")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestPhoneKeys(TransactionCase):
    """Phone keys are parsed once per worker and reused, but never across
    countries for a national number."""

    def test_phone_keys_per_country_and_international_once(self):
        from odoo.addons.lead_pipeline.models import match_mixin

        Partner = self.env["res.partner"]
        slovakia, poland = self.env.ref("base.sk"), self.env.ref("base.pl")

        def key(phone, country):
            return Partner._match_keys_from(phone=phone, country=country)["match_phone"]

        self.assertEqual(key("0905 123 456", slovakia), "+421905123456")
        self.assertEqual(key("+421 905 123 456", poland), "+421905123456")
        self.assertEqual(key("512 345 678", poland), "+48512345678")
        self.assertEqual(key("512 345 678", slovakia), "+421512345678")
        self.assertFalse(key("0905 123 456", poland), "not a Polish number")
        self.assertFalse(key("12", slovakia))
        # a key is its own key, whatever the country it is met with
        self.assertEqual(match_mixin._PHONE_KEYS[("+421905123456", None, None)], "+421905123456")
        self.assertEqual(key("+421905123456", poland), "+421905123456")
