"""A lead created in a status of the client's choosing (a kanban column, an
import's or the API's status) enters it as a move would: the status belongs
to the lead's type, its required fields are filled and, when it asks for
it, the qualification is met. The type's default status is entered freely."""

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import LeadPipelineCase, SalespersonRpc


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatusChosenAtCreate(LeadPipelineCase):
    def _vals(self, idx, **values):
        return {
            "name": f"Chosen {idx}",
            "type": "lead",
            "lead_type_id": self.lead_type.id,
            "contact_name": f"Chosen Person {idx}",
            "email_from": f"chosen{idx}@create.example",
            **values,
        }

    def _created(self):
        return self.Lead.with_context(active_test=False).search([("name", "=like", "Chosen %")])

    def test_required_fields_of_the_chosen_status(self):
        # Ready asks for the e-mail and the company name
        with self.assertRaises(ValidationError) as caught:
            self.Lead.create([self._vals(0, lead_status_id=self.status_test_ready.id)])
        self.assertRegex(str(caught.exception), r"fill in .* to enter status Ready")
        self.assertFalse(self._created(), "nothing half-written")
        lead = self.Lead.create(
            [self._vals(1, lead_status_id=self.status_test_ready.id, partner_name="Ready a.s.")]
        )
        self.assertEqual(lead.lead_status_id, self.status_test_ready)
        self.assertTrue(lead.lead_can_convert)

    def test_status_of_another_pipeline_refused(self):
        with self.assertRaises(ValidationError) as caught:
            self.Lead.create([self._vals(0, lead_status_id=self.status_qualified.id)])
        self.assertRegex(str(caught.exception), "is not part of the Test Prospect pipeline")
        self.assertFalse(self._created())

    def test_qualification_asked_by_the_status(self):
        self.lead_type.qualification_framework = "bant"
        self.status_test_ready.require_qualification = True
        with self.assertRaises(ValidationError) as caught:
            self.Lead.create(
                [self._vals(0, lead_status_id=self.status_test_ready.id, partner_name="Q a.s.")]
            )
        self.assertRegex(str(caught.exception), "qualification criteria not met")
        self.assertFalse(self._created())

    def test_default_status_and_no_status_entered_freely(self):
        # the default status asks for a field the lead lacks: still entered,
        # as it is when no status is given
        self.status_test_new.required_field_ids = self.env.ref("crm.field_crm_lead__partner_name")
        leads = self.Lead.create(
            [self._vals(0, lead_status_id=self.status_test_new.id), self._vals(1)]
        )
        self.assertEqual(leads.lead_status_id, self.status_test_new)

    def test_kanban_column_checked_like_a_chosen_status(self):
        Lead = self.Lead.with_context(
            default_lead_status_id=self.status_test_ready.id,
            default_lead_type_id=self.lead_type.id,
        )
        with self.assertRaises(ValidationError) as caught:
            Lead.create([self._vals(0)])
        self.assertRegex(str(caught.exception), "to enter status Ready")
        lead = Lead.create([self._vals(1, partner_name="Column a.s.")])
        self.assertEqual(lead.lead_status_id, self.status_test_ready)

    def test_batch_all_or_nothing(self):
        good = [
            self._vals(idx, lead_status_id=self.status_test_ready.id, partner_name=f"Co {idx}")
            for idx in range(300)
        ]
        leads = self.Lead.create(good)
        self.assertEqual(len(leads), 300)
        self.assertEqual(set(leads.mapped("lead_status_id")), {self.status_test_ready})
        leads.unlink()
        bad = [self._vals(idx, lead_status_id=self.status_test_call.id) for idx in range(300)]
        bad[150].update(lead_status_id=self.status_test_ready.id)
        with self.assertRaises(ValidationError) as caught:
            self.Lead.create(bad)
        self.assertRegex(str(caught.exception), r"1 lead\(s\) cannot move to status Ready")
        self.assertFalse(self._created())

    def test_created_disqualified_is_archived_as_a_move_does(self):
        lead = self.Lead.create([self._vals(0, lead_status_id=self.status_test_lost.id)])
        self.assertFalse(lead.active)
        self.assertEqual(lead.lead_status_id, self.status_test_lost)

    def test_changing_type_keeps_a_status_only_when_it_may_be_entered(self):
        # a status shared by two pipelines, free in one and demanding in the other
        strict = self.Status.create(
            {
                "name": "Vetted",
                "category": "working",
                "required_field_ids": [
                    (6, 0, self.env.ref("lead_pipeline.field_crm_lead__vat").ids)
                ],
            }
        )
        other = self.Type.create(
            {
                "name": "Strict Prospect",
                "code": "STRICT",
                "status_ids": [(6, 0, (self.status_test_new | strict | self.status_test_won).ids)],
                "default_status_id": self.status_test_new.id,
            }
        )
        self.lead_type.status_ids = [(4, strict.id)]
        self.lead_type.default_status_id = strict
        lead = self.Lead.create([self._vals(0)])
        self.assertEqual(lead.lead_status_id, strict, "the type's default: entered freely")
        with self.assertRaises(ValidationError) as caught:
            lead.with_user(self.user_manager).write({"lead_type_id": other.id})
        self.assertIn("to enter status Vetted", str(caught.exception))
        lead.write({"lead_type_id": other.id, "vat": "SK2020000015"})
        self.assertEqual((lead.lead_type_id, lead.lead_status_id), (other, strict))

    def test_opportunity_turned_lead_checked_in_its_status(self):
        opportunity = self.Lead.create(
            [self._vals(0, type="opportunity", lead_status_id=self.status_test_ready.id)]
        )
        with self.assertRaises(ValidationError) as caught:
            opportunity.write({"type": "lead"})
        self.assertIn("to enter status Ready", str(caught.exception))
        opportunity.write({"type": "lead", "partner_name": "Now Complete a.s."})
        self.assertEqual(opportunity.type, "lead")

    def test_check_costs_no_query_per_lead(self):
        def count(status, start, n=100):
            vals = [self._vals(start + idx, lead_status_id=status.id) for idx in range(n)]
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self.Lead.create(vals)
            return self.env.cr.sql_log_count - before

        count(self.status_test_call, 0, 5)  # warm up
        free = count(self.status_test_new, 100)  # the default status: no check
        checked = count(self.status_test_call, 300)
        self.assertLessEqual(checked - free, 10, "the check is a few queries for the batch")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatusChosenOverRpc(SalespersonRpc, LeadPipelineCase, HttpCase):
    """As a salesperson, over XML-RPC with committed data, and over the
    import dialog's ``load``."""

    def test_salesperson_cannot_create_a_lead_straight_into_qualified(self):
        vals = {
            "name": "RPC chosen",
            "type": "lead",
            "lead_type_id": self.lead_type.id,
            "user_id": self.user_salesman.id,
            "lead_status_id": self.status_test_ready.id,
            "email_from": "rpc@create.example",
        }
        result = self._rpc("crm.lead", "create", [vals])
        self.assertIsInstance(result, tuple)
        self.assertIn("to enter status Ready", result[1])
        self.assertFalse(self.Lead.search([("name", "=", "RPC chosen")]))
        lead_id = self._rpc("crm.lead", "create", [{**vals, "partner_name": "RPC a.s."}])
        self.assertIsInstance(lead_id, int)
        self.assertEqual(self.Lead.browse(lead_id).lead_status_id, self.status_test_ready)

    def test_import_rows_in_a_chosen_status_checked(self):
        fields = ["name", "email_from", "partner_name", "lead_type_id", "lead_status_id"]
        rows = [
            ["Imported ready", "imp1@create.example", "Imp a.s.", "Test Prospect", "Ready"],
            ["Imported incomplete", "imp2@create.example", "", "Test Prospect", "Ready"],
        ]
        result = self._rpc("crm.lead", "load", [fields, rows])
        self.assertIsInstance(result, dict, result)
        messages = " ".join(message["message"] for message in result["messages"])
        self.assertIn("to enter status Ready", messages)
        self.assertFalse(self.Lead.search([("name", "=", "Imported incomplete")]))
