from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestQualification(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_type.qualification_framework = "bant"
        cls.status_test_ready.require_qualification = True

    def _ready_values(self):
        return {"partner_name": "Acme", "email_from": "buyer@acme.example"}

    def _answer(self, leads, names, state="met"):
        leads.lead_qualification_ids.filtered(lambda line: line.name in names).write(
            {"state": state}
        )

    def test_bant_lines_and_score(self):
        lead = self._create_leads(1)
        self.assertEqual(
            lead.lead_qualification_ids.mapped("name"), ["Budget", "Authority", "Need", "Timing"]
        )
        self.assertEqual(lead.lead_qualification_score, 0.0)
        self._answer(lead, ["Budget", "Need"])
        self._answer(lead, ["Timing"], "not_met")
        self.assertEqual(lead.lead_qualification_score, 50.0)
        self.assertEqual(lead.probability, lead.probability, "Odoo's own scoring untouched")

    def test_champ_and_custom_criteria_and_type_change(self):
        custom_type = self.Type.create(
            {
                "name": "Resellers",
                "code": "RESELL",
                "qualification_framework": "custom",
                "status_ids": [(6, 0, self.test_statuses.ids)],
                "default_status_id": self.status_test_new.id,
                "qualification_criterion_ids": [
                    (0, 0, {"name": "Has a shop", "sequence": 1}),
                    (0, 0, {"name": "Covers a region", "sequence": 2}),
                ],
            }
        )
        lead = self._create_leads(1, lead_type_id=custom_type.id)
        self.assertEqual(
            lead.lead_qualification_ids.mapped("name"), ["Has a shop", "Covers a region"]
        )
        self._answer(lead, ["Has a shop"])
        custom_type.qualification_framework = "champ"
        lead.lead_type_id = self.lead_type  # BANT now; the answered line stays
        names = lead.lead_qualification_ids.mapped("name")
        self.assertIn("Budget", names)
        self.assertIn("Has a shop", names)
        self.assertNotIn("Covers a region", names)
        champ = self._create_leads(1, prefix="champ", lead_type_id=custom_type.id)
        self.assertEqual(
            champ.lead_qualification_ids.mapped("name"),
            ["Challenges", "Authority", "Money", "Prioritization"],
        )

    def test_entry_refused_with_unmet_criteria_named_nothing_written(self):
        leads = self._create_leads(2, **self._ready_values())
        leads.lead_status_id = self.status_test_call
        self._answer(leads[0], ["Budget", "Authority", "Need", "Timing"])
        self._answer(leads[1], ["Budget", "Need"])
        with self.assertRaises(ValidationError) as caught:
            leads.lead_status_id = self.status_test_ready
        message = str(caught.exception)
        self.assertIn("Lead 1: qualification criteria not met: Authority, Timing.", message)
        self.assertNotIn("Lead 0", message)
        self.assertEqual(leads.lead_status_id, self.status_test_call, "nothing written")
        self._answer(leads[1], ["Authority", "Timing"])
        leads.lead_status_id = self.status_test_ready
        self.assertEqual(leads.lead_status_id, self.status_test_ready)
        self.assertTrue(all(leads.mapped("lead_qualified_date")))

    def test_answers_and_status_saved_together_as_the_form_does(self):
        lead = self._create_leads(1, **self._ready_values())
        lead.lead_status_id = self.status_test_call
        lead.write(
            {
                "lead_qualification_ids": [
                    (1, line.id, {"state": "met"}) for line in lead.lead_qualification_ids
                ],
                "lead_status_id": self.status_test_ready.id,
            }
        )
        self.assertEqual(lead.lead_status_id, self.status_test_ready)

    def test_framework_chosen_later_reaches_existing_leads(self):
        self.lead_type.qualification_framework = "none"
        leads = self._create_leads(3)
        self.assertFalse(leads.lead_qualification_ids)
        self.lead_type.qualification_framework = "champ"
        self.assertEqual(len(leads.lead_qualification_ids), 12)
        self.lead_type.qualification_framework = "custom"
        self.env["lead_pipeline.qualification.criterion"].create(
            {"name": "Signed NDA", "lead_type_id": self.lead_type.id}
        )
        self.assertEqual(set(leads.lead_qualification_ids.mapped("name")), {"Signed NDA"})

    def test_types_without_framework_not_concerned(self):
        self.lead_type.qualification_framework = "none"
        lead = self._create_leads(1, **self._ready_values())
        self.assertFalse(lead.lead_qualification_ids)
        lead.lead_status_id = self.status_test_call
        lead.lead_status_id = self.status_test_ready
        self.assertEqual(lead.lead_status_id, self.status_test_ready)

    def test_batch_of_300(self):
        leads = self._create_leads(300, **self._ready_values())
        self.assertEqual(len(leads.lead_qualification_ids), 1200)
        leads.lead_status_id = self.status_test_call
        self._answer(leads[:150], ["Budget", "Authority", "Need", "Timing"])
        with self.assertRaises(ValidationError) as caught:
            leads.lead_status_id = self.status_test_ready
        self.assertIn("150 lead(s) cannot move", str(caught.exception))
        self.assertEqual(set(leads.mapped("lead_status_id")), {self.status_test_call})
        leads[:150].lead_status_id = self.status_test_ready
        self.assertEqual(set(leads[:150].mapped("lead_qualification_score")), {100.0})

    def test_access(self):
        mine = self._create_leads(1, user_id=self.user_salesman.id)
        other = self._create_leads(1, prefix="other", user_id=self.user_salesman_2.id)
        line = mine.lead_qualification_ids[0].with_user(self.user_salesman)
        line.write({"state": "met", "note": "Budget approved in March"})
        with self.assertRaises(AccessError):
            other.lead_qualification_ids[0].with_user(self.user_salesman).write({"state": "met"})
        Criterion = self.env["lead_pipeline.qualification.criterion"]
        with self.assertRaises(AccessError):
            Criterion.with_user(self.user_salesman).create(
                {"name": "Mine", "lead_type_id": self.lead_type.id}
            )
        Criterion.with_user(self.user_manager).create(
            {"name": "Managers add criteria", "lead_type_id": self.lead_type.id}
        )
        with self.assertRaises(ValidationError):
            Criterion.create({"name": "Custom without type", "framework": "custom"})
