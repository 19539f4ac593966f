"""The badges of the lead kanban and list (stale, overdue) read only the
columns they need: the web client fetches the view's own columns, and a
badge must not pull every column of 40 or 80 cards in a second query."""

from odoo import tools
from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestBadgeReads(LeadPipelineCase):
    def _cards(self):
        leads = self.Lead.create(
            [
                {
                    "name": f"Card {index}",
                    "type": "lead",
                    "lead_type_id": self.lead_type.id,
                    "description": "<p>long notes</p>",
                    "user_id": self.user_salesman.id,
                }
                for index in range(3)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        # what a kanban's web_search_read has in memory: its own columns
        leads = self.Lead.with_user(self.user_salesman).browse(leads.ids)
        leads.fetch(["name", "company_id", "user_id"])
        return leads

    def _cached(self, leads, fname):
        field = self.Lead._fields[fname]
        return [lead.id for lead in leads if self.env.cache.contains(lead, field)]

    def test_overdue_badge_fetches_only_its_columns(self):
        leads = self._cards()
        leads.mapped("lead_overdue")
        self.assertFalse(self._cached(leads, "description"))
        self.assertEqual(self._cached(leads, "lead_deadline"), leads.ids)

    def test_stale_badge_fetches_only_its_columns(self):
        leads = self._cards()
        leads.mapped("lead_stale")
        self.assertFalse(self._cached(leads, "description"))
        self.assertEqual(self._cached(leads, "lead_status_date"), leads.ids)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestPipelineReads(LeadPipelineCase):
    """The form's statusbar (allowed statuses) and Convert button read the
    pipelines from a cache cleared by any change of a type or a status: no
    query per form or card, and a change shows at once."""

    def _lead(self, status):
        return self.Lead.create(
            {
                "name": "Pipeline read",
                "type": "lead",
                "lead_type_id": self.lead_type.id,
                "lead_status_id": status.id,
                "email_from": "pipeline.read@example.com",
                "partner_name": "Pipeline Read Ltd",
                "user_id": self.user_salesman.id,
            }
        )

    def _fresh(self, lead):
        lead.invalidate_recordset()
        return lead

    def test_allowed_statuses_and_convert_cost_no_query_per_lead(self):
        leads = self.Lead.create(
            [
                {
                    "name": f"Card {index}",
                    "type": "lead",
                    "lead_type_id": self.lead_type.id,
                    "user_id": self.user_salesman.id,
                }
                for index in range(30)
            ]
        )
        self.env.flush_all()

        def queries(records):
            self.env.invalidate_all()
            records = self.Lead.with_user(self.user_salesman).browse(records.ids)
            records.fetch(
                ["type", "active", "lead_type_id", "lead_status_id", "lead_converted_date"]
            )
            before = self.env.cr.sql_log_count
            values = records.mapped("lead_allowed_status_ids"), records.mapped("lead_can_convert")
            return self.env.cr.sql_log_count - before, values

        # the user's record rules and the pipelines, cached as in any session
        queries(leads[:1])
        queries(leads[:1])
        one = queries(leads[:1])[0]
        thirty, (allowed, can_convert) = queries(leads)
        self.assertEqual(thirty, one, "no query per lead")
        self.assertLessEqual(one, 1, "at most the statuses' own read")
        self.assertEqual(
            allowed, self.status_test_new | self.status_test_call | self.status_test_lost
        )
        self.assertEqual(set(can_convert), {False})

    def test_allowed_statuses_follow_the_configuration_at_once(self):
        lead = self._lead(self.status_test_new)
        self.assertEqual(
            lead.lead_allowed_status_ids,
            self.status_test_new | self.status_test_call | self.status_test_lost,
        )
        self.status_test_new.allowed_next_ids = self.status_test_call
        self.assertEqual(
            self._fresh(lead).lead_allowed_status_ids, self.status_test_new | self.status_test_call
        )
        self.lead_type.status_ids = [(3, self.status_test_call.id)]
        self.assertEqual(self._fresh(lead).lead_allowed_status_ids, self.status_test_new)
        # no transitions set: every status of the type, archived ones left out
        self.status_test_new.allowed_next_ids = False
        self.status_test_lost.active = False
        self.assertEqual(
            self._fresh(lead).lead_allowed_status_ids,
            self.status_test_new | self.status_test_ready | self.status_test_won,
        )

    def test_pipelines_cached_alike_whoever_reads_first(self):
        self.status_test_lost.active = False
        self.status_test_new.allowed_next_ids = False
        lead = self._lead(self.status_test_new)
        self.env.registry.clear_cache()
        pipeline = self.test_statuses - self.status_test_lost
        # the first reader, in a context that shows archived records
        self.assertEqual(lead.with_context(active_test=False).lead_allowed_status_ids, pipeline)
        self.assertEqual(self._fresh(lead).lead_allowed_status_ids, pipeline)

    def test_convert_button_follows_the_types_convertible_statuses(self):
        lead = self._lead(self.status_test_ready)
        self.assertTrue(lead.lead_can_convert, "qualified statuses convert by default")
        self.lead_type.convert_status_ids = self.status_test_won
        self.assertFalse(self._fresh(lead).lead_can_convert)
        self.lead_type.convert_status_ids = self.status_test_ready
        self.assertTrue(self._fresh(lead).lead_can_convert)
        new_type = self.Type.create(
            {
                "name": "Other Prospect",
                "code": "OTHER",
                "status_ids": [
                    (
                        6,
                        0,
                        (self.status_test_new | self.status_test_ready | self.status_test_won).ids,
                    )
                ],
                "convert_status_ids": [(6, 0, self.status_test_won.ids)],
            }
        )
        lead.lead_type_id = new_type
        lead.lead_status_id = self.status_test_ready
        self.assertFalse(self._fresh(lead).lead_can_convert)

    def test_history_buttons_open_the_leads_own_records_as_salesperson(self):
        lead = self._lead(self.status_test_new)
        other = self._lead(self.status_test_new)
        for record in (lead, other):
            record.with_user(self.user_salesman).lead_status_id = self.status_test_call
            self.env["lead_pipeline.routing.log"].create(
                {"lead_id": record.id, "user_id": self.user_salesman.id, "explanation": "Test"}
            )
        as_salesman = lead.with_user(self.user_salesman)
        for method, model in (
            ("action_lead_pipeline_open_status_history", "lead_pipeline.status.history"),
            ("action_lead_pipeline_open_routing_log", "lead_pipeline.routing.log"),
        ):
            action = getattr(as_salesman, method)()
            self.assertEqual(action["res_model"], model)
            records = self.env[model].with_user(self.user_salesman).search(action["domain"])
            self.assertEqual(records.lead_id, lead)
            self.assertEqual(len(records), 1)
        history = self.env["lead_pipeline.status.history"].search([("lead_id", "=", lead.id)])
        self.assertEqual(history.to_status_id, self.status_test_call)
        self.assertEqual(self._fresh(lead).lead_status_change_count, 1)

    def test_form_view_shows_history_buttons_and_domain_on_statusbar(self):
        arch = self.Lead.with_user(self.user_salesman).get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        self.assertIn("action_lead_pipeline_open_status_history", arch)
        self.assertIn("action_lead_pipeline_open_routing_log", arch)
        self.assertIn("reachable_from_id", arch)
        # the list does not read the allowed statuses of its 80 rows
        list_arch = self.Lead.get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertNotIn("lead_allowed_status_ids", list_arch)

    def test_overview_counts_have_their_index(self):
        """The Lead Types overview counts every lead by type and status
        category: an index holds all it reads."""
        self.assertTrue(
            tools.index_exists(self.env.cr, "crm_lead_lead_pipeline_type_category_index")
        )
        self._lead(self.status_test_new)
        self._lead(self.status_test_call)
        self.lead_type.invalidate_recordset()
        self.assertEqual(self.lead_type.lead_count_new, 1)
        self.assertEqual(self.lead_type.lead_count_working, 1)
        self.assertEqual(self.lead_type.lead_count, 2)

    def test_type_and_status_names_cached_and_current(self):
        lead = self._lead(self.status_test_call)
        spec = {
            "lead_type_id": {"fields": {"display_name": {}}},
            "lead_status_id": {"fields": {"display_name": {}}},
        }

        def form(record, names=True):
            self.env.invalidate_all()
            record = self.Lead.with_user(self.user_salesman).browse(record.id)
            record.fetch(["lead_type_id", "lead_status_id"])
            before = self.env.cr.sql_log_count
            values = record.web_read(spec if names else {key: {} for key in spec})[0]
            if not names:
                return self.env.cr.sql_log_count - before, ()
            return self.env.cr.sql_log_count - before, (
                values["lead_type_id"]["display_name"],
                values["lead_status_id"]["display_name"],
            )

        form(lead)
        ids_only = form(lead, names=False)[0]
        self.assertEqual(
            form(lead), (ids_only, ("Test Prospect", "Called")), "no query for the names"
        )
        # renamed, archived, translated: shown at once
        self.status_test_call.name = "Phoned"
        self.lead_type.name = "Trial Prospect"
        self.assertEqual(form(lead)[1], ("Trial Prospect", "Phoned"))
        self.status_test_call.active = False
        self.assertEqual(form(lead)[1], ("Trial Prospect", "Phoned"))
        self.env["res.lang"]._activate_lang("fr_FR")
        self.status_test_call.update_field_translations("name", {"fr_FR": "Appelé"})
        self.env.invalidate_all()
        self.assertEqual(self.status_test_call.with_context(lang="fr_FR").display_name, "Appelé")
        self.assertEqual(self.status_test_call.with_context(lang="en_US").display_name, "Phoned")
        # a record being edited in a form shows what is typed
        draft = self.Status.new({"name": "Draft"}, origin=self.status_test_new)
        self.assertEqual(draft.display_name, "Draft")
        self.assertEqual(self.Status.new({"name": "Brand new"}).display_name, "Brand new")
