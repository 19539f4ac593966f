from collections import Counter
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.lead_pipeline.logic.routing import Member, resolve_substitute, round_robin_slots

from .common import LeadPipelineCase, committed_env, committed_routing_rule, run_in_parallel


class RoutingCase(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["lead_pipeline.routing.rule"]
        cls.Absence = cls.env["lead_pipeline.absence"]
        cls.anna, cls.boris, cls.cyril = (
            cls.user_salesman,
            cls.user_salesman_2,
            cls.user_all_leads,
        )
        cls.team = cls.env["crm.team"].create({"name": "Bratislava"})

    def _rule(self, users, strategy="round_robin", **values):
        return self.Rule.create(
            {
                "name": values.pop("name", "Rule"),
                "strategy": strategy,
                "team_id": self.team.id,
                "member_ids": [(0, 0, {"user_id": user.id, **member}) for user, member in users],
                **values,
            }
        )

    def _new(self, count, **values):
        return self.Lead.create(
            [
                {
                    "name": f"Routed {i}",
                    "type": "lead",
                    "email_from": f"r{i}@route.example",
                    **values,
                }
                for i in range(count)
            ]
        )


@tagged("post_install", "-at_install", "lead_pipeline")
class TestRoutingLogic(LeadPipelineCase):
    def test_substitute_chains_and_cycles(self):
        self.assertEqual(resolve_substitute(1, {1: 2, 2: 3}), (3, [1, 2, 3]))
        self.assertEqual(resolve_substitute(1, {1: 2, 2: 1})[0], None)
        self.assertEqual(resolve_substitute(1, {1: None})[0], None)
        self.assertEqual(resolve_substitute(4, {1: 2}), (4, [4]))

    def test_weighted_slots(self):
        slots = round_robin_slots([Member(1, 2), Member(2, 1)])
        self.assertEqual([m.user_id for m in slots], [1, 2, 1])


@tagged("post_install", "-at_install", "lead_pipeline")
class TestRouting(RoutingCase):
    def test_round_robin_strictly_fair_over_hundreds(self):
        self._rule([(self.anna, {}), (self.boris, {}), (self.cyril, {})])
        leads = self._new(301)
        counts = sorted(Counter(lead.user_id.id for lead in leads).values())
        self.assertEqual(counts, [100, 100, 101])
        self.assertEqual(leads.team_id, self.team)
        self.assertTrue(all(leads.mapped("lead_routed_date")))

    def test_large_batch_conditions_same_as_small(self):
        """Above 200 leads, conditions are evaluated by the database: the
        same leads match as in memory."""
        slovakia = self.env.ref("base.sk")
        self._rule([(self.anna, {})], domain=f"[('country_id', '=', {slovakia.id})]")
        self._rule([(self.boris, {})], name="Rest", sequence=20)
        for count in (10, 300):
            leads = self._new(count, country_id=False)
            leads[::2].country_id = slovakia
            leads.write({"user_id": False})
            leads._lead_pipeline_route("create", force=True)
            self.assertEqual(leads[::2].user_id, self.anna, count)
            self.assertEqual(leads[1::2].user_id, self.boris, count)

    def test_weights(self):
        self._rule([(self.anna, {"weight": 2}), (self.boris, {})])
        counts = Counter(lead.user_id for lead in self._new(300))
        self.assertEqual((counts[self.anna], counts[self.boris]), (200, 100))

    def test_explicit_salesperson_kept(self):
        self._rule([(self.anna, {})])
        lead = self.Lead.create({"name": "Mine", "type": "lead", "user_id": self.boris.id})
        self.assertEqual(lead.user_id, self.boris)
        self.assertFalse(lead.lead_routing_log_ids)

    def test_order_condition_and_fall_through(self):
        slovakia = self.env.ref("base.sk")
        self._rule(
            [(self.anna, {"paused": True})],
            name="Slovakia",
            sequence=1,
            domain=f"[('country_id', '=', {slovakia.id})]",
        )
        self._rule([(self.boris, {})], name="Everyone else", sequence=2)
        sk_lead = self._new(1, country_id=slovakia.id)
        self.assertEqual(sk_lead.user_id, self.boris, "all members paused: next rule")
        self.assertIn("Everyone else", sk_lead.lead_routing_log_ids.explanation)
        self._rule(
            [(self.cyril, {})],
            name="Slovakia first",
            sequence=0,
            domain=f"[('country_id', '=', {slovakia.id})]",
        )
        self.assertEqual(self._new(1, country_id=slovakia.id).user_id, self.cyril)

    def test_fallback_and_lead_types(self):
        self._rule(
            [(self.anna, {"paused": True})],
            fallback_user_id=self.cyril.id,
            lead_type_ids=[(6, 0, self.lead_type.ids)],
        )
        self.assertEqual(self._new(1).user_id, self.cyril)
        other = self._new(1, lead_type_id=self.type_b2c.id)
        self.assertFalse(other.lead_routing_log_ids, "a rule for another type does not take it")

    def test_least_loaded(self):
        self._new(3, user_id=self.anna.id)
        self._new(1, user_id=self.boris.id)
        self._rule([(self.anna, {}), (self.boris, {}), (self.cyril, {})], strategy="least_loaded")
        leads = self._new(6)
        counts = Counter(lead.user_id for lead in leads)
        self.assertEqual((counts[self.anna], counts[self.boris], counts[self.cyril]), (1, 2, 3))

    def test_capacity_skips_full_members(self):
        self._rule(
            [(self.anna, {"max_open": 2}), (self.boris, {"max_daily": 3})], strategy="capacity"
        )
        leads = self._new(7)
        counts = Counter(lead.user_id for lead in leads)
        self.assertEqual((counts[self.anna], counts[self.boris]), (2, 3), counts)
        self.assertEqual(len(leads.filtered(lambda lead: not lead.lead_routing_log_ids)), 2)

    def test_fixed_person(self):
        self.Rule.create({"name": "Fixed", "strategy": "fixed", "fixed_user_id": self.cyril.id})
        self.assertEqual(self._new(5).user_id, self.cyril)

    def test_absent_member_goes_to_substitute_chain(self):
        now = fields.Datetime.now()
        self.Absence.create(
            {
                "user_id": self.anna.id,
                "substitute_id": self.boris.id,
                "date_from": now - timedelta(days=1),
                "date_to": now + timedelta(days=1),
            }
        )
        self.Absence.create(
            {
                "user_id": self.boris.id,
                "substitute_id": self.cyril.id,
                "date_from": now - timedelta(days=1),
                "date_to": now + timedelta(days=1),
            }
        )
        self.Rule.create({"name": "Anna's", "strategy": "fixed", "fixed_user_id": self.anna.id})
        lead = self._new(1)
        self.assertEqual(lead.user_id, self.cyril)
        self.assertIn(
            f"substituting for {self.anna.name} → {self.boris.name}",
            lead.lead_routing_log_ids.explanation,
        )

    def test_whole_chain_away_goes_to_next_member(self):
        now = fields.Datetime.now()
        self.Absence.create(
            {
                "user_id": self.anna.id,
                "date_from": now - timedelta(days=1),
                "date_to": now + timedelta(days=1),
            }
        )
        self._rule([(self.anna, {}), (self.boris, {})])
        leads = self._new(4)
        self.assertEqual(leads.user_id, self.boris)
        self.assertIn(
            "away, no one available",
            leads[0].lead_routing_log_ids.explanation + leads[1].lead_routing_log_ids.explanation,
        )

    def test_absence_after_it_ends_counts_no_more(self):
        now = fields.Datetime.now()
        self.Absence.create(
            {
                "user_id": self.anna.id,
                "date_from": now - timedelta(days=3),
                "date_to": now - timedelta(days=1),
            }
        )
        self.Rule.create({"name": "Anna's", "strategy": "fixed", "fixed_user_id": self.anna.id})
        self.assertEqual(self._new(1).user_id, self.anna)

    def test_owner_continuity(self):
        existing = self._create_leads(1, partner_name="Loyal Co", user_id=self.cyril.id)
        self._rule([(self.anna, {})], owner_continuity=True)
        lead = self._new(1, partner_name="LOYAL CO s.r.o.")
        self.assertEqual(lead.user_id, existing.user_id)
        self.assertIn("owner continuity", lead.lead_routing_log_ids.explanation)

    def test_owner_continuity_looks_past_records_without_owner(self):
        """An unassigned open lead of the company does not hide the customer's
        salesperson; a batch of hundreds of the same company keeps one face."""
        self._create_leads(1, prefix="nobody", partner_name="Steady Co", user_id=False)
        self.env["res.partner"].create(
            {"name": "Steady Co", "is_company": True, "user_id": self.cyril.id}
        )
        self._rule([(self.anna, {}), (self.boris, {})], owner_continuity=True)
        leads = self._new(250, partner_name="Steady Co")
        self.assertEqual(leads.user_id, self.cyril)
        self.assertIn(
            self._new(1, partner_name="Unknown Co", email_from="x@unknown.example").user_id,
            self.anna | self.boris,
        )

    def test_routing_on_status_entry(self):
        self._rule(
            [(self.anna, {})],
            trigger="status",
            trigger_status_ids=[(6, 0, self.status_test_call.ids)],
        )
        lead = self._new(1)
        self.assertFalse(lead.lead_routing_log_ids, "not routed at intake")
        lead.lead_status_id = self.status_test_call
        self.assertEqual(lead.user_id, self.anna)

    def test_route_again_and_native_assignment_leaves_routed_leads(self):
        rule = self._rule([(self.anna, {})])
        lead = self._new(1)
        rule.member_ids.user_id = self.boris
        lead.with_user(self.user_all_leads).action_lead_pipeline_route()
        self.assertEqual(lead.user_id, self.boris)
        self.assertEqual(len(lead.lead_routing_log_ids), 2)
        domain = self.team._get_lead_to_assign_domain()
        self.assertIn(("lead_routed_date", "=", False), domain)

    def test_explanation_in_log_and_chatter(self):
        self._rule([(self.anna, {}), (self.boris, {"paused": True})], name="Main")
        lead = self._new(1)
        log = lead.lead_routing_log_ids
        self.assertEqual(
            (log.rule_id.name, log.user_id, log.strategy), ("Main", self.anna, "round_robin")
        )
        self.assertIn(f"Skipped: {self.boris.name} (paused)", log.explanation)
        self.assertIn("Routed by rule Main", lead.message_ids[0].body)

    def test_notes_and_log_of_a_batch(self):
        """Route Again on hundreds of leads: one escaped internal note per
        lead by whoever routed, no notification, a log line each, and both
        readable at once on the leads (the caches follow the batch insert)."""
        self._rule([(self.anna, {}), (self.boris, {})], name="<b>Bold</b> & co")
        leads = self._new(300, user_id=self.cyril.id)
        self.assertFalse(leads.lead_routing_log_ids)
        leads.message_ids.mapped("body")  # cached before routing on purpose
        mails_before = self.env["mail.mail"].search_count([])
        leads.with_user(self.user_all_leads).action_lead_pipeline_route()
        notes = leads.message_ids.filtered(lambda message: "Routed by rule" in message.body)
        self.assertEqual(len(notes), 300)
        self.assertEqual(set(notes.mapped("res_id")), set(leads.ids))
        note = leads[0].message_ids[0]
        self.assertEqual(
            note.body,
            "<p>Routed by rule &lt;b&gt;Bold&lt;/b&gt; &amp; co to "
            f"{leads[0].user_id.name} (Round-robin).</p>",
        )
        self.assertEqual(
            (note.author_id, note.subtype_id, note.message_type, note.is_internal),
            (
                self.user_all_leads.partner_id,
                self.env.ref("mail.mt_note"),
                "notification",
                True,
            ),
        )
        self.assertEqual(note.create_uid, self.user_all_leads)
        self.assertFalse(notes.notification_ids)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        logs = leads.lead_routing_log_ids
        self.assertEqual(len(logs), 300)
        self.assertEqual(logs.create_uid, self.user_all_leads)
        self.assertEqual(logs.team_id, self.team)
        # a salesperson reads the notes and their own log lines
        mine = leads.filtered(lambda lead: lead.user_id == self.anna).with_user(self.anna)
        self.assertEqual(len(mine), 150)
        self.assertEqual(mine.lead_routing_log_ids.user_id, self.anna)
        self.assertTrue(all(lead.message_ids for lead in mine))

    def test_bulk_notes_are_what_message_log_batch_writes(self):
        """Above 200 leads the notes are inserted in one query: field for
        field the messages ``_message_log_batch`` writes for a small batch."""
        self._rule([(self.anna, {})], name="Same")
        small, large = self._new(3, user_id=self.cyril.id), self._new(201, user_id=self.cyril.id)
        routing = self.Lead.with_user(self.user_all_leads)
        routing.browse(small.ids).action_lead_pipeline_route()
        routing.browse(large.ids).action_lead_pipeline_route()
        Message = self.env["mail.message"]
        skip = {"id", "res_id", "date", "create_date", "write_date", "message_id", "display_name"}
        skip |= {name for name, field in Message._fields.items() if not field.store}
        names = [name for name in Message._fields if name not in skip]

        def note(lead):
            message = lead.message_ids.filtered(lambda m: "Routed by rule Same" in m.body)
            self.assertEqual(len(message), 1)
            return {name: value for name, value in message.read(names)[0].items() if name != "id"}

        expected, got = note(small[0]), note(large[0])
        self.maxDiff = None
        self.assertEqual(got, expected)
        self.assertEqual(expected["author_id"][0], self.user_all_leads.partner_id.id)
        self.assertTrue(large[0].message_ids[0].message_id)

    def test_bulk_followers_are_what_odoo_auto_subscribes(self):
        """Above 200 leads the followers are inserted in one query: the same
        followers, with the same subtypes, as Odoo's auto-subscription on a
        small batch: the salesperson, the team's followers with the subtypes
        their team subscription implies (no internal ones for a portal
        customer), and a follower already there left as it was."""
        ref = self.env.ref
        self.team.message_subscribe(
            partner_ids=self.user_manager.partner_id.ids,
            subtype_ids=[ref("crm.mt_salesteam_lead").id, ref("crm.mt_salesteam_lead_won").id],
        )
        customer = self.env["res.partner"].create({"name": "Customer watching the team"})
        self.team.message_subscribe(
            partner_ids=customer.ids,
            subtype_ids=[ref("crm.mt_salesteam_lead_stage").id, ref("mail.mt_note").id],
        )
        self._rule([(self.anna, {})], name="Follow")
        small, large = self._new(3, user_id=self.cyril.id), self._new(201, user_id=self.cyril.id)
        already = self.user_employee.partner_id
        (small[0] | large[0]).message_subscribe(already.ids, subtype_ids=ref("mail.mt_note").ids)

        def followers(lead):
            return {
                follower.partner_id: set(follower.subtype_ids)
                for follower in lead.message_follower_ids
            }

        expected = followers(small[0])  # before routing, to compare what is added
        self.assertEqual(followers(large[0]), expected)
        routing = self.Lead.with_user(self.user_all_leads)
        routing.browse(small.ids).action_lead_pipeline_route()
        routing.browse(large.ids).action_lead_pipeline_route()
        self.env.invalidate_all()
        expected = followers(small[0])
        self.assertEqual(
            set(expected),
            {
                self.cyril.partner_id,
                self.anna.partner_id,
                self.user_manager.partner_id,
                customer,
                already,
            },
        )
        self.assertEqual(expected[already], set(ref("mail.mt_note")), "left as it was")
        self.assertIn(ref("crm.mt_lead_won"), expected[self.user_manager.partner_id])
        self.assertEqual(followers(large[0]), expected)
        others = followers(small[-1])
        self.assertNotIn(already, others)
        self.assertTrue(all(followers(lead) == others for lead in large[1:]))
        self.assertEqual(len(large.with_user(self.anna).filtered("message_is_follower")), 201)

    def test_companies_checked_once_per_company_in_a_batch(self):
        """Odoo's company check on a batch, made per company: the same
        verdict, naming the wrong leads, and nothing written."""
        own_type = self.Type.create(
            {
                "name": "First company only",
                "code": "C1",
                "company_id": self.company.id,
                "status_ids": [(6, 0, self.test_statuses.ids)],
            }
        )
        own = self._new(200)
        other = self.Lead.create(
            [
                {"name": f"Other {i}", "type": "lead", "company_id": self.company_2.id}
                for i in range(100)
            ]
        )
        leads = own | other
        types_before = {lead.id: lead.lead_type_id for lead in leads}
        for records in (leads, other[50], other[:2] | own[:2]):
            with self.subTest(count=len(records)):
                with self.assertRaisesRegex(UserError, "Incompatible companies") as caught:
                    with self.env.cr.savepoint():
                        records.write({"lead_type_id": own_type.id})
                self.assertIn("Other ", str(caught.exception))
                self.assertNotIn("Routed ", str(caught.exception))
                leads.invalidate_recordset()
                self.assertEqual({lead.id: lead.lead_type_id for lead in leads}, types_before)
        own.write({"lead_type_id": own_type.id})
        self.assertEqual(own.lead_type_id, own_type)
        own_type.company_id = False
        leads.write({"lead_type_id": own_type.id})
        self.assertEqual(leads.lead_type_id, own_type)

    def test_query_count_independent_of_batch_size_and_zero_without_rules(self):
        def create_queries(count):
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            self._new(count, user_id=self.anna.id)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        def routing_queries(count):
            leads = self._new(count, user_id=self.anna.id)
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            leads._lead_pipeline_route("create", force=True)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        create_queries(50)  # warm the caches
        baseline = create_queries(50)
        rule = self._rule([(self.anna, {}), (self.boris, {})])
        rule.active = False
        create_queries(50)  # the rule change cleared caches: warm them again
        self.assertEqual(create_queries(50), baseline, "no active rule: no query at all")
        rule.active = True
        routing_queries(10)
        self.assertEqual(
            routing_queries(10),
            routing_queries(100),
            "routing's own queries do not grow with the batch",
        )

    def test_invalid_configuration_refused(self):
        with self.assertRaises(ValidationError):
            self._rule([(self.anna, {})], domain="[('nope', '=', 1)")
        with self.assertRaises(ValidationError):
            self.Rule.create({"name": "Empty", "strategy": "round_robin"})
        with self.assertRaises(ValidationError):
            self._rule([(self.anna, {"max_open": -1})])
        now = fields.Datetime.now()
        with self.assertRaises(ValidationError):
            self.Absence.create(
                {
                    "user_id": self.anna.id,
                    "substitute_id": self.anna.id,
                    "date_from": now,
                    "date_to": now,
                }
            )
        self.Absence.create(
            {
                "user_id": self.anna.id,
                "substitute_id": self.boris.id,
                "date_from": now,
                "date_to": now,
            }
        )
        with self.assertRaises(ValidationError):
            self.Absence.create(
                {
                    "user_id": self.boris.id,
                    "substitute_id": self.anna.id,
                    "date_from": now,
                    "date_to": now,
                }
            )

    def test_access(self):
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.anna).create(
                {"name": "x", "strategy": "fixed", "fixed_user_id": self.anna.id}
            )
        self.Rule.with_user(self.user_manager).create(
            {"name": "x", "strategy": "fixed", "fixed_user_id": self.anna.id}
        )
        self._rule([(self.anna, {}), (self.boris, {})])
        leads = self._new(2)
        logs = (
            self.env["lead_pipeline.routing.log"]
            .with_user(self.anna)
            .search([("lead_id", "in", leads.ids)])
        )
        self.assertEqual(logs.lead_id.user_id, self.anna)
        absence = self.Absence.with_user(self.anna).create(
            {"date_to": fields.Datetime.now() + timedelta(days=1)}
        )
        self.assertEqual(absence.user_id, self.anna)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConcurrentRoundRobin(RoutingCase):
    def test_two_cursors_share_turns_fairly(self):
        """Two workers (cursors in two threads) create leads at once against
        one round-robin rule: no lead lost, none assigned twice, fair spread."""
        # committed users, visible to both cursors
        user_ids = (self.env.ref("base.user_admin") | self.env.ref("base.user_root")).ids
        members = [(0, 0, {"user_id": user_id}) for user_id in user_ids]
        with committed_routing_rule(
            self.registry, name="Concurrent", member_ids=members
        ) as created:

            def create(barrier):
                with committed_env(self.registry) as env:
                    barrier.wait()
                    leads = env["crm.lead"].create(
                        [
                            {"name": f"C{i}", "type": "lead", "email_from": f"c{i}@conc.example"}
                            for i in range(25)
                        ]
                    )
                    created.extend(leads.ids)

            run_in_parallel(create)
            self.assertEqual(len(created), 50, "no lead lost")
            with committed_env(self.registry) as env:
                leads = env["crm.lead"].browse(created)
                counts = Counter(lead.user_id.id for lead in leads)
                self.assertEqual(sorted(counts), sorted(user_ids))
                self.assertEqual(sorted(counts.values()), [25, 25], counts)
                self.assertEqual(len(leads.lead_routing_log_ids), 50, "each lead routed once")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConcurrentCapacity(RoutingCase):
    def test_two_cursors_never_overfill_a_member(self):
        """Two workers route at once against daily capacities: under
        REPEATABLE READ each snapshot misses the other's leads, yet nobody
        gets more than their maximum and the rest stay unassigned."""
        user_ids = (self.env.ref("base.user_admin") | self.env.ref("base.user_root")).ids
        with committed_env(self.registry) as env:
            already = env["crm.lead"].search_count(
                [
                    ("user_id", "in", user_ids),
                    ("lead_routed_date", ">=", fields.Datetime.now() - timedelta(days=2)),
                ]
            )
            self.assertEqual(already, 0, "committed leads left from another run")
        members = [
            (0, 0, {"user_id": user_id, "max_daily": 5 + position})
            for position, user_id in enumerate(user_ids)
        ]
        with committed_routing_rule(
            self.registry, name="Concurrent capacity", strategy="capacity", member_ids=members
        ) as created:

            def create(barrier):
                with committed_env(self.registry) as env:
                    env["crm.lead"].search([], limit=1)  # the snapshot is taken here
                    barrier.wait()
                    leads = env["crm.lead"].create(
                        [{"name": f"K{i}", "type": "lead", "user_id": False} for i in range(10)]
                    )
                    created.extend(leads.ids)

            run_in_parallel(create)
            self.assertEqual(len(created), 20, "no lead lost")
            with committed_env(self.registry) as env:
                counts = Counter(lead.user_id.id for lead in env["crm.lead"].browse(created))
                self.assertEqual(counts[user_ids[0]], 5)
                self.assertEqual(counts[user_ids[1]], 6)
                self.assertEqual(counts[False], 9)
