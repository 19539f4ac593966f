"""Every role does its daily work and nothing more (issue "Every role, every
door", points 1, 2, 3, 11 and 12; the Leads Only role): each test acts as the
role, with the caches emptied, so that nothing comes from what the
administrator's setup read."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import LeadPipelineCase


class RolesCase(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Absence = cls.env["lead_pipeline.absence"]
        cls.user_leads_only = mail_new_test_user(
            cls.env,
            login="lp_leads_only",
            name="Lena LeadsOnly",
            groups="base.group_user,lead_pipeline.group_leads_only",
        )
        cls.user_leads_only_all = mail_new_test_user(
            cls.env,
            login="lp_leads_only_all",
            name="Leo LeadsOnlyAll",
            groups="base.group_user,lead_pipeline.group_leads_only_all",
        )
        cls.lead_type.qualification_framework = "bant"

    def _lead(self, owner, **values):
        lead = self.Lead.create(
            {
                "name": f"Lead of {owner.name or 'nobody'}",
                "type": "lead",
                "lead_type_id": self.lead_type.id,
                "user_id": owner.id,
                "contact_name": "Carla Contact",
                "email_from": "carla@roles.example",
                "partner_name": "Roles Customer a.s.",
                **values,
            }
        )
        self.assertEqual(lead.user_id, owner)
        return lead

    def _as(self, user, records):
        """``records`` as ``user``, with nothing in the cache."""
        self.env.flush_all()
        self.env.invalidate_all()
        return records.with_user(user)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSalespersonMovesThroughRequiredFields(RolesCase):
    def test_salesperson_moves_own_lead_into_and_out_of_status_with_required_fields(self):
        lead = self._lead(self.user_salesman)
        lead.lead_status_id = self.status_test_call
        self._as(self.user_salesman, lead).write({"lead_status_id": self.status_test_ready.id})
        self.assertEqual(lead.lead_status_id, self.status_test_ready)
        self._as(self.user_salesman, lead).write({"lead_status_id": self.status_test_call.id})
        self.assertEqual(lead.lead_status_id, self.status_test_call)

    def test_salesperson_still_refused_a_missing_required_field(self):
        lead = self._lead(self.user_salesman, partner_name=False)
        lead.lead_status_id = self.status_test_call
        with self.assertRaisesRegex(ValidationError, "Company Name"):
            self._as(self.user_salesman, lead).write({"lead_status_id": self.status_test_ready.id})

    def test_salesperson_reads_no_field_definitions(self):
        """The move check reads the required fields as superuser for itself
        only: the salesperson still cannot read ir.model.fields."""
        with self.assertRaises(AccessError):
            self._as(self.user_salesman, self.status_test_ready.required_field_ids).read(["name"])


@tagged("post_install", "-at_install", "lead_pipeline")
class TestAbsencesOwnOnly(RolesCase):
    def _absence_values(self, user, **values):
        now = fields.Datetime.now()
        return {
            "user_id": user.id,
            "date_from": now - timedelta(hours=1),
            "date_to": now + timedelta(days=2),
            **values,
        }

    def test_salesperson_cannot_rewrite_own_absence_into_a_colleagues(self):
        colleague_lead = self._lead(self.user_salesman_2)
        Absence = self._as(self.user_salesman, self.Absence)
        absence = Absence.create(self._absence_values(self.user_salesman))
        with self.assertRaises(AccessError):
            absence.write(
                {"user_id": self.user_salesman_2.id, "substitute_id": self.user_salesman.id}
            )
        self.assertEqual(absence.sudo().user_id, self.user_salesman)
        with self.assertRaises(AccessError):
            self._as(self.user_salesman, colleague_lead).read(["name"])

    def test_salesperson_cannot_create_a_colleagues_absence(self):
        with self.assertRaises(AccessError):
            self._as(self.user_salesman, self.Absence).create(
                self._absence_values(self.user_salesman_2, substitute_id=self.user_salesman.id)
            )

    def test_salesperson_names_own_substitute_and_manager_sets_anyones(self):
        absence = self._as(self.user_salesman, self.Absence).create(
            self._absence_values(self.user_salesman, substitute_id=self.user_salesman_2.id)
        )
        self.assertEqual(absence.substitute_id, self.user_salesman_2)
        by_manager = self._as(self.user_manager, self.Absence).create(
            self._absence_values(self.user_all_leads)
        )
        by_manager.write({"substitute_id": self.user_salesman.id})
        self.assertEqual(by_manager.substitute_id, self.user_salesman)

    def test_hourly_job_lends_activities_only_along_real_absences(self):
        lead = self._lead(self.user_salesman_2)
        activity = lead.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.user_salesman_2.id
        )
        Absence = self._as(self.user_salesman, self.Absence)
        later = fields.Datetime.now() + timedelta(days=30)
        absence = Absence.create(
            self._absence_values(self.user_salesman, date_from=later, date_to=later)
        )
        with self.assertRaises(AccessError):
            absence.write(
                {"user_id": self.user_salesman_2.id, "substitute_id": self.user_salesman.id}
            )
        self.Absence._lead_pipeline_sync_activities()
        self.assertEqual(activity.user_id, self.user_salesman_2)
        # a manager's absence for the colleague lends it, the end gives it back
        real = self.Absence.with_user(self.user_manager).create(
            self._absence_values(self.user_salesman_2, substitute_id=self.user_salesman.id)
        )
        self.assertEqual(activity.user_id, self.user_salesman)
        real.date_to = fields.Datetime.now() - timedelta(minutes=1)
        self.Absence._lead_pipeline_sync_activities()
        self.assertEqual(activity.user_id, self.user_salesman_2)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSubstituteWorksChildRecords(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        now = fields.Datetime.now()
        cls.Absence.create(
            {
                "user_id": cls.user_salesman_2.id,
                "substitute_id": cls.user_salesman.id,
                "date_from": now - timedelta(hours=1),
                "date_to": now + timedelta(days=2),
            }
        )

    def test_substitute_reads_and_writes_but_never_deletes(self):
        lead = self._lead(self.user_salesman_2)
        lead.lead_status_id = self.status_test_call
        self.env["lead_pipeline.routing.log"].create(
            {"lead_id": lead.id, "user_id": self.user_salesman_2.id, "explanation": "Fixed"}
        )
        as_substitute = self._as(self.user_salesman, lead)
        self.assertEqual(as_substitute.lead_contact_ids.mapped("name"), ["Carla Contact"])
        self.assertEqual(as_substitute.lead_status_history_ids.to_status_id, self.status_test_call)
        self.assertEqual(len(as_substitute.lead_qualification_ids), 4)
        self.assertEqual(as_substitute.lead_routing_log_ids.explanation, "Fixed")
        as_substitute.write({"description": "called back"})
        as_substitute.lead_contact_ids.write({"function": "Buyer"})
        as_substitute.lead_qualification_ids[:1].write({"state": "met"})
        with self.assertRaises(AccessError):
            self._as(self.user_salesman, lead).unlink()
        with self.assertRaises(AccessError):
            self._as(self.user_salesman, lead.lead_contact_ids).unlink()
        self.assertTrue(lead.exists())

    def test_all_criteria_met_never_passes_on_missing_answers(self):
        self.status_test_ready.require_qualification = True
        lead = self._lead(self.user_salesman_2)
        lead.lead_status_id = self.status_test_call
        lead.lead_qualification_ids.sudo().unlink()
        with self.assertRaisesRegex(ValidationError, "qualification criteria not met"):
            self._as(self.user_salesman, lead).write({"lead_status_id": self.status_test_ready.id})
        lead._lead_qualification_sync()
        lead.lead_qualification_ids.write({"state": "met"})
        self._as(self.user_salesman, lead).write({"lead_status_id": self.status_test_ready.id})
        self.assertEqual(lead.lead_status_id, self.status_test_ready)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestCompanyRules(RolesCase):
    def test_routing_log_members_and_absences_stay_in_their_company(self):
        rule = self.env["lead_pipeline.routing.rule"].create(
            {
                "name": "Second company rule",
                "company_id": self.company_2.id,
                "active": False,
                "member_ids": [(0, 0, {"user_id": self.user_other_company.id})],
            }
        )
        lead = self.Lead.create(
            {"name": "Second company lead", "type": "lead", "company_id": self.company_2.id}
        )
        self.env["lead_pipeline.routing.log"]._log_plan(
            [(lead, rule, self.user_other_company, "Routed")],
            [self.env["crm.team"]],
            fields.Datetime.now(),
        )
        log = lead.lead_routing_log_ids
        self.assertEqual(log.company_id, self.company_2, "the INSERT fills the company")
        absence = self.Absence.create(
            {
                "user_id": self.user_other_company.id,
                "date_from": fields.Datetime.now(),
                "date_to": fields.Datetime.now() + timedelta(days=1),
            }
        )
        self.assertEqual(absence.company_id, self.company_2)
        for records in (log, rule.member_ids, absence):
            with self.subTest(model=records._name):
                Model = self._as(self.user_manager, records.browse())
                self.assertFalse(Model.search([("id", "in", records.ids)]))
                Other = self._as(self.user_other_company, records.browse())
                if records._name != "lead_pipeline.routing.member":
                    self.assertEqual(Other.search([("id", "in", records.ids)]), records)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConvertedLeadClosed(RolesCase):
    def _converted(self):
        lead = self._lead(self.user_salesman)
        lead.lead_status_id = self.status_test_call
        lead.lead_status_id = self.status_test_ready
        lead._lead_pipeline_convert()
        self.assertTrue(lead.lead_converted_date)
        return lead

    def test_converted_lead_cannot_be_deleted(self):
        lead = self._converted()
        with self.assertRaisesRegex(UserError, "undo the conversion"):
            self._as(self.user_manager, lead).unlink()
        with self.assertRaises(AccessError):
            self._as(self.user_salesman, lead).unlink()
        self.assertTrue(lead.exists())

    def test_contacts_and_answers_of_converted_lead_are_read_only(self):
        lead = self._converted()
        contact = self._as(self.user_salesman, lead.lead_contact_ids)
        line = self._as(self.user_salesman, lead.lead_qualification_ids[:1])
        Contact = self._as(self.user_salesman, self.env["lead_pipeline.lead.contact"])
        with self.assertRaisesRegex(UserError, "converted"):
            contact.write({"function": "Changed"})
        with self.assertRaisesRegex(UserError, "converted"):
            Contact.create({"lead_id": lead.id, "name": "Late contact"})
        with self.assertRaisesRegex(UserError, "converted"):
            contact.unlink()
        with self.assertRaisesRegex(UserError, "converted"):
            line.write({"state": "met"})
        with self.assertRaisesRegex(UserError, "converted"):
            self._as(self.user_salesman, line).unlink()

    def test_undo_reopens_the_lead_and_its_records(self):
        lead = self._converted()
        self._as(self.user_manager, lead).action_lead_pipeline_undo_conversion()
        self.assertFalse(lead.lead_converted_date)
        self._as(self.user_salesman, lead.lead_contact_ids).write({"function": "Reopened"})
        self._as(self.user_salesman, lead.lead_qualification_ids[:1]).write({"state": "met"})
        self._as(self.user_manager, lead).unlink()
        self.assertFalse(lead.exists())


@tagged("post_install", "-at_install", "lead_pipeline")
class TestLeadsOnlyRole(RolesCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.opportunity = cls.Lead.create(
            {"name": "Open deal", "type": "opportunity", "user_id": False}
        )

    def test_group_is_no_sales_group(self):
        for user in (self.user_leads_only, self.user_leads_only_all):
            with self.subTest(user=user.login):
                self.assertFalse(user.has_group("sales_team.group_sale_salesman"))

    def test_reads_own_and_unassigned_leads_never_opportunities(self):
        own = self._lead(self.user_leads_only)
        free = self._lead(self.env["res.users"])
        other = self._lead(self.user_salesman)
        scope = (own | free | other | self.opportunity).ids
        Lead = self._as(self.user_leads_only, self.Lead)
        self.assertEqual(Lead.search([("id", "in", scope)]), own | free)
        LeadAll = self._as(self.user_leads_only_all, self.Lead)
        self.assertEqual(LeadAll.search([("id", "in", scope)]), own | free | other)
        with self.assertRaises(AccessError):
            self._as(self.user_leads_only_all, self.opportunity).read(["name"])
        contacts = self._as(self.user_leads_only, own.lead_contact_ids)
        self.assertEqual(contacts.mapped("name"), ["Carla Contact"])

    def test_works_a_lead_to_qualified_and_converts_it_to_sales(self):
        lead = self._lead(self.user_leads_only)
        mine = self._as(self.user_leads_only, lead)
        mine.write({"lead_status_id": self.status_test_call.id})
        mine.lead_qualification_ids.write({"state": "met"})
        mine.write({"lead_status_id": self.status_test_ready.id})
        self.assertEqual(lead.lead_status_id, self.status_test_ready)
        with self.assertRaises(AccessError):
            self._as(self.user_leads_only, self.env["res.partner"]).create({"name": "Direct"})
        mine = self._as(self.user_leads_only, lead)
        mine._lead_pipeline_convert(create_opportunity=True, user=self.user_salesman)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.user_id, self.user_salesman)
        self.assertEqual(lead.partner_id.commercial_partner_id.name, "Roles Customer a.s.")
        self.assertEqual(lead.lead_converted_by_id, self.user_leads_only)
        # the opportunity is sales' now
        with self.assertRaises(AccessError):
            self._as(self.user_leads_only, lead).read(["name"])

    def test_cannot_turn_a_lead_into_an_opportunity_by_hand(self):
        lead = self._lead(self.user_leads_only)
        with self.assertRaises(AccessError):
            self._as(self.user_leads_only, lead).write({"type": "opportunity"})
        self.assertEqual(lead.type, "lead")
        # a salesperson still may, as in Odoo
        own = self._lead(self.user_salesman)
        self._as(self.user_salesman, own).write({"type": "opportunity"})
        self.assertEqual(own.type, "opportunity")

    def test_converts_only_onto_customers_they_may_see(self):
        hidden = self.env["res.partner"].create(
            {"name": "Other Company Customer", "is_company": True, "company_id": self.company_2.id}
        )
        lead = self._lead(self.user_leads_only)
        lead.lead_status_id = self.status_test_call
        lead.lead_status_id = self.status_test_ready
        lines = [{"lead_id": lead.id, "company_action": "link", "partner_id": hidden.id}]
        with self.assertRaises(AccessError):
            self._as(self.user_leads_only, lead)._lead_pipeline_convert(lines, [])
        self.assertFalse(lead.lead_converted_date)

    def test_cannot_convert_outside_a_qualified_status(self):
        lead = self._lead(self.user_leads_only)
        with self.assertRaisesRegex(ValidationError, "status that allows conversion"):
            self._as(self.user_leads_only, lead)._lead_pipeline_convert()
        self.assertFalse(lead.lead_converted_date)
        self.assertFalse(lead.partner_id)

    def test_menus_follow_the_group(self):
        Menu = self.env["ir.ui.menu"]
        visible = Menu.with_user(self.user_leads_only)._visible_menu_ids()
        self.assertIn(self.env.ref("lead_pipeline.menu_leads_only_root").id, visible)
        self.assertIn(self.env.ref("lead_pipeline.menu_leads_only_leads").id, visible)
        self.assertNotIn(self.env.ref("crm.crm_menu_root").id, visible)
        # what the web client shows: the trees under the visible roots
        shown = Menu.with_user(self.user_leads_only).load_menus(False)
        self.assertIn(self.env.ref("lead_pipeline.menu_leads_only_contacts").id, shown)
        self.assertNotIn(self.env.ref("crm.menu_crm_opportunities").id, shown)
        self.assertNotIn(self.env.ref("crm.res_partner_menu_customer").id, shown)
        for_sales = Menu.with_user(self.user_salesman).load_menus(False)
        self.assertNotIn(self.env.ref("lead_pipeline.menu_leads_only_root").id, for_sales)
        self.assertIn(self.env.ref("lead_pipeline.menu_crm_lead_pipeline").id, for_sales)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestMatchingWithinCompanies(RolesCase):
    def test_sudo_matching_keeps_to_the_given_companies(self):
        """A public door runs as superuser: it passes the form's company, and
        the matching engine finds no customer or lead of another company."""
        Partner = self.env["res.partner"]
        theirs = Partner.create(
            {"name": "Theirs", "email": "shared@match.example", "company_id": self.company_2.id}
        )
        lead = self.Lead.create(
            {
                "name": "Their lead",
                "type": "lead",
                "email_from": "shared@match.example",
                "company_id": self.company_2.id,
            }
        )
        Matcher = self.env["lead_pipeline.matcher"].sudo()
        keys = [{"email": "shared@match.example"}]
        self.assertEqual(Matcher._find_partners(keys)[0][2], [theirs])
        self.assertEqual(Matcher._find_partners(keys, company_ids=self.company.ids), [None])
        self.assertEqual(Matcher._find_open_leads(keys, company_ids=self.company.ids), [None])
        self.assertEqual(
            Matcher._find_open_leads(keys, company_ids=self.company_2.ids)[0][2], [lead]
        )
        shared = Partner.create({"name": "Shared", "email": "shared@match.example"})
        self.assertEqual(Matcher._find_partners(keys, company_ids=self.company.ids)[0][2], [shared])
