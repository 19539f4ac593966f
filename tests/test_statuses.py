from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatuses(LeadPipelineCase):
    def test_new_lead_gets_default_type_and_status(self):
        lead = self.Lead.create({"name": "Fresh lead", "type": "lead"})
        self.assertEqual(lead.lead_type_id, self.lead_type)
        self.assertEqual(lead.lead_status_id, self.status_test_new)
        self.assertEqual(lead.lead_status_category, "new")

    def test_explicit_type_gets_its_default_status(self):
        lead = self.Lead.create({"name": "B2C", "type": "lead", "lead_type_id": self.type_b2c.id})
        self.assertEqual(lead.lead_status_id, self.type_b2c.default_status_id)

    def test_opportunity_carries_no_status(self):
        opportunity = self.Lead.create({"name": "Opp", "type": "opportunity"})
        self.assertFalse(opportunity.lead_type_id)
        self.assertFalse(opportunity.lead_status_id)
        self.assertTrue(opportunity.stage_id, "the native pipeline is untouched")

    def test_changing_type_moves_to_new_type_default_status(self):
        lead = self._create_leads(1)
        lead.lead_type_id = self.type_b2b
        self.assertEqual(lead.lead_status_id, self.type_b2b.default_status_id)
        self.assertEqual(lead.lead_status_history_ids.to_status_id, self.type_b2b.default_status_id)

    def test_allowed_move_writes_history(self):
        lead = self._create_leads(1)
        lead.lead_status_id = self.status_test_call
        self.assertEqual(lead.lead_status_id, self.status_test_call)
        history = lead.lead_status_history_ids
        self.assertEqual(len(history), 1)
        self.assertEqual(history.from_status_id, self.status_test_new)
        self.assertEqual(history.to_status_id, self.status_test_call)
        self.assertEqual(history.user_id, self.env.user)

    def test_forbidden_move_names_lead_and_allowed_moves(self):
        lead = self._create_leads(1, name="Acme enquiry")
        with self.assertRaises(ValidationError) as caught:
            lead.lead_status_id = self.status_test_won
        message = str(caught.exception)
        self.assertIn("Acme enquiry", message)
        self.assertIn("Fresh to Won is not allowed", message)
        self.assertIn("Called", message)
        self.assertEqual(lead.lead_status_id, self.status_test_new)

    def test_status_of_other_pipeline_refused(self):
        lead = self._create_leads(1)
        with self.assertRaises(ValidationError) as caught:
            lead.lead_status_id = self.status_nurturing
        self.assertIn("not part of the Test Prospect pipeline", str(caught.exception))

    def test_missing_required_fields_named(self):
        lead = self._create_leads(1, name="No company", lead_status_id=self.status_test_call.id)
        with self.assertRaises(ValidationError) as caught:
            lead.lead_status_id = self.status_test_ready
        self.assertIn("No company: fill in Company Name", str(caught.exception))
        # filled in the same write, the move succeeds
        lead.write({"lead_status_id": self.status_test_ready.id, "partner_name": "Acme"})
        self.assertEqual(lead.lead_status_id, self.status_test_ready)

    def test_batch_of_500_with_one_failure_writes_nothing(self):
        leads = self._create_leads(
            500, partner_name="Acme", lead_status_id=self.status_test_call.id
        )
        leads[137].partner_name = False
        history_before = self.env["lead_pipeline.status.history"].search_count([])
        with self.assertRaises(ValidationError) as caught:
            leads.write({"lead_status_id": self.status_test_ready.id})
        self.assertIn("Lead 137: fill in Company Name", str(caught.exception))
        self.assertIn("1 lead(s) cannot move", str(caught.exception))
        self.assertEqual(set(leads.mapped("lead_status_id")), {self.status_test_call})
        self.assertEqual(self.env["lead_pipeline.status.history"].search_count([]), history_before)

    def test_batch_of_500_failures_listed_in_one_message(self):
        leads = self._create_leads(500)
        with self.assertRaises(ValidationError) as caught:
            leads.write({"lead_status_id": self.status_test_ready.id})
        message = str(caught.exception)
        self.assertIn("500 lead(s) cannot move", message)
        self.assertIn("Lead 0:", message)
        self.assertIn("Lead 499:", message)

    def test_batch_of_500_moves_and_logs_history(self):
        leads = self._create_leads(500)
        leads.write({"lead_status_id": self.status_test_call.id})
        self.assertEqual(set(leads.mapped("lead_status_id")), {self.status_test_call})
        history = self.env["lead_pipeline.status.history"].search([("lead_id", "in", leads.ids)])
        self.assertEqual(len(history), 500)

    def test_history_durations_with_frozen_time(self):
        with freeze_time("2026-01-01 08:00:00"):
            lead = self._create_leads(1)
            self.assertEqual(lead.lead_status_date, datetime(2026, 1, 1, 8, 0))
        with freeze_time("2026-01-01 14:30:00"):
            lead.lead_status_id = self.status_test_call
        with freeze_time("2026-01-03 14:30:00"):
            lead.write({"lead_status_id": self.status_test_ready.id, "partner_name": "Acme"})
        history = lead.lead_status_history_ids.sorted("date")
        self.assertEqual(history.mapped("duration_hours"), [6.5, 48.0])
        self.assertEqual(lead.lead_status_date, datetime(2026, 1, 3, 14, 30))

    def test_lost_moves_to_disqualified_and_restore_returns(self):
        lead = self._create_leads(1, lead_status_id=self.status_test_call.id)
        lost_reason = self.env["crm.lost.reason"].create({"name": "No budget"})
        lead.action_set_lost(lost_reason_id=lost_reason.id)
        self.assertFalse(lead.active)
        self.assertEqual(lead.lead_status_id, self.status_test_lost)
        self.assertEqual(lead.lost_reason_id, lost_reason)
        lead.action_unarchive()
        self.assertTrue(lead.active)
        self.assertEqual(lead.lead_status_id, self.status_test_call)

    def test_disqualified_status_archives_and_leaving_it_restores(self):
        lead = self._create_leads(1)
        lead.lead_status_id = self.status_test_lost
        self.assertFalse(lead.active)
        lead.lead_status_id = self.status_test_call
        self.assertTrue(lead.active)
        self.assertFalse(lead.lost_reason_id)

    def test_lost_batch_of_300_leads_of_several_types(self):
        leads = self._create_leads(150) | self._create_leads(150, lead_type_id=self.type_b2b.id)
        leads.action_set_lost()
        self.assertEqual(
            set(leads.mapped("lead_status_id")), {self.status_test_lost, self.status_disqualified}
        )
        leads.action_unarchive()
        self.assertEqual(
            set(leads.mapped("lead_status_id")), {self.status_test_new, self.status_new}
        )

    def test_merge_keeps_most_advanced_status_and_gathers_contacts_and_history(self):
        lead_a = self._create_leads(1, name="A", contact_name="Ann")
        lead_b = self._create_leads(1, name="B", contact_name="Bob")
        lead_b.lead_status_id = self.status_test_call
        merged = (lead_a | lead_b).merge_opportunity(auto_unlink=True)
        self.assertEqual(merged.lead_status_id, self.status_test_call)
        self.assertEqual(sorted(merged.lead_contact_ids.mapped("name")), ["Ann", "Bob"])
        self.assertEqual(len(merged.lead_contact_ids.filtered("primary")), 1)
        self.assertEqual(merged.lead_status_history_ids.to_status_id, self.status_test_call)

    def test_allowed_statuses_for_status_bar(self):
        lead = self._create_leads(1)
        self.assertEqual(
            lead.lead_allowed_status_ids,
            self.status_test_new | self.status_test_call | self.status_test_lost,
        )

    def test_kanban_shows_empty_statuses_of_type(self):
        self._create_leads(1)
        groups = self.Lead.with_context(lead_pipeline_type_id=self.lead_type.id).read_group(
            [("lead_type_id", "=", self.lead_type.id)], ["lead_status_id"], ["lead_status_id"]
        )
        self.assertEqual([group["lead_status_id"][0] for group in groups], self.test_statuses.ids)

    def test_stale_filter(self):
        with freeze_time("2026-01-01"):
            old = self._create_leads(1)
        fresh = self._create_leads(1)
        with freeze_time("2026-03-01"):
            stale = self.Lead.search([("lead_stale", "=", True), ("id", "in", (old | fresh).ids)])
            self.assertEqual(stale, old)
            old.activity_schedule("mail.mail_activity_data_todo", user_id=self.env.uid)
            self.assertFalse(
                self.Lead.search([("lead_stale", "=", True), ("id", "in", (old | fresh).ids)])
            )


@tagged("post_install", "-at_install", "lead_pipeline")
class TestTypeAndStatusConstraints(LeadPipelineCase):
    def test_default_status_must_belong_to_type(self):
        with self.assertRaises(ValidationError) as caught:
            self.lead_type.default_status_id = self.status_new
        self.assertIn("must be one of the type's own statuses", str(caught.exception))

    def test_type_needs_new_and_converted_status(self):
        with self.assertRaises(ValidationError) as caught:
            self.Type.create(
                {"name": "Half", "code": "HALF", "status_ids": [(6, 0, self.status_test_new.ids)]}
            )
        self.assertIn("needs at least one status of category Converted", str(caught.exception))

    def test_code_unique_per_company(self):
        values = {
            "name": "Dup",
            "code": "TEST",
            "status_ids": [(6, 0, self.test_statuses.ids)],
        }
        with self.assertRaises(ValidationError):
            self.Type.create(values)
        other = self.Type.create({**values, "company_id": self.company_2.id})
        self.assertEqual(other.code, "TEST")

    def test_status_in_use_cannot_be_deleted(self):
        self._create_leads(1)
        with self.assertRaises(UserError) as caught:
            self.status_test_new.unlink()
        self.assertIn("archive them instead", str(caught.exception))
        self.status_test_call.unlink()  # unused, not a default: fine

    def test_status_required_fields_only_from_leads(self):
        with self.assertRaises(UserError):
            self.status_test_call.required_field_ids = self.env.ref("base.field_res_partner__name")

    def test_type_counts_per_category(self):
        self._create_leads(3)
        lead = self._create_leads(1)
        lead.lead_status_id = self.status_test_lost
        self.assertEqual(self.lead_type.lead_count_new, 3)
        self.assertEqual(self.lead_type.lead_count_disqualified, 1)
        self.assertEqual(self.lead_type.lead_count, 3)
