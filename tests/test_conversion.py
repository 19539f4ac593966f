from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.lead_pipeline.models.internal import internal_write

from .common import LeadPipelineCase, committed_env, run_in_parallel


class ConversionCase(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Partner = cls.env["res.partner"]
        cls.Wizard = cls.env["lead_pipeline.convert.wizard"]

    def _qualified(self, count=1, **values):
        defaults = {"partner_name": "Tatra Logistics s.r.o.", "user_id": self.user_salesman.id}
        leads = self._create_leads(count, **{**defaults, **values})
        leads.write({"lead_status_id": self.status_test_call.id})
        leads.write({"lead_status_id": self.status_test_ready.id})
        return leads

    def _wizard(self, leads, user=None, **values):
        Wizard = self.Wizard.with_user(user) if user else self.Wizard
        return Wizard.with_context(active_model="crm.lead", active_ids=leads.ids).create(values)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversion(ConversionCase):
    def test_convert_creates_company_and_contacts(self):
        lead = self._qualified(description="<p>Need 40 trucks tracked</p>", vat="SK2020000015")
        self.env["lead_pipeline.lead.contact"].create(
            {"lead_id": lead.id, "name": "Second Person", "email": "second@tatra.example"}
        )
        wizard = self._wizard(lead, user=self.user_salesman)
        self.assertEqual(wizard.line_ids.company_action, "create")
        self.assertEqual(len(wizard.contact_line_ids), 2)
        wizard.action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertTrue(company.is_company)
        self.assertEqual((company.name, company.vat), ("Tatra Logistics s.r.o.", "SK2020000015"))
        self.assertEqual(sorted(company.child_ids.mapped("name")), ["Person 0", "Second Person"])
        self.assertEqual(company.lead_pipeline_origin_lead_id, lead)
        self.assertEqual(lead.lead_status_id, self.status_test_won)
        self.assertEqual(lead.lead_converted_by_id, self.user_salesman)
        self.assertEqual(lead.lead_converted_partner_ids, company | company.child_ids)
        self.assertEqual(lead.partner_id.name, "Person 0", "the contact person, as Odoo does")
        self.assertEqual(lead.type, "lead")
        self.assertIn("Need 40 trucks tracked", company.message_ids[0].body)

    def test_customers_button_counts_and_opens_what_the_lead_became(self):
        lead = self._qualified()
        self.env["lead_pipeline.lead.contact"].create(
            {"lead_id": lead.id, "name": "Second Person", "email": "second@tatra.example"}
        )
        self.assertEqual(lead.lead_converted_partner_count, 0)
        self._wizard(lead, user=self.user_salesman).action_convert()
        lead.invalidate_recordset()
        self.assertEqual(lead.lead_converted_partner_count, 3, "the company and two contacts")
        action = lead.with_user(self.user_salesman).action_lead_pipeline_open_converted_partners()
        self.assertEqual(action["res_model"], "res.partner")
        partners = self.Partner.with_user(self.user_salesman).search(action["domain"])
        self.assertEqual(partners, lead.lead_converted_partner_ids)
        # one customer: its form at once
        single = self._qualified(prefix="single")
        single.partner_name = False
        self._wizard(single).action_convert()
        action = single.with_user(self.user_salesman).action_lead_pipeline_open_converted_partners()
        self.assertEqual(action["res_id"], single.partner_id.id)
        arch = self.env["crm.lead"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_lead_pipeline_open_converted_partners", arch)
        self.assertNotIn("lead_converted_partner_ids", arch, "no many2many read per form")

    def test_person_lead_gives_person_only(self):
        lead = self._qualified()
        lead.partner_name = False
        wizard = self._wizard(lead)
        self.assertEqual(wizard.line_ids.company_action, "none")
        wizard.action_convert()
        self.assertFalse(lead.partner_id.is_company)
        self.assertEqual(lead.partner_id.name, "Person 0")
        self.assertFalse(lead.partner_id.parent_id)

    def test_each_matching_key_links_existing_customer_with_reason(self):
        cases = [
            ("vat", {"vat": "SK 2020 000 026"}, {"vat": "SK2020000026"}, "same VAT number"),
            ("email", {"email": "info@acme.example"}, {"email_from": "INFO@acme.example", "contact_name": False}, "same e-mail address"),
            ("phone", {"phone": "+421 905 123 456"}, {"phone": "+421905123456"}, "same phone number"),
            ("name", {}, {}, "same company name"),
        ]  # fmt: skip
        for key, partner_values, lead_values, reason in cases:
            with self.subTest(key=key):
                company = self.Partner.create(
                    {"name": f"ACME {key.upper()} Ltd", "is_company": True, **partner_values}
                )
                name = f"Acme {key} Inc." if key == "name" else f"Other name {key}"
                lead = self._qualified(partner_name=name, prefix=key, **lead_values)
                wizard = self._wizard(lead)
                self.assertEqual(wizard.line_ids.company_action, "link")
                self.assertEqual(wizard.line_ids.partner_id, company)
                self.assertIn(reason, wizard.line_ids.match_reason)
                wizard.action_convert()
                self.assertEqual(lead.partner_id.commercial_partner_id, company)

    def test_no_match_on_mere_name_similarity(self):
        self.Partner.create({"name": "Tatra Logistic", "is_company": True})
        self.Partner.create({"name": "Tatra Logistics Group", "is_company": True})
        wizard = self._wizard(self._qualified())
        self.assertEqual(wizard.line_ids.company_action, "create")

    def test_contact_matched_by_email_is_linked(self):
        existing = self.Partner.create({"name": "Known", "email": "person0@example.com"})
        lead = self._qualified()
        wizard = self._wizard(lead)
        self.assertEqual(wizard.contact_line_ids.action, "link")
        self.assertEqual(wizard.contact_line_ids.partner_id, existing)
        wizard.action_convert()
        self.assertIn(existing, lead.lead_converted_partner_ids)
        self.assertNotIn(existing, lead.lead_created_partner_ids)

    def test_batch_of_300_with_same_companies_gives_one_company_each(self):
        leads = self._qualified(150, partner_name="Same Company a.s.") | self._qualified(
            150, partner_name="Other Company GmbH", prefix="other"
        )
        before = self.Partner.search_count([("is_company", "=", True)])
        self._wizard(leads).action_convert()
        self.assertEqual(self.Partner.search_count([("is_company", "=", True)]), before + 2)
        companies = leads.partner_id.commercial_partner_id
        self.assertEqual(len(companies), 2)
        self.assertEqual(len(companies.child_ids), 300)
        self.assertEqual(set(leads.mapped("lead_status_id")), {self.status_test_won})

    def test_carry_over_tags_activities_and_attachments(self):
        tag = self.env["crm.tag"].create({"name": "Fleet"})
        lead = self._qualified(tag_ids=[(6, 0, tag.ids)])
        activity = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.env.uid)
        attachment = self.env["ir.attachment"].create(
            {"name": "brief.txt", "raw": b"brief", "res_model": "crm.lead", "res_id": lead.id}
        )
        lead.message_post(body="Called, interested", message_type="comment")
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertEqual(company.category_id.mapped("name"), ["Fleet"])
        self.assertEqual((activity.res_model, activity.res_id), ("res.partner", company.id))
        self.assertEqual((attachment.res_model, attachment.res_id), ("crm.lead", lead.id))
        self.assertEqual(company.lead_pipeline_origin_lead_id.message_ids, lead.message_ids)

    def test_convert_with_opportunity_keeps_history_on_same_record(self):
        lead = self._qualified()
        activity = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.env.uid)
        team = self.env["crm.team"].create({"name": "Converters"})
        self._wizard(
            lead, create_opportunity=True, team_id=team.id, user_id=self.user_manager.id
        ).action_convert()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.lead_status_id, self.status_test_won)
        self.assertEqual((lead.team_id, lead.user_id), (team, self.user_manager))
        self.assertEqual(activity.res_id, lead.id)
        self.assertEqual(lead.partner_id.name, "Person 0")
        self.assertTrue(lead.partner_id.parent_id.is_company)

    def test_converted_lead_read_only_except_for_managers(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        with self.assertRaises(UserError):
            lead.with_user(self.user_salesman).write({"name": "Changed"})
        lead.with_user(self.user_salesman).message_post(body="still allowed")
        lead.with_user(self.user_manager).write({"name": "Manager fix"})
        self.assertEqual(lead.name, "Manager fix")

    def test_later_opportunity_from_converted_lead(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        lead.with_user(self.user_salesman).action_lead_pipeline_create_opportunity()
        self.assertEqual(lead.type, "opportunity")
        self.assertTrue(lead.partner_id)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionRefusals(ConversionCase):
    def _partner_count(self):
        return self.Partner.with_context(active_test=False).search_count([])

    def test_not_qualified_refused(self):
        lead = self._create_leads(1, partner_name="Early")
        with self.assertRaises(ValidationError) as caught:
            self._wizard(lead).action_convert()
        self.assertIn("not in a status that allows conversion", str(caught.exception))

    def test_company_without_name_refused_nothing_written(self):
        good = self._qualified()
        bad = self._qualified(partner_name="Will be removed")
        wizard = self._wizard(good | bad)
        internal_write(bad, {"partner_name": False}, sync=True)
        before = self._partner_count()
        with self.assertRaises(ValidationError) as caught:
            wizard.action_convert()
        self.assertIn("has no company name", str(caught.exception))
        self.assertEqual(self._partner_count(), before)
        self.assertFalse((good | bad).filtered("lead_converted_date"))

    def test_failure_midway_rolls_back_every_partner(self):
        lead = self._qualified()
        before = self._partner_count()
        wizard = self._wizard(lead)
        # a step failing after the partners were created (as an extension's
        # constraint would): the real database must hold none of them
        failing = patch.object(
            type(self.env["crm.lead"]),
            "_lead_pipeline_convert_history",
            side_effect=ValidationError("late failure"),
        )
        with failing, self.assertRaises(ValidationError):
            wizard.action_convert()
        self.assertEqual(self._partner_count(), before)
        self.assertFalse(lead.lead_converted_date)
        self.assertEqual(lead.lead_status_id, self.status_test_ready)

    def test_second_conversion_names_who_converted(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        with self.assertRaises(UserError) as caught:
            self._wizard(lead).action_convert()
        self.assertIn("Already converted", str(caught.exception))
        self.assertIn(self.env.user.name, str(caught.exception))

    def test_salesman_cannot_convert_others_lead(self):
        lead = self._qualified(user_id=self.user_salesman_2.id)
        with self.assertRaises(AccessError):
            self._wizard(lead, user=self.user_salesman).action_convert()


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionUndo(ConversionCase):
    def test_undo_deletes_created_partners_and_restores_status(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        created = lead.lead_created_partner_ids
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertFalse(created.exists())
        self.assertEqual(lead.lead_status_id, self.status_test_ready)
        self.assertFalse(lead.lead_converted_date)
        self.assertIn("Conversion undone", lead.message_ids[0].body)

    def test_undo_archives_partner_still_referenced(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        contact = company.child_ids
        # a calendar filter points at the contact: the database will not let it go
        self.env["calendar.filters"].create({"user_id": self.env.uid, "partner_id": contact.id})
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(contact.exists())
        self.assertFalse(contact.active)
        self.assertIn(
            "archived because other documents use them: Tatra Logistics s.r.o., Person 0",
            lead.message_ids[0].body,
        )

    def test_undo_refused_past_first_stage_and_for_salespeople(self):
        lead = self._qualified()
        self._wizard(lead, create_opportunity=True).action_convert()
        with self.assertRaises(AccessError):
            lead.with_user(self.user_salesman).action_lead_pipeline_undo_conversion()
        stages = self.env["crm.stage"].search([], order="sequence, id")
        lead.stage_id = stages[1]
        with self.assertRaises(UserError) as caught:
            lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertIn("moved past its first stage", str(caught.exception))

    def test_undo_opportunity_in_first_stage_returns_lead(self):
        lead = self._qualified()
        self._wizard(lead, create_opportunity=True).action_convert()
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertEqual(lead.type, "lead")
        self.assertFalse(lead.partner_id)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConcurrentConversion(ConversionCase):
    def test_two_cursors_convert_same_lead_one_customer_one_error(self):
        with committed_env(self.registry) as env:
            lead = env["crm.lead"].create(
                {"name": "Race", "type": "lead", "partner_name": "Race Condition a.s.",
                 "contact_name": "Racer", "email_from": "racer@race.example"}
            )  # fmt: skip
            statuses = lead.lead_type_id._get_convert_statuses()
            internal_write(lead, {"lead_status_id": statuses[:1].id}, force_status=True)
            lead_id = lead.id
        results = []

        def convert(barrier):
            with committed_env(self.registry) as env:
                wizard = (
                    env["lead_pipeline.convert.wizard"]
                    .with_context(active_model="crm.lead", active_ids=[lead_id])
                    .create({})
                )
                barrier.wait()
                try:
                    wizard.action_convert()
                    env.cr.commit()
                    results.append("converted")
                except UserError as error:
                    env.cr.rollback()
                    results.append(str(error))

        run_in_parallel(convert)
        try:
            self.assertEqual(results.count("converted"), 1, results)
            error = next(result for result in results if result != "converted")
            self.assertTrue(
                "converting or has just converted" in error or "Already converted" in error, error
            )
            with committed_env(self.registry) as env:
                customers = env["res.partner"].search(
                    [("lead_pipeline_origin_lead_id", "=", lead_id), ("is_company", "=", True)]
                )
                self.assertEqual(len(customers), 1)
        finally:
            with committed_env(self.registry) as env:
                lead = env["crm.lead"].browse(lead_id)
                partners = env["res.partner"].search(
                    [("lead_pipeline_origin_lead_id", "=", lead_id)]
                )
                lead.unlink()
                partners.sorted(lambda p: p.is_company).unlink()


@tagged("post_install", "-at_install", "lead_pipeline")
class TestNativeWizardsTakeSamePath(ConversionCase):
    def test_convert_to_opportunity_button_uses_matching_lock_and_status(self):
        company = self.Partner.create({"name": "TATRA LOGISTICS", "is_company": True})
        lead = self._create_leads(1, partner_name="Tatra Logistics s.r.o.")
        wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_context(active_model="crm.lead", active_id=lead.id, active_ids=lead.ids)
            .create({"name": "convert", "action": "create"})
        )
        wizard.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.partner_id.commercial_partner_id, company, "matched, not duplicated")
        self.assertEqual(lead.lead_status_id, self.status_test_won)
        self.assertTrue(lead.lead_converted_date)
        self.assertEqual(lead.lead_converted_by_id, self.env.user)

    def test_mass_conversion_uses_same_path_in_batch(self):
        leads = self._create_leads(200, partner_name="Mass Co a.s.")
        wizard = (
            self.env["crm.lead2opportunity.partner.mass"]
            .with_context(active_model="crm.lead", active_ids=leads.ids)
            .create({"name": "convert", "action": "each_exist_or_create", "deduplicate": False})
        )
        wizard.action_mass_convert()
        self.assertEqual(set(leads.mapped("type")), {"opportunity"})
        self.assertEqual(len(leads.partner_id.commercial_partner_id), 1, "one company")
        self.assertEqual(set(leads.mapped("lead_status_id")), {self.status_test_won})

    def test_native_conversion_of_converted_lead_is_its_second_step(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        customer = lead.partner_id
        wizard = (
            self.env["crm.lead2opportunity.partner"]
            .with_user(self.user_salesman)
            .with_context(active_model="crm.lead", active_id=lead.id, active_ids=lead.ids)
            .create({"name": "convert", "action": "exist", "partner_id": customer.id})
        )
        wizard.action_apply()
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.partner_id, customer)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionVatCheck(ConversionCase):
    def test_invalid_vat_refused_by_odoo_check_nothing_written(self):
        # base_vat is installed in the test database: a missing one is a failure
        self.assertIn("check_vat", dir(self.Partner), "base_vat must be installed")
        self.env.company.vat_check_vies = False
        lead = self._qualified(vat="SK123", partner_name="Bad Vat s.r.o.")
        before = self.Partner.with_context(active_test=False).search_count([])
        with self.assertRaises(ValidationError) as caught:
            self._wizard(lead).action_convert()
        self.assertIn("SK123", str(caught.exception))
        self.assertEqual(self.Partner.with_context(active_test=False).search_count([]), before)
        self.assertFalse(lead.lead_converted_date)
