from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestAccess(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_own = cls.Lead.create(
            {
                "name": "Own",
                "type": "lead",
                "contact_name": "Own Contact",
                "user_id": cls.user_salesman.id,
            }
        )
        cls.lead_unassigned = cls.Lead.create(
            {"name": "Free", "type": "lead", "contact_name": "Free Contact", "user_id": False}
        )
        cls.lead_other = cls.Lead.create(
            {
                "name": "Other",
                "type": "lead",
                "contact_name": "Other Contact",
                "user_id": cls.user_salesman_2.id,
            }
        )
        for lead in cls.lead_own | cls.lead_unassigned | cls.lead_other:
            lead.lead_status_id = cls.status_test_call

    def _as(self, user, records):
        return records.with_user(user)

    def test_config_read_only_for_salespeople(self):
        for model in (self.lead_type, self.status_test_new):
            as_salesman = self._as(self.user_salesman, model)
            self.assertTrue(as_salesman.name)
            with self.assertRaises(AccessError):
                as_salesman.write({"name": "Hacked"})
            with self.assertRaises(AccessError):
                as_salesman.copy()
            with self.assertRaises(AccessError):
                as_salesman.unlink()

    def test_manager_configures_types_and_statuses(self):
        Status = self.Status.with_user(self.user_manager)
        new = Status.create({"name": "Intro", "category": "new"})
        won = Status.create({"name": "Done", "category": "converted"})
        lead_type = self.Type.with_user(self.user_manager).create(
            {
                "name": "Mgr",
                "code": "MGR",
                "status_ids": [(6, 0, (new | won).ids)],
                "default_status_id": new.id,
            }
        )
        lead_type.write({"name": "Manager type"})
        lead_type.unlink()
        won.unlink()

    def test_employee_without_sales_rights_sees_nothing(self):
        for model in (
            "lead_pipeline.lead.type",
            "lead_pipeline.status",
            "lead_pipeline.lead.contact",
            "lead_pipeline.status.history",
        ):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.user_employee).search([])

    def test_salesman_contacts_of_own_and_unassigned_leads(self):
        Contact = self.env["lead_pipeline.lead.contact"].with_user(self.user_salesman)
        visible = Contact.search(
            [("lead_id", "in", (self.lead_own | self.lead_unassigned | self.lead_other).ids)]
        )
        self.assertEqual(sorted(visible.mapped("name")), ["Free Contact", "Own Contact"])
        contact = Contact.create({"lead_id": self.lead_own.id, "name": "Added"})
        contact.write({"phone": "123"})
        contact.unlink()
        with self.assertRaises(AccessError):
            Contact.create({"lead_id": self.lead_other.id, "name": "Sneaky"})
        with self.assertRaises(AccessError):
            self.lead_other.lead_contact_ids.with_user(self.user_salesman).write({"name": "x"})

    def test_all_leads_user_sees_every_contact(self):
        Contact = self.env["lead_pipeline.lead.contact"].with_user(self.user_all_leads)
        self.assertEqual(
            len(Contact.search([("lead_id", "in", (self.lead_own | self.lead_other).ids)])), 2
        )

    def test_history_read_only_and_follows_leads(self):
        History = self.env["lead_pipeline.status.history"].with_user(self.user_salesman)
        rows = History.search([("lead_id", "in", (self.lead_own | self.lead_other).ids)])
        self.assertEqual(rows.lead_id, self.lead_own)
        with self.assertRaises(AccessError):
            rows.write({"duration_hours": 0})
        with self.assertRaises(AccessError):
            History.create({"lead_id": self.lead_own.id})
        with self.assertRaises(AccessError):
            rows.unlink()
        manager_rows = self.env["lead_pipeline.status.history"].with_user(self.user_manager)
        manager_rows.search([("lead_id", "=", self.lead_other.id)]).unlink()

    def test_salesman_moves_own_lead_and_history_is_logged(self):
        lead = self.lead_own.with_user(self.user_salesman)
        lead.lead_status_id = self.status_test_new
        self.assertEqual(lead.lead_status_history_ids[:1].user_id, self.user_salesman)
        with self.assertRaises(AccessError):
            self.lead_other.with_user(self.user_salesman).lead_status_id = self.status_test_new

    def test_multi_company_rules(self):
        company_type = self.Type.create(
            {
                "name": "Company 1 only",
                "code": "C1",
                "company_id": self.company.id,
                "status_ids": [(6, 0, self.test_statuses.ids)],
            }
        )
        company_lead = self.Lead.create(
            {
                "name": "C1 lead",
                "type": "lead",
                "contact_name": "C1 person",
                "company_id": self.company.id,
            }
        )
        other = self.user_other_company
        self.assertFalse(self.Type.with_user(other).search([("id", "=", company_type.id)]))
        self.assertIn(
            self.type_b2b, self.Type.with_user(other).search([]), "shared types are visible"
        )
        self.assertFalse(
            self.env["lead_pipeline.lead.contact"]
            .with_user(other)
            .search([("lead_id", "=", company_lead.id)])
        )

    def test_status_delete_in_use_refused_even_for_manager(self):
        with self.assertRaises(UserError):
            self.status_test_call.with_user(self.user_manager).unlink()
