"""What the layout of issue "one crm.lead extension per capability" gives
other addons and operators: pluggable routing strategies, the door a lead
comes in by named by code only, quick entry through the matching engine, and
an uninstall that leaves no sequence behind."""

import json
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from odoo.addons.lead_pipeline.hooks import uninstall_hook

from .common import LeadPipelineCase
from .test_routing import RoutingCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestPluggableStrategy(RoutingCase):
    def test_an_addon_adds_a_strategy_with_a_selection_and_a_method(self):
        Rule = type(self.Rule)
        field = self.Rule._fields["strategy"]

        def _route_alphabetical(rule, routing, members, slots, turn, skipped):  # noqa: PLR0917
            users = self.env["res.users"].browse([m.user_id for m in members]).sorted("name")
            return routing._available(users[:1].id, skipped)

        with (
            patch.object(field, "selection", [*field.selection, ("alphabetical", "Alphabetical")]),
            patch.object(field, "_selection", {**field._selection, "alphabetical": "Alphabetical"}),
            patch.object(Rule, "_route_alphabetical", _route_alphabetical, create=True),
        ):
            self._rule([(self.boris, {}), (self.cyril, {}), (self.anna, {})], "alphabetical")
            leads = self._new(3)
            self.assertEqual(leads.user_id, self.cyril, "Alice AllLeads sorts first")
            self.assertIn("Alphabetical", leads[0].lead_routing_log_ids.explanation)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestUninstallHook(RoutingCase):
    def test_uninstall_drops_the_round_robin_sequences(self):
        rule = self._rule([(self.anna, {})])
        query = "SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relname = %s"
        self.env.cr.execute(query, [rule._sequence_name()])
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        uninstall_hook(self.env)  # transactional DDL: the test's rollback brings it back
        self.env.cr.execute(query, [rule._sequence_name()])
        self.assertEqual(self.env.cr.fetchone()[0], 0)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestQuickEntryMatches(LeadPipelineCase):
    def test_offer_right_away_uses_existing_company_and_person(self):
        Partner = self.env["res.partner"]
        company = Partner.create({"name": "Known Buyer s.r.o.", "is_company": True})
        person = Partner.create(
            {"name": "Kim", "parent_id": company.id, "email": "kim@known-buyer.example"}
        )
        count = Partner.search_count([])
        action = (
            self.env["lead_pipeline.quick.entry"]
            .with_user(self.user_salesman)
            .create(
                {
                    "partner_name": "KNOWN BUYER, s. r. o.",
                    "contact_name": "Kim K.",
                    "email": "Kim@Known-Buyer.example",
                    "as_customer": True,
                }
            )
            .action_create()
        )
        self.assertEqual(action["res_id"], person.id)
        self.assertEqual(Partner.search_count([]), count, "nobody duplicated")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestTypedInDetection(HttpCase):
    """A lead counts as typed in by a person only when the web client saves a
    lead (form or quick create); leads other code creates during a request
    are code, which intake leaves alone."""

    def _call_kw(self, method, args, kwargs=None):
        response = self.url_open(
            f"/web/dataset/call_kw/crm.lead/{method}",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "id": 1,
                    "params": {
                        "model": "crm.lead",
                        "method": method,
                        "args": args,
                        "kwargs": kwargs or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_web_save_is_typed_in_copy_is_code(self):
        self.env["res.partner"].create({"name": "Known", "email": "known@typed.example"})
        existing = self.env["crm.lead"].create(
            {"name": "By code", "type": "lead", "email_from": "known@typed.example"}
        )
        self.assertTrue(existing, "code is no door: intake leaves it alone")
        self.authenticate("admin", "admin")
        saved = self._call_kw(
            "web_save",
            [[], {"name": "Typed", "type": "lead", "email_from": "known@typed.example"}],
            {"specification": {"id": {}}},
        )
        self.assertIn("error", saved, "typed in the form: the intake policy refuses it")
        self.assertIn("already in the base", json.dumps(saved["error"]))
        copied = self._call_kw("copy", [[existing.id]])
        self.assertNotIn("error", copied, copied.get("error"))
        self.assertTrue(copied["result"])
