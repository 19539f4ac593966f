"""Someone who asks for an offer goes straight to sales: quick entry puts
them in the customer base marked as a hot prospect (a partner tag, with a
filter on customers), with an opportunity of high priority that the routing
rules give to a salesperson, who gets an activity to send the offer."""

import xmlrpc.client
from collections import Counter

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import LeadPipelineCase


class HotProspectCase(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.hot = cls.env.ref("lead_pipeline.res_partner_category_hot_prospect")
        cls.team = cls.env["crm.team"].create({"name": "Offers Desk", "use_opportunities": True})
        # the routing rules decide who takes new business: the salesperson
        # keying the entry in is not a member
        cls.rule = cls.env["lead_pipeline.routing.rule"].create(
            {
                "name": "Offers",
                "sequence": -100,
                "strategy": "round_robin",
                "team_id": cls.team.id,
                "member_ids": [
                    (0, 0, {"user_id": cls.user_salesman_2.id}),
                    (0, 0, {"user_id": cls.user_all_leads.id}),
                ],
            }
        )

    def _entries(self, vals_list, user=None):
        return (
            self.env["lead_pipeline.quick.entry"]
            .with_user(user or self.user_salesman)
            .create([{"as_customer": True, **vals} for vals in vals_list])
        )

    def _opportunities(self, partners):
        return self.Lead.search([("partner_id", "in", partners.ids), ("type", "=", "opportunity")])

    def _hot_filter_domain(self):
        """The domain of the Hot Prospects filter, as the customers' search
        view shows it."""
        arch = self.Partner.get_views([(False, "search")])["views"]["search"]["arch"]
        node = etree.fromstring(arch).xpath("//filter[@name='lead_pipeline_hot_prospect']")
        self.assertTrue(node, "the customers' search view has a Hot Prospects filter")
        return safe_eval(node[0].get("domain"))


@tagged("post_install", "-at_install", "lead_pipeline")
class TestHotProspects(HotProspectCase):
    def test_offer_request_enters_hot_customer_with_routed_opportunity(self):
        action = self._entries(
            [
                {
                    "partner_name": "Hot Buyer s.r.o.",
                    "contact_name": "Hana",
                    "email": "hana@hot-buyer.example",
                    "note": "Wants 40 pallets racks, offer by Friday",
                }
            ]
        ).action_create()
        person = self.Partner.browse(action["res_id"])
        company = person.parent_id
        self.assertEqual((person.name, company.name), ("Hana", "Hot Buyer s.r.o."))
        self.assertIn(self.hot, person.category_id)
        self.assertIn(self.hot, company.category_id)

        opportunity = self._opportunities(person)
        self.assertEqual(len(opportunity), 1)
        self.assertEqual(opportunity.priority, "3")
        # routed by the rules, not left with whoever keyed it in
        seller = opportunity.user_id
        self.assertIn(seller, self.user_salesman_2 | self.user_all_leads)
        self.assertEqual(opportunity.team_id, self.team)
        self.assertTrue(opportunity.lead_routed_date)
        self.assertEqual(opportunity.lead_routing_log_ids.rule_id, self.rule)
        self.assertEqual(opportunity.lead_type_id, self.lead_type)
        self.assertIn("40 pallets", opportunity.description)
        # the sales process starts at once: an activity for the salesperson
        activity = opportunity.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, seller)
        self.assertEqual(activity.summary, "Send an offer")
        self.assertIn("40 pallets", str(activity.note))
        # the new customers are looked after by the same salesperson
        self.assertEqual((person | company).user_id, seller)

        hot = self.Partner.search(self._hot_filter_domain())
        self.assertIn(person, hot)
        self.assertIn(company, hot)
        self.assertNotIn(self.env.ref("base.res_partner_1"), hot)

    def test_salesperson_quotes_the_opportunity_at_once(self):
        action = self._entries(
            [{"partner_name": "Quote Now GmbH", "contact_name": " ", "email": "q@quote.example"}]
        ).action_create()
        company = self.Partner.browse(action["res_id"])
        self.assertTrue(company.is_company, "a blank person is no person")
        opportunity = self._opportunities(company)
        seller = opportunity.user_id
        order = (
            self.env["sale.order"]
            .with_user(seller)
            .create({"partner_id": company.id, "opportunity_id": opportunity.id})
        )
        self.assertEqual(opportunity.order_ids, order)

    def test_existing_customer_used_not_duplicated(self):
        company = self.Partner.create(
            {"name": "Known Hot a.s.", "is_company": True, "user_id": self.user_manager.id}
        )
        person = self.Partner.create(
            {
                "name": "Karol",
                "parent_id": company.id,
                "email": "karol@known-hot.example",
                "phone": "+421 905 123 456",
                "user_id": self.user_manager.id,
            }
        )
        count = self.Partner.search_count([])
        action = self._entries(
            [
                {
                    "partner_name": "KNOWN HOT, a. s.",
                    "contact_name": "Karol K.",
                    "email": "Karol@Known-Hot.example",
                }
            ]
        ).action_create()
        self.assertEqual(action["res_id"], person.id)
        self.assertEqual(self.Partner.search_count([]), count, "nobody duplicated")
        self.assertIn(self.hot, person.category_id)
        self.assertIn(self.hot, company.category_id)
        self.assertEqual(person.name, "Karol", "the existing customer is kept as it is")
        self.assertEqual(person.user_id, self.user_manager, "its salesperson too")
        opportunity = self._opportunities(person)
        self.assertEqual(len(opportunity), 1)
        self.assertEqual(opportunity.priority, "3")
        self.assertTrue(opportunity.lead_routed_date)
        self.assertEqual(opportunity.activity_ids.user_id, opportunity.user_id)

        # matched by phone alone, too
        action = self._entries(
            [
                {
                    "contact_name": "Karol",
                    "phone": "0905 123 456",
                    "country_id": self.env.ref("base.sk").id,
                }
            ]
        ).action_create()
        self.assertEqual(action["res_id"], person.id)
        self.assertEqual(self.Partner.search_count([]), count)
        self.assertEqual(len(self._opportunities(person)), 2)

    def test_company_only_entry(self):
        action = self._entries(
            [{"partner_name": "Solo Firm GmbH", "phone": "+49 30 1234567"}]
        ).action_create()
        company = self.Partner.browse(action["res_id"])
        self.assertTrue(company.is_company)
        self.assertEqual(company.phone, "+49 30 1234567")
        self.assertIn(self.hot, company.category_id)
        self.assertEqual(self._opportunities(company).priority, "3")

    def test_batch_of_hundreds_in_one_call(self):
        existing = self.Partner.create(
            {"name": "Batch Known", "email": "known@batch.example", "user_id": self.user_manager.id}
        )
        count = self.Partner.search_count([])
        vals_list = [
            {
                # 100 companies, three persons each
                "partner_name": f"Batch Company {index // 3} s.r.o.",
                "contact_name": f"Person {index}",
                "email": f"person{index}@batch.example",
            }
            for index in range(300)
        ]
        vals_list.append({"contact_name": "Known Again", "email": "KNOWN@batch.example"})
        # the same person twice in one batch gives one customer
        vals_list.append({"contact_name": "Person 0 again", "email": "person0@batch.example"})
        action = self._entries(vals_list).action_create()
        customers = self.Partner.browse(action["domain"][0][2])
        self.assertEqual(self.Partner.search_count([]), count + 100 + 300)
        self.assertIn(existing, customers)
        self.assertEqual(len(customers.parent_id), 100)
        self.assertEqual(set(customers.mapped("parent_id.child_ids")), set(customers - existing))
        opportunities = self._opportunities(customers)
        self.assertEqual(len(opportunities), 302)
        self.assertEqual(set(opportunities.mapped("priority")), {"3"})
        loads = Counter(opportunity.user_id.login for opportunity in opportunities)
        self.assertEqual(loads, Counter({"lp_salesman_2": 151, "lp_all_leads": 151}))
        self.assertEqual(len(opportunities.activity_ids), 302)
        self.assertIn(self.hot, existing.category_id)
        self.assertEqual(
            self.Partner.search_count([("id", "in", customers.ids), *self._hot_filter_domain()]),
            len(customers),
        )

    def test_batch_adds_a_constant_number_of_queries(self):
        """What quick entry adds to creating the customers and opportunities
        themselves (Odoo's own cost, per record) does not grow with the batch."""

        def count(work):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            work()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        def added(size, offset):
            entries = self._entries(
                [
                    {
                        "partner_name": f"Query Co {offset + index // 2}",
                        "contact_name": f"Q {offset + index}",
                        "email": f"q{offset + index}@queries.example",
                    }
                    for index in range(size)
                ]
            )

            def odoo_alone():
                companies = self.Partner.create(
                    [
                        {"name": f"Base Co {offset + i}", "is_company": True}
                        for i in range(0, size, 2)
                    ]
                )
                persons = self.Partner.create(
                    [
                        {"name": f"B {offset + i}", "parent_id": companies[i // 2].id,
                         "email": f"b{offset + i}@queries.example"}
                        for i in range(size)
                    ]
                )  # fmt: skip
                self.Lead.create(
                    [
                        {"type": "opportunity", "name": person.name, "partner_id": person.id}
                        for person in persons
                    ]
                )

            return count(entries.action_create) - count(odoo_alone)

        added(10, 0)  # warm the caches
        small, large = added(10, 1000), added(200, 2000)
        self.assertLessEqual(large, small + 5, (small, large))

    def test_bad_input_refused_nothing_written(self):
        partners, leads = self.Partner.search_count([]), self.Lead.search_count([])
        cases = [
            ({"email": "nobody@bad.example"}, "Fill in a company, a person or both."),
            ({"partner_name": "  ", "contact_name": " ", "phone": "+421905000111"}, "Fill in a company"),
            ({"contact_name": "Unreachable"}, "Fill in an e-mail address or a phone number"),
            ({"contact_name": "Typo", "email": "typo.bad.example"}, "is not a valid e-mail address"),
        ]  # fmt: skip
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(UserError, message):
                # a bad entry refuses the whole batch
                self._entries(
                    [{"contact_name": "Fine", "email": "fine@bad.example"}, values]
                ).action_create()
        self.assertEqual(self.Partner.search_count([]), partners)
        self.assertEqual(self.Lead.search_count([]), leads)

    def test_roles(self):
        with self.assertRaises(AccessError):
            self._entries(
                [{"contact_name": "No Rights", "email": "norights@roles.example"}],
                user=self.user_employee,
            ).action_create()
        for user in (self.user_salesman, self.user_manager):
            with self.subTest(user=user.login):
                action = self._entries(
                    [{"contact_name": f"By {user.login}", "email": f"{user.login}@roles.example"}],
                    user=user,
                ).action_create()
                person = self.Partner.browse(action["res_id"])
                opportunity = self._opportunities(person)
                self.assertIn(self.hot, person.category_id)
                self.assertIn(opportunity.user_id, self.user_salesman_2 | self.user_all_leads)
                self.assertEqual(opportunity.activity_ids.user_id, opportunity.user_id)

    def test_no_rule_for_it_keeps_the_salesperson_who_entered_it(self):
        self.rule.lead_type_ids = self.type_supplier
        action = self._entries(
            [{"contact_name": "Unrouted", "email": "unrouted@rules.example"}]
        ).action_create()
        opportunity = self._opportunities(self.Partner.browse(action["res_id"]))
        self.assertEqual(opportunity.user_id, self.user_salesman)
        self.assertFalse(opportunity.lead_routed_date)
        self.assertEqual(opportunity.activity_ids.user_id, self.user_salesman)
        # a rule for the entry's lead type takes it
        self.rule.lead_type_ids = self.lead_type
        action = self._entries(
            [{"contact_name": "Routed", "email": "routed@rules.example"}]
        ).action_create()
        opportunity = self._opportunities(self.Partner.browse(action["res_id"]))
        self.assertIn(opportunity.user_id, self.user_salesman_2 | self.user_all_leads)

    def test_routed_once_with_the_leads_setting_off(self):
        """Opportunities only (Odoo's Leads setting off): intake routes the
        opportunity at create; quick entry does not route it a second time."""
        self.env.ref("base.group_user").write(
            {"implied_ids": [(3, self.env.ref("crm.group_use_lead").id)]}
        )
        self.env.registry.clear_cache("groups")
        self.assertIn("opportunity", self.Lead._lead_pipeline_intake_types())
        action = self._entries(
            [{"contact_name": "Opportunities Only", "email": "only@opps.example"}]
        ).action_create()
        opportunity = self._opportunities(self.Partner.browse(action["res_id"]))
        self.assertEqual(len(opportunity.lead_routing_log_ids), 1)
        self.assertEqual(opportunity.priority, "3")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestHotProspectOverRpc(HttpCase):
    """The salesperson's path end to end: over XML-RPC, as the salesperson."""

    def test_salesperson_over_xmlrpc(self):
        salesman = mail_new_test_user(
            self.env, login="lp_hot_rpc", name="Rpc Seller", groups="sales_team.group_sale_salesman"
        )
        seller = mail_new_test_user(
            self.env,
            login="lp_hot_seller",
            name="Hot Seller",
            groups="sales_team.group_sale_salesman",
        )
        team = self.env["crm.team"].create({"name": "Rpc Offers"})
        self.env["lead_pipeline.routing.rule"].create(
            {
                "name": "Rpc Offers",
                "sequence": -100,
                "strategy": "fixed",
                "fixed_user_id": seller.id,
                "team_id": team.id,
            }
        )
        existing = self.env["res.partner"].create(
            {"name": "Rpc Known", "email": "known@rpc-hot.example"}
        )
        models = xmlrpc.client.ServerProxy(f"{self.xmlrpc_url}object", allow_none=True)

        def call(model, method, *args):
            self.env.flush_all()  # the server reads the database, not this cache
            return models.execute_kw(
                self.env.cr.dbname, salesman.id, "lp_hot_rpc", model, method, list(args)
            )

        ids = call(
            "lead_pipeline.quick.entry",
            "create",
            [
                {"as_customer": True, "partner_name": "Rpc Hot Ltd", "contact_name": "Rita",
                 "email": "rita@rpc-hot.example", "entry_channel": "phone"},
                {"as_customer": True, "contact_name": "Rpc Known Again",
                 "email": "KNOWN@rpc-hot.example"},
            ],
        )  # fmt: skip
        count = self.env["res.partner"].search_count([])
        action = call("lead_pipeline.quick.entry", "action_create", ids)
        customers = self.env["res.partner"].browse(action["domain"][0][2])
        self.assertEqual(self.env["res.partner"].search_count([]), count + 2)
        self.assertIn(existing, customers)
        hot = self.env.ref("lead_pipeline.res_partner_category_hot_prospect")
        self.assertEqual(customers.category_id & hot, hot)
        self.assertTrue(all(hot in partner.category_id for partner in customers))
        opportunities = self.env["crm.lead"].search([("partner_id", "in", customers.ids)])
        self.assertEqual(len(opportunities), 2)
        self.assertEqual(opportunities.user_id, seller)
        self.assertEqual(opportunities.team_id, team)
        self.assertEqual(opportunities.activity_ids.user_id, seller)
        phone = opportunities.filtered(lambda opportunity: opportunity.partner_id != existing)
        self.assertEqual(phone.source_id, self.env.ref("lead_pipeline.utm_source_phone_call"))
        # routed to someone else, the salesperson who keyed it in no longer sees it
        with self.assertRaises(xmlrpc.client.Fault):
            call("crm.lead", "read", phone.ids, ["name"])
