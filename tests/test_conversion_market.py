"""The market (B2B/B2C) and the relationship sought decide what conversion
makes: a person or a company, and how the new partner is marked."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .test_conversion import ConversionCase


class MarketCase(ConversionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.types = {}
        for market, relationship in [
            ("b2b", "customer"),
            ("b2c", "customer"),
            ("b2b", "supplier"),
            ("b2b", "reseller"),
            ("b2b", "partner"),
            ("b2b", "competitor"),
        ]:
            cls.types[market, relationship] = cls.Type.create(
                {
                    "name": f"Test {market} {relationship}",
                    "code": f"T_{market}_{relationship}".upper(),
                    "market": market,
                    "relationship": relationship,
                    "status_ids": [(6, 0, cls.test_statuses.ids)],
                    "default_status_id": cls.status_test_new.id,
                }
            )

    def _lead(self, market, relationship, prefix="m", **values):
        return self._qualified(
            lead_type_id=self.types[market, relationship].id, prefix=prefix, **values
        )

    def _category(self, name):
        return self.env.ref(f"lead_pipeline.partner_category_{name}")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionMarket(MarketCase):
    def test_b2c_single_person_becomes_person_and_b2b_a_company(self):
        b2c = self._lead("b2c", "customer", prefix="home", partner_name="Home Office Novak")
        b2b = self._lead("b2b", "customer", prefix="firm", partner_name="Novak Trading s.r.o.")
        self.assertEqual((b2c.lead_market, b2b.lead_market), ("b2c", "b2b"))
        wizard = self._wizard(b2c | b2b, user=self.user_salesman)
        proposed = {line.lead_id: line.company_action for line in wizard.line_ids}
        self.assertEqual(proposed, {b2c: "none", b2b: "create"})
        wizard.action_convert()
        person = b2c.partner_id
        self.assertFalse(person.is_company)
        self.assertFalse(person.parent_id)
        self.assertEqual(person.name, "Person 0")
        self.assertEqual(person.company_name, "Home Office Novak", "the employer kept as a name")
        self.assertEqual(person.email, "home0@example.com")
        self.assertEqual(person.lead_pipeline_market, "b2c")
        company = b2b.partner_id.parent_id
        self.assertTrue(company.is_company)
        self.assertEqual(company.name, "Novak Trading s.r.o.")
        self.assertEqual(company.child_ids, b2b.partner_id)
        self.assertEqual(company.lead_pipeline_market, "b2b")

    def test_b2c_lead_with_several_people_stays_a_company(self):
        lead = self._lead("b2c", "customer", partner_name="Family Farm")
        self.env["lead_pipeline.lead.contact"].create(
            {"lead_id": lead.id, "name": "Second Farmer", "email": "second@farm.example"}
        )
        wizard = self._wizard(lead)
        self.assertEqual(wizard.line_ids.company_action, "create")
        wizard.action_convert()
        company = lead.partner_id.parent_id
        self.assertEqual(len(company.child_ids), 2)
        self.assertEqual(company.lead_pipeline_market, "b2c")

    def test_user_may_make_a_company_of_a_b2c_lead(self):
        lead = self._lead("b2c", "customer", partner_name="Home Office Kral")
        wizard = self._wizard(lead, user=self.user_salesman)
        self.assertEqual(wizard.line_ids.company_action, "none")
        wizard.line_ids.company_action = "create"
        wizard.action_convert()
        self.assertEqual(lead.partner_id.parent_id.name, "Home Office Kral")
        self.assertTrue(lead.partner_id.parent_id.is_company)

    def test_supplier_lead_gives_a_supplier(self):
        lead = self._lead("b2b", "supplier", partner_name="Steel Supply a.s.")
        self._wizard(lead, user=self.user_salesman).action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertIn(self._category("supplier"), company.category_id)
        self.assertEqual(company.supplier_rank, 1, "Invoicing's mark of a supplier")
        self.assertEqual(company.lead_pipeline_relationship, "supplier")
        self.assertFalse(lead.partner_id.supplier_rank, "the company is the supplier")

    def test_linked_existing_company_is_marked_as_supplier_too(self):
        existing = self.Partner.create({"name": "Old Supplier Ltd", "is_company": True})
        lead = self._lead("b2b", "supplier", partner_name="Old Supplier Ltd")
        wizard = self._wizard(lead)
        self.assertEqual(wizard.line_ids.partner_id, existing)
        wizard.action_convert()
        self.assertEqual(existing.supplier_rank, 1)
        self.assertIn(self._category("supplier"), existing.category_id)

    def test_reseller_and_partner_leads_get_their_tags(self):
        reseller = self._lead("b2b", "reseller", prefix="res", partner_name="Resell s.r.o.")
        partner = self._lead("b2b", "partner", prefix="par", partner_name="Partner GmbH")
        customer = self._lead("b2b", "customer", prefix="cus", partner_name="Buyer a.s.")
        self._wizard(reseller | partner | customer).action_convert()
        self.assertEqual(
            reseller.partner_id.commercial_partner_id.category_id, self._category("reseller")
        )
        self.assertEqual(
            partner.partner_id.commercial_partner_id.category_id, self._category("partner")
        )
        self.assertFalse(customer.partner_id.commercial_partner_id.category_id)
        self.assertFalse(reseller.partner_id.commercial_partner_id.supplier_rank)

    def test_competitor_watch_gives_tagged_company_and_no_opportunity(self):
        lead = self._lead("b2b", "competitor", partner_name="Rival Tracking a.s.")
        with self.assertRaisesRegex(ValidationError, "Competitor watch leads"):
            self._wizard(lead, user=self.user_salesman, create_opportunity=True).action_convert()
        self.assertFalse(lead.lead_converted_date, "nothing was converted")
        self._wizard(lead, user=self.user_salesman).action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertTrue(company.is_company)
        self.assertIn(self._category("competitor"), company.category_id)
        self.assertEqual(lead.type, "lead")
        with self.assertRaisesRegex(UserError, "never an opportunity"):
            lead.with_user(self.user_manager).action_lead_pipeline_create_opportunity()
        with self.assertRaisesRegex(UserError, "never an opportunity"):
            lead.convert_opportunity(lead.partner_id)
        self.assertEqual(lead.type, "lead")

    def test_competitor_gets_no_quotation(self):
        lead = self._lead("b2b", "competitor", partner_name="Rival Two a.s.")
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        for partner in (company, lead.partner_id):
            with self.assertRaisesRegex(ValidationError, "watched as a competitor"):
                self.env["sale.order"].with_user(self.user_salesman).create(
                    {"partner_id": partner.id}
                )
        other = self.Partner.create({"name": "Friendly Buyer"})
        order = self.env["sale.order"].create({"partner_id": other.id})
        with self.assertRaisesRegex(ValidationError, "watched as a competitor"):
            order.partner_id = company

    def test_bad_lines_refused_for_a_b2c_person(self):
        lead = self._lead("b2c", "customer")
        lead.write({"partner_name": False, "contact_name": False})
        with self.assertRaises(ValidationError):
            lead._lead_pipeline_convert(
                lines=[{"lead_id": lead.id, "company_action": "create"}], contact_lines=[]
            )
        self.assertFalse(lead.lead_converted_date)
        lead.write({"partner_name": "Jana's Studio", "contact_name": "Jana Home"})
        lead._lead_pipeline_convert()
        self.assertFalse(lead.partner_id.is_company, "a person, as the proposal says")
        self.assertEqual(lead.partner_id.company_name, "Jana's Studio")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestMarketReports(MarketCase):
    def test_leads_report_and_customers_group_by_market_and_relationship(self):
        leads = (
            self._lead("b2c", "customer", prefix="r1", partner_name="Home r1")
            | self._lead("b2b", "supplier", prefix="r2", partner_name="Supplier r2")
            | self._lead("b2b", "reseller", prefix="r3", partner_name="Reseller r3")
        )
        domain = [("id", "in", leads.ids)]
        groups = self.Lead._read_group(domain, ["lead_market", "lead_relationship"], ["__count"])
        self.assertEqual(
            sorted(groups),
            [("b2b", "reseller", 1), ("b2b", "supplier", 1), ("b2c", "customer", 1)],
        )
        self.assertEqual(
            self.Lead.search([*domain, ("lead_market", "=", "b2c")]), leads[0], "a filter"
        )
        Report = self.env["lead_pipeline.report"].with_user(self.user_manager)
        report = Report._read_group(
            [("lead_id", "in", leads.ids)], ["market", "relationship"], ["__count"]
        )
        self.assertEqual(
            sorted(report),
            [("b2b", "reseller", 1), ("b2b", "supplier", 1), ("b2c", "customer", 1)],
        )
        self._wizard(leads).action_convert()
        Partner = self.Partner.with_user(self.user_salesman)
        customers = Partner.search([("lead_pipeline_origin_lead_id", "in", leads.ids)])
        by_market = dict(
            Partner._read_group(
                [("id", "in", customers.ids)], ["lead_pipeline_market"], ["__count"]
            )
        )
        self.assertEqual(by_market, {"b2b": 4, "b2c": 1}, "two companies with their contacts")
        suppliers = Partner.search(
            [("id", "in", customers.ids), ("lead_pipeline_relationship", "=", "supplier")]
        )
        self.assertEqual(suppliers.mapped("lead_pipeline_origin_lead_id"), leads[1])

    def test_search_views_offer_the_filters_and_group_bys(self):
        lead_search = self.env.ref("crm.view_crm_case_leads_filter").id
        for model, names in [
            ("crm.lead", ["market_b2c", "relationship_supplier", "group_lead_market",
                          "group_lead_relationship"]),
            ("lead_pipeline.report", ["market_b2b", "relationship_competitor", "group_market",
                                      "group_relationship"]),
            ("res.partner", ["lead_pipeline_market_b2b", "lead_pipeline_relationship_supplier",
                             "group_lead_pipeline_market", "group_lead_pipeline_relationship"]),
        ]:  # fmt: skip
            arch = (
                self.env[model]
                .with_user(
                    self.user_salesman if model != "lead_pipeline.report" else self.user_manager
                )
                .get_views([(lead_search if model == "crm.lead" else False, "search")])["views"][
                    "search"
                ]["arch"]
            )
            for name in names:
                self.assertIn(f'name="{name}"', arch, f"{model}: {name}")

    def test_partner_market_comes_from_origin_lead_and_no_client_sets_it(self):
        lead = self._lead("b2c", "customer", partner_name="Home r9")
        self._wizard(lead).action_convert()
        self.assertEqual(lead.partner_id.lead_pipeline_market, "b2c")
        self.assertTrue(self.Partner._fields["lead_pipeline_market"].readonly)
        with self.assertRaises(UserError):
            lead.partner_id.with_user(self.user_salesman).write(
                {"lead_pipeline_origin_lead_id": False}
            )
