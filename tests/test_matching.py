from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import BaseCase, TransactionCase, tagged
from odoo.tools import SQL

from odoo.addons.lead_pipeline.logic.matching import (
    email_company_domain,
    group_rows,
    normalize_company_name,
    normalize_vat,
)

from .common import LeadPipelineCase

MATCH_FIELDS = ("match_vat", "match_email", "match_phone", "match_name")


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


@tagged("post_install", "-at_install", "lead_pipeline")
class TestKeysWrittenByTheInsert(LeadPipelineCase):
    """The matching keys, the status category, the lead's company and its
    contact's company and e-mail go into the INSERT, not into an UPDATE of
    every new row after it; they stay computed, so a value the creation did
    not give (an e-mail taken from the customer, a VAT synced from the
    company) is still right, and a value a client sends is replaced."""

    def _statements(self, work):
        statements = []
        cursor_class = type(self.env.cr)
        execute = cursor_class.execute

        def recording(cr, query, params=None, log_exceptions=True):
            statements.append(" ".join(str(getattr(query, "code", query)).split()))
            return execute(cr, query, params, log_exceptions)

        self.env.flush_all()
        with patch.object(cursor_class, "execute", recording):
            result = work()
            self.env.flush_all()
        return statements, result

    def _stored(self, table, ids, columns):
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE id = ANY(%s)",
                SQL(", ").join(SQL.identifier(column) for column in columns),
                SQL.identifier(table),
                list(ids),
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def test_batch_of_leads_keys_in_the_insert(self):
        slovakia = self.env.ref("base.sk")
        self.env.company.country_id = slovakia
        poland = self.env.ref("base.pl")
        vals_list = [
            {
                "name": f"Insert {idx}",
                "type": "lead",
                "contact_name": f"Person {idx}",
                "partner_name": f"Insert Company {idx // 3} s.r.o." if idx % 2 else False,
                "email_from": f"Person{idx}@Insert.example" if idx % 5 else False,
                "phone": f"0905 {idx:06d}" if idx % 3 else False,
                "country_id": poland.id if idx % 7 == 0 else slovakia.id,
                "vat": "SK2020123456" if idx == 10 else False,
            }
            for idx in range(300)
        ]
        statements, leads = self._statements(
            lambda: self.Lead.with_user(self.user_manager).create(vals_list)
        )
        self.assertEqual(len(leads), 300)
        inserts = [s for s in statements if s.startswith('INSERT INTO "crm_lead" ')]
        self.assertTrue(inserts)
        keep = ("match_email", "match_phone", "match_name", "lead_status_category", "company_id")
        for statement in inserts:
            for column in keep:
                self.assertIn(f'"{column}"', statement.split("VALUES")[0])
        updates = [s for s in statements if s.startswith('UPDATE "crm_lead" ')]
        for statement in updates:
            written = statement.split(" FROM ")[0]
            for column in (*keep, "match_vat"):
                self.assertNotIn(f'"{column}"', written, statement[:300])
        contact_inserts = [
            s for s in statements if s.startswith('INSERT INTO "lead_pipeline_lead_contact" ')
        ]
        self.assertTrue(contact_inserts)
        for statement in contact_inserts:
            for column in ("company_id", "email_normalized", "match_email", "match_phone"):
                self.assertIn(f'"{column}"', statement.split("VALUES")[0])
        self.assertFalse(
            [s for s in statements if s.startswith('UPDATE "lead_pipeline_lead_contact" ')]
        )
        # what is stored is what the fields compute
        stored = self._stored(
            "crm_lead",
            leads.ids,
            ["match_vat", "match_email", "match_phone", "match_name", "lead_status_category"],
        )
        for lead in leads:
            expected = lead._match_keys_from(
                vat=lead.vat,
                email=lead.email_from,
                phone=lead.phone,
                company_name=lead.partner_name,
                country=lead.country_id,
            )
            self.assertEqual(
                stored[lead.id],
                (
                    *(expected[fname] or None for fname in MATCH_FIELDS),
                    lead.lead_status_id.category,
                ),
            )
            self.assertEqual(lead.company_id, self.env.company)
        self.assertEqual(stored[leads[10].id][0], "SK2020123456")
        self.assertEqual(stored[leads[7].id][2], False or None, "not a Polish number")
        contacts = leads.lead_contact_ids
        self.assertEqual(len(contacts), 300)
        stored = self._stored(
            "lead_pipeline_lead_contact",
            contacts.ids,
            ["company_id", "email_normalized", "match_email", "match_phone"],
        )
        for contact in contacts:
            self.assertEqual(
                stored[contact.id],
                (
                    self.env.company.id,
                    contact.lead_id.match_email or None,
                    contact.lead_id.match_email or None,
                    contact.lead_id.match_phone or None,
                ),
            )

    def test_values_the_creation_does_not_give_are_computed_after_it(self):
        self.env.company.country_id = self.env.ref("base.sk")
        customer = self.env["res.partner"].create(
            {"name": "Keyed Customer", "email": "Keyed@Customer.example", "phone": "0905 111 222"}
        )
        lead = self.Lead.create(
            {
                "name": "From the customer",
                "type": "opportunity",
                "partner_id": customer.id,
            }
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(
            (lead.match_email, lead.match_phone, lead.match_name),
            ("keyed@customer.example", "+421905111222", False),
        )
        company = self.env["res.partner"].create(
            {"name": "Synced Co", "is_company": True, "vat": "PL1234560007"}
        )
        person = self.env["res.partner"].create({"name": "Synced Person", "parent_id": company.id})
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(person.vat, "PL1234560007")
        self.assertEqual(person.match_vat, "PL1234560007", "the VAT synced from its company")
        self.assertEqual(company.match_name, "synced", "its legal form dropped")
        # values that are not text are left to the computation
        odd = self.Lead.create({"name": "Odd", "type": "lead", "phone": 421905333444})
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(odd.match_phone, "+421905333444")

    def test_clients_cannot_set_the_keys(self):
        """The keys decide who intake recognises: a client setting them (a
        forged key would refuse someone or hide a customer) is refused,
        naming them, and nothing is written."""
        lead = self._create_leads(1, prefix="keyed")
        contact = lead.lead_contact_ids
        partner = self.env["res.partner"].create({"name": "Keyed", "email": "k@keyed.example"})
        as_salesperson = self.Lead.with_user(self.user_salesman)
        lead.user_id = self.user_salesman
        attempts = [
            (
                lambda: as_salesperson.create(
                    {"name": "Forged", "type": "lead", "match_email": "x@forged.example"}
                ),
                "E-mail Key",
            ),
            (
                lambda: as_salesperson.with_context(default_match_phone="+421900000000").create(
                    {"name": "Forged", "type": "lead"}
                ),
                "Phone Key",
            ),
            (lambda: lead.with_user(self.user_salesman).write({"match_vat": "SK1"}), "VAT Key"),
            (
                lambda: lead.with_user(self.user_salesman).write(
                    {"lead_status_category": "converted"}
                ),
                "Status Category",
            ),
            (
                lambda: partner.with_user(self.user_salesman).write({"match_name": "acme"}),
                "Company Name Key",
            ),
            (
                lambda: contact.with_user(self.user_salesman).write(
                    {"match_email": "x@forged.example"}
                ),
                "E-mail Key",
            ),
        ]
        for attempt, label in attempts:
            with self.subTest(label=label), self.assertRaises(UserError) as caught:
                attempt()
            self.assertIn(label, str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(lead.match_email, "keyed0@example.com")
        self.assertFalse(lead.match_vat)
        self.assertEqual(lead.lead_status_category, "new")
        self.assertFalse(partner.match_name)
        self.assertEqual(contact.match_email, "keyed0@example.com")
        self.assertFalse(self.Lead.search([("name", "=", "Forged")]))
        # a list grouped by status category proposes its group as default:
        # created, the category is the status's own
        grouped = as_salesperson.with_context(default_lead_status_category="converted").create(
            {"name": "Grouped", "type": "lead"}
        )
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(grouped.lead_status_category, "new")
