"""What the lead form reads: its lists (contact persons, qualification,
tags) in one query, the status bar's allowed moves searched on the
statuses when the bar is drawn, and overdue drawn from the deadline it shows;
no computed field is read with every form for either."""

from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from .common import LeadPipelineCase, SalespersonRpc

SPEC = {
    "name": {},
    "lead_contact_ids": {"fields": {"name": {}, "primary": {}, "email": {}}, "limit": 40},
    "lead_qualification_ids": {"fields": {"name": {}, "state": {}}, "limit": 40},
    "tag_ids": {"fields": {"display_name": {}, "color": {}}},
}
LISTS = ("lead_contact_ids", "lead_qualification_ids", "tag_ids")


class FormLeads:
    @classmethod
    def _form_lead(cls, name, user, **values):
        """A lead of the salesperson with a primary contact, two more contact
        persons (out of sequence order) and the four BANT criteria."""
        lead = cls.Lead.create(
            {
                "name": name,
                "type": "lead",
                "lead_type_id": cls.lead_type.id,
                "user_id": user.id,
                "contact_name": f"{name} Primary",
                "email_from": f"{name.lower().replace(' ', '.')}@form.example",
                "tag_ids": [(0, 0, {"name": f"{name} Tag B"}), (0, 0, {"name": f"{name} Tag A"})],
                **values,
            }
        )
        cls.env["lead_pipeline.lead.contact"].create(
            [
                {"lead_id": lead.id, "name": f"{name} Third", "sequence": 30},
                {"lead_id": lead.id, "name": f"{name} Second", "sequence": 20},
            ]
        )
        return lead

    def _orm_lines(self, lead):
        """The lines as the ORM reads each list, one by one."""
        self.env.invalidate_all()
        return [lead[name].ids for name in LISTS]


@tagged("post_install", "-at_install", "lead_pipeline")
class TestFormReads(FormLeads, LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_type.qualification_framework = "bant"
        cls.lead = cls._form_lead("Form Lead", cls.user_salesman)

    def _queries(self, records, spec):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = records.web_read(spec)
        return self.env.cr.sql_log_count - before, result

    def test_lines_as_the_orm_reads_them_in_one_query(self):
        contacts, criteria, tags = self._orm_lines(self.lead)
        self.assertEqual(len(contacts), 3)
        self.assertEqual(len(criteria), 4)
        self.assertEqual(len(tags), 2)
        lead = self.lead.with_user(self.user_salesman)
        [values] = lead.web_read(SPEC)
        self.assertEqual([line["id"] for line in values["lead_contact_ids"]], contacts)
        self.assertEqual(
            [line["name"] for line in values["lead_contact_ids"]],
            ["Form Lead Primary", "Form Lead Second", "Form Lead Third"],
            "the primary first, then by sequence",
        )
        self.assertEqual([line["id"] for line in values["lead_qualification_ids"]], criteria)
        self.assertEqual([tag["id"] for tag in values["tag_ids"]], tags)
        self.assertEqual(
            {tag["display_name"] for tag in values["tag_ids"]},
            {"Form Lead Tag A", "Form Lead Tag B"},
        )
        # each list alone, then all three: together they share the lead's
        # row and their lists' query, two queries fewer for each list added
        alone_specs = [{name: SPEC[name]} for name in LISTS]
        for spec in (SPEC, *alone_specs):  # warm the caches
            lead.web_read(spec)
        together = self._queries(lead, SPEC)[0]
        alone = sum(self._queries(lead, spec)[0] for spec in alone_specs)
        self.assertEqual(together, alone - 2 * (len(LISTS) - 1), (together, alone))

    def test_many_leads_read_list_by_list_with_the_same_result(self):
        others = self.Lead.browse(
            [self._form_lead(f"Batch {index}", self.user_salesman).id for index in range(3)]
        )
        leads = (self.lead | others).with_user(self.user_salesman)
        self.env.invalidate_all()
        together = {values["id"]: values for values in leads.web_read(SPEC)}
        for lead in leads:
            self.env.invalidate_all()
            self.assertEqual(lead.web_read(SPEC)[0], together[lead.id])
        leads = self.Lead.create(
            [
                {"name": f"Bulk {index}", "type": "lead", "lead_type_id": self.lead_type.id}
                for index in range(200)
            ]
        )
        self.env.invalidate_all()
        result = leads.web_read(SPEC)
        self.assertEqual(len(result), 200)
        self.assertTrue(all(len(values["lead_qualification_ids"]) == 4 for values in result))

    def test_lead_of_another_salesperson_or_company_refused(self):
        other = self._form_lead("Other Form Lead", self.user_salesman_2)
        with self.assertRaises(AccessError):
            other.with_user(self.user_salesman).web_read(SPEC)
        # who reads every lead of their company reads no other company's
        foreign = self._form_lead(
            "Foreign Form Lead", self.user_other_company, company_id=self.company_2.id
        )
        reader = self.user_all_leads
        self.assertEqual(len(other.with_user(reader).web_read(SPEC)[0]["lead_contact_ids"]), 3)
        with self.assertRaises(AccessError):
            foreign.with_user(reader).web_read(SPEC)
        # a lead that does not exist (any more) reads as nothing, as in Odoo
        gone = self.Lead.browse(other.id)
        other.unlink()
        self.env.invalidate_all()
        self.assertEqual(gone.with_user(reader).web_read(SPEC), [])
        # and as Odoo reads each list alone, as the superuser too
        alone = [gone.web_read({name: {}}) for name in ("tag_ids", "lead_contact_ids")]
        self.env.invalidate_all()
        together = gone.web_read({"tag_ids": {}, "lead_contact_ids": {}})
        self.assertEqual(together, [{**alone[0][0], **alone[1][0]}] if alone[0] else [])

    def test_lists_statement_kept_per_user_and_rules(self):
        """The lists' statement is built once per user, language and record
        rules, then reused: a new rule on contact persons, or another user,
        reads what Odoo's own read of each list reads, never an earlier
        user's statement."""
        lead = self.lead.with_user(self.user_salesman)

        def lines(reader):
            self.env.invalidate_all()
            [values] = reader.web_read(SPEC)
            formed = [[line["id"] for line in values[name]] for name in LISTS]
            self.env.invalidate_all()
            return formed, [reader[name].ids for name in LISTS]

        formed, orm = lines(lead)
        self.assertEqual(formed, orm)
        self.assertEqual(len(formed[0]), 3)
        formed_again, _orm = lines(lead)
        self.assertEqual(formed_again, formed, "from the kept statement")
        # who reads every lead, on another salesperson's lead: their own rules
        other = self._form_lead("Other Kept", self.user_salesman_2)
        formed, orm = lines(other.with_user(self.user_all_leads))
        self.assertEqual(formed, orm)
        self.assertEqual(len(formed[0]), 3)
        self.env["ir.rule"].create(
            {
                "name": "No third contact person (global: every user)",
                "model_id": self.env["ir.model"]._get_id("lead_pipeline.lead.contact"),
                "domain_force": "[('name', 'not like', 'Third')]",
            }
        )
        formed, orm = lines(lead)
        self.assertEqual(formed, orm)
        self.assertEqual(len(formed[0]), 2, "the new rule applies at once")
        # the manager, through their own rules
        formed, orm = lines(self.lead.with_user(self.user_manager))
        self.assertEqual(formed, orm)
        self.assertEqual(len(formed[0]), 2)
        # another company selected: the company rules of the lines follow
        both = self.lead.with_user(self.user_all_leads).with_context(
            allowed_company_ids=[self.company.id, self.company_2.id]
        )
        self.user_all_leads.company_ids |= self.company_2
        formed, orm = lines(both)
        self.assertEqual(formed, orm)

    def test_status_bar_searches_the_moves_allowed_from_the_status(self):
        Status = self.Status.with_user(self.user_salesman)

        def reachable(status):
            return Status.search(
                [("type_ids", "in", [self.lead_type.id]), ("reachable_from_id", "=", status.id)]
            )

        # Fresh names its next statuses; Won names none: any of the type's
        self.assertEqual(
            reachable(self.status_test_new), self.status_test_call | self.status_test_lost
        )
        self.assertEqual(reachable(self.status_test_won), self.test_statuses)
        self.assertEqual(reachable(self.Status), self.test_statuses)
        # what the lead's computed allowed statuses say, the current one aside
        self.lead.lead_status_id = self.status_test_call
        self.assertEqual(
            reachable(self.status_test_call) | self.status_test_call,
            self.lead.lead_allowed_status_ids,
        )
        # another company's status, or one that does not exist: no restriction
        # to tell about
        foreign = self.Status.create(
            {
                "name": "Foreign Step",
                "category": "new",
                "company_id": self.company_2.id,
                "allowed_next_ids": [(6, 0, self.status_test_call.ids)],
            }
        )
        self.assertEqual(reachable(foreign), self.test_statuses)
        self.assertEqual(reachable(self.Status.browse(10**8)), self.test_statuses)
        self.assertEqual(
            Status.sudo().search([("reachable_from_id", "=", foreign.id)]), self.status_test_call
        )
        for operator, value in (
            ("!=", self.status_test_new.id),
            ("in", [1, 2]),
            ("=", "x"),
            ("=", True),
        ):
            with self.assertRaises(UserError) as caught:
                Status.search([("reachable_from_id", operator, value)])
            self.assertIn("Unsupported search on statuses reachable", str(caught.exception))

    def test_form_reads_no_per_form_computed_field_for_moves_or_overdue(self):
        arch = self.Lead.with_user(self.user_salesman).get_views([(False, "form")])["views"][
            "form"
        ]["arch"]
        form = etree.fromstring(arch)
        names = {node.get("name") for node in form.iter("field")}
        self.assertNotIn("lead_allowed_status_ids", names)
        self.assertNotIn("lead_overdue", names)
        [status_bar] = form.xpath("//field[@name='lead_status_id'][@widget='statusbar']")
        self.assertIn("reachable_from_id", status_bar.get("domain"))
        [deadline] = form.xpath("//field[@name='lead_deadline']")
        self.assertIn("lead_status_category", deadline.get("decoration-danger"))


@tagged("post_install", "-at_install", "lead_pipeline")
class TestFormReadsOverRpc(FormLeads, SalespersonRpc, LeadPipelineCase, HttpCase):
    """The form's read as the salesperson's web client sends it, over
    XML-RPC: the lines of their own lead, nothing of another's."""

    def test_salesperson_form_read_over_rpc(self):
        self.lead_type.qualification_framework = "bant"
        mine = self._form_lead("Rpc Form Lead", self.user_salesman)
        theirs = self._form_lead("Rpc Other Lead", self.user_salesman_2)
        expected = self._orm_lines(mine)
        [values] = self._rpc("crm.lead", "web_read", [[mine.id]], kwargs={"specification": SPEC})
        self.assertEqual([[line["id"] for line in values[name]] for name in LISTS], expected)
        refused = self._rpc("crm.lead", "web_read", [[theirs.id]], kwargs={"specification": SPEC})
        self.assertIsInstance(refused, tuple)
        self.assertIn("doesn't have 'read' access", refused[1])
        self.assertNotIn("Rpc Other Lead Second", refused[1])
