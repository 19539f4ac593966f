"""Every channel routes: create, mail alias, import, XML-RPC, JSON-RPC,
the website form; and the web client's form keeps its salesperson unless
the setting routes it too."""

import xmlrpc.client
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .test_routing import RoutingCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestRoutingChannels(RoutingCase):
    def setUp(self):
        super().setUp()
        self.rule = self._rule([(self.anna, {}), (self.boris, {})])

    def test_mail_alias_routes(self):
        alias_domain = self.env["mail.alias.domain"].create({"name": "routing.example"})
        self.env["crm.team"].create(
            {
                "name": "Mail Intake",
                "use_leads": True,
                "alias_name": "leads-in",
                "alias_domain_id": alias_domain.id,
            }
        )
        for number in range(2):
            raw = (
                f"From: Someone {number} <someone{number}@mail.example>\r\n"
                "To: leads-in@routing.example\r\n"
                f"Subject: Offer {number}\r\nMessage-ID: <offer-{number}@mail.example>\r\n\r\n"
                "Please call me\r\n"
            )
            self.env["mail.thread"].message_process("crm.lead", raw)
        leads = self.Lead.search([("email_normalized", "=like", "someone_@mail.example")])
        self.assertEqual(len(leads), 2)
        self.assertEqual(set(leads.mapped("user_id")), {self.anna, self.boris})
        self.assertEqual(leads.team_id, self.team)
        self.assertEqual(len(leads.lead_routing_log_ids), 2)

    def test_import_without_salesperson_column_routes_in_batch(self):
        rows = "\n".join(f"Row {i},row{i}@import.example" for i in range(200))
        wizard = self.env["base_import.import"].create(
            {
                "res_model": "crm.lead",
                "file": f"name,email_from\n{rows}\n".encode(),
                "file_type": "text/csv",
            }
        )
        result = wizard.with_context(default_type="lead").execute_import(
            ["name", "email_from"],
            ["name", "email_from"],
            {"has_headers": True, "separator": ",", "quoting": '"'},
        )
        leads = self.Lead.browse(result["ids"])
        self.assertEqual(len(leads), 200)
        self.assertEqual(len(leads.filtered(lambda lead: lead.user_id == self.anna)), 100)
        self.assertEqual(len(leads.filtered(lambda lead: lead.user_id == self.boris)), 100)

    def test_import_with_salesperson_column_keeps_it(self):
        wizard = self.env["base_import.import"].create(
            {
                "res_model": "crm.lead",
                "file": b"name,email_from,user_id\nKept,kept@import.example,Alice AllLeads\n",
                "file_type": "text/csv",
            }
        )
        result = wizard.with_context(default_type="lead").execute_import(
            ["name", "email_from", "user_id"],
            ["name", "email_from", "user_id"],
            {"has_headers": True, "separator": ",", "quoting": '"'},
        )
        self.assertEqual(self.Lead.browse(result["ids"]).user_id, self.cyril)

    def test_other_company_rule_leaves_lead_alone(self):
        self.rule.active = False
        self._rule([(self.anna, {})], company_id=self.company_2.id, team_id=False)
        self.assertFalse(self._new(1, user_id=False).lead_routing_log_ids)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestDryRun(RoutingCase):
    def test_dry_run_writes_nothing_and_shows_where_leads_would_go(self):
        leads = self._new(6, user_id=False)
        self.assertFalse(leads.user_id, "no rule yet")
        rule = self._rule(
            [(self.anna, {}), (self.boris, {})], active=False, name="Draft", sequence=-100
        )
        self.env.cr.execute(f"SELECT last_value, is_called FROM {rule._sequence_name()}")
        sequence_before = self.env.cr.fetchone()
        wizard = (
            self.env["lead_pipeline.routing.dry.run"]
            .with_user(self.user_manager)
            .create({"domain": f"[('id', 'in', {leads.ids})]"})
        )
        wizard.action_run()
        self.assertEqual(wizard.summary, "0 of 6 leads would be routed.")
        self.assertEqual(set(wizard.line_ids.mapped("explanation")), {"No rule takes this lead."})
        wizard.include_inactive_rules = True
        wizard.action_run()
        self.assertEqual(wizard.summary, "6 of 6 leads would be routed.")
        self.assertEqual(len(wizard.line_ids), 6)
        self.assertEqual(wizard.line_ids.rule_id, rule)
        planned = [line.user_id for line in wizard.line_ids]
        self.assertEqual(planned, [self.boris, self.anna] * 3)
        self.assertIn("Routed by rule Draft", wizard.line_ids[0].explanation)
        # nothing written: leads, log, round-robin turns
        leads.invalidate_recordset()
        self.assertFalse(leads.user_id)
        self.assertFalse(any(leads.mapped("lead_routed_date")))
        self.assertFalse(leads.lead_routing_log_ids)
        self.env.cr.execute(f"SELECT last_value, is_called FROM {rule._sequence_name()}")
        self.assertEqual(self.env.cr.fetchone(), sequence_before)
        # and routing for real then does what the dry run said
        rule.active = True
        leads._lead_pipeline_route("create", force=True)
        self.assertEqual([lead.user_id for lead in leads], planned)

    def test_dry_run_of_a_pasted_sample(self):
        """Leads that do not exist yet, pasted as CSV with labels or technical
        names: routed in memory, nothing saved, turns untouched."""
        slovakia, website = self.env.ref("base.sk"), self.env.ref("utm.utm_source_newsletter")
        tag = self.env["crm.tag"].create({"name": "Roofing"})
        rule_sk = self._rule(
            [(self.anna, {})],
            name="Slovak roofs",
            sequence=-100,
            domain=f"[('country_id', '=', {slovakia.id}), ('tag_ids', 'in', {tag.ids})]",
        )
        rule_rest = self._rule(
            [(self.boris, {}), (self.cyril, {})], name="Rest", sequence=-50, active=False
        )
        self.env.cr.execute(f"SELECT last_value, is_called FROM {rule_rest._sequence_name()}")
        sequence_before = self.env.cr.fetchone()
        leads_before = self.Lead.with_context(active_test=False).search_count([])
        sample = "\n".join(
            [
                "Opportunity;email_from;Country;Source;Tags;Expected Revenue",
                f"Roof A;a@roof.example;Slovakia;{website.name};Roofing;1000",
                f"Roof B;b@roof.example;SK;;Roofing, {tag.name};",
                "Shed C;c@shed.example;Slovakia;;;2500.5",
                "Shed D;d@shed.example;;;;",
                "",
            ]
        )
        wizard = (
            self.env["lead_pipeline.routing.dry.run"]
            .with_user(self.user_manager)
            .create({"source": "sample", "sample": sample, "include_inactive_rules": True})
        )
        wizard.action_run()
        self.assertEqual(wizard.summary, "4 of 4 leads would be routed.")
        lines = wizard.line_ids
        self.assertEqual(lines.mapped("sample_name"), ["Roof A", "Roof B", "Shed C", "Shed D"])
        self.assertFalse(lines.lead_id)
        self.assertEqual(lines.mapped("rule_id"), rule_sk | rule_rest)
        self.assertEqual([line.rule_id for line in lines][:2], [rule_sk, rule_sk])
        self.assertEqual(lines[:2].user_id, self.anna)
        self.assertEqual(set(lines[2:].mapped("user_id")), {self.boris, self.cyril})
        # nothing saved, no turn taken
        self.assertEqual(self.Lead.with_context(active_test=False).search_count([]), leads_before)
        self.env.cr.execute(f"SELECT last_value, is_called FROM {rule_rest._sequence_name()}")
        self.assertEqual(self.env.cr.fetchone(), sequence_before)

    def test_dry_run_sample_bad_input(self):
        Wizard = self.env["lead_pipeline.routing.dry.run"].with_user(self.user_manager)
        cases = {
            "": "Paste a sample",
            "Opportunity,Email": "no lead",
            "Opportunity,Colour\nA,red": "Colour",
            "Opportunity,Country\nA,Atlantis": "Line 2, Country: no single match for “Atlantis”",
            "Opportunity,Expected Revenue\nA,lots": "“lots” is not a number",
            "Opportunity,Priority\nA,urgent!": "not one of the choices",
            "Opportunity\n" + "\n".join(f"L{i}" for i in range(201)): "at most 200",
        }
        for sample, message in cases.items():
            wizard = Wizard.create({"source": "sample", "sample": sample})
            with self.subTest(sample=sample[:30]), self.assertRaisesRegex(UserError, message):
                wizard.action_run()
            self.assertFalse(wizard.line_ids)

    def test_dry_run_sample_of_hundreds(self):
        self._rule([(self.anna, {}), (self.boris, {})], name="All")
        sample = "name,email_from\n" + "\n".join(f"S{i},s{i}@sample.example" for i in range(200))
        wizard = self.env["lead_pipeline.routing.dry.run"].create(
            {"source": "sample", "sample": sample}
        )
        wizard.action_run()
        self.assertEqual(wizard.summary, "200 of 200 leads would be routed.")
        self.assertEqual(len(wizard.line_ids.filtered(lambda line: line.user_id == self.anna)), 100)
        self.assertFalse(self.Lead.search_count([("email_from", "=like", "s%@sample.example")]))

    def test_dry_run_bad_input_and_access(self):
        wizard = self.env["lead_pipeline.routing.dry.run"].create({"domain": "[('nope', '=', 1)]"})
        with self.assertRaises(UserError):
            wizard.action_run()
        wizard.domain = "[]"
        self.assertTrue(self.Lead.search_count([]) < 2000)
        wizard.action_run()
        with self.assertRaises(AccessError):
            self.env["lead_pipeline.routing.dry.run"].with_user(self.anna).create({"domain": "[]"})


@tagged("post_install", "-at_install", "lead_pipeline")
class TestDailyCapacityInMemberTimeZone(RoutingCase):
    def _two_leads_around_midnight(self, tz):
        self.anna.tz = tz
        self._rule(
            [(self.anna, {"max_daily": 1})], strategy="capacity", fallback_user_id=self.boris.id
        )
        # 22:30 UTC is 23:30 in Bratislava; 23:30 UTC is the next day there
        with freeze_time(datetime(2026, 11, 23, 22, 30)):
            first = self._new(1)
        with freeze_time(datetime(2026, 11, 23, 23, 30)):
            second = self.Lead.create(
                {"name": "Later", "type": "lead", "email_from": "l@x.example"}
            )
        return first.user_id, second.user_id

    def test_new_day_starts_at_the_members_midnight(self):
        self.assertEqual(
            self._two_leads_around_midnight("Europe/Bratislava"), (self.anna, self.anna)
        )

    def test_same_day_in_utc_means_full(self):
        self.assertEqual(self._two_leads_around_midnight("UTC"), (self.anna, self.boris))


@tagged("post_install", "-at_install", "lead_pipeline")
class TestRoutingOverRpcAndWebClient(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.demo_user = cls.env["res.users"].create(
            {
                "name": "Rpc Router",
                "login": "lp_rpc_router",
                "groups_id": [(6, 0, cls.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        cls.env["lead_pipeline.routing.rule"].create(
            {
                "name": "Everything to Rpc Router",
                "strategy": "fixed",
                "fixed_user_id": cls.demo_user.id,
            }
        )

    def _call_kw(self, values):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw/crm.lead/create",
            {"model": "crm.lead", "method": "create", "args": [[values]], "kwargs": {}},
        )

    def test_xmlrpc_and_jsonrpc_without_salesperson_route(self):
        models = xmlrpc.client.ServerProxy(f"{self.xmlrpc_url}object", allow_none=True)
        lead_id = models.execute_kw(
            self.env.cr.dbname, self.admin.id, "admin", "crm.lead", "create",
            [{"name": "Via XML-RPC", "type": "lead", "email_from": "x@rpc.example"}],
        )  # fmt: skip
        self.assertEqual(self.env["crm.lead"].browse(lead_id).user_id, self.demo_user)
        self.authenticate("admin", "admin")
        [lead_id] = self._call_kw(
            {"name": "Via JSON-RPC", "type": "lead", "email_from": "j@rpc.example"}
        )
        self.assertEqual(self.env["crm.lead"].browse(lead_id).user_id, self.demo_user)

    def test_web_client_form_keeps_its_salesperson_unless_the_setting_routes_it(self):
        self.authenticate("admin", "admin")
        values = {
            "name": "Typed",
            "type": "lead",
            "user_id": self.admin.id,
            "email_from": "t@f.example",
        }
        [kept] = self._call_kw(values)
        self.assertEqual(self.env["crm.lead"].browse(kept).user_id, self.admin)
        self.env["ir.config_parameter"].set_param("lead_pipeline.route_form_leads", "True")
        [routed] = self._call_kw({**values, "email_from": "t2@f.example"})
        self.assertEqual(self.env["crm.lead"].browse(routed).user_id, self.demo_user)
        # a salesperson other than oneself is a choice, and is kept
        [chosen] = self._call_kw(
            {**values, "user_id": self.demo_user.id, "email_from": "t3@f.example"}
        )
        self.assertEqual(self.env["crm.lead"].browse(chosen).user_id, self.demo_user)
