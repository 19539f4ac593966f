"""Fields the addon maintains are written by its own steps only: a client's
create or write setting them is refused, naming them; a sales manager
corrects them through a dedicated action; undo trusts no tampered field."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .test_conversion import ConversionCase

SAMPLES = {
    "lead_status_date": "2026-01-01 10:00:00",
    "lead_converted_date": "2026-01-01 10:00:00",
    "lead_converted_by_id": "user",
    "lead_converted_partner_ids": "partners",
    "lead_converted_partner_count": 5,
    "lead_created_partner_ids": "partners",
    "lead_duplicate_of_id": "lead",
    "lead_duplicate_partner_id": "partner",
    "lead_web_form_id": "form",
    "lead_consent_text": "I agree",
    "lead_consent_date": "2026-01-01 10:00:00",
    "lead_routed_date": "2026-01-01 10:00:00",
    "lead_qualified_date": "2026-01-01 10:00:00",
    "lead_reminded": True,
    "lead_escalated": True,
}


@tagged("post_install", "-at_install", "lead_pipeline")
class TestBookkeepingFields(ConversionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.outsider = cls.env["res.partner"].create({"name": "Unrelated Customer a.s."})
        cls.form = cls.env["lead_pipeline.web.form"].create(
            {"name": "Bookkeeping form", "lead_type_id": cls.lead_type.id}
        )

    def _value(self, fname, lead):
        sample = SAMPLES[fname]
        return (
            {
                "user": self.user_salesman.id,
                "partners": [(6, 0, self.outsider.ids)],
                "partner": self.outsider.id,
                "lead": lead.id,
                "form": self.form.id,
            }.get(sample, sample)
            if isinstance(sample, str)
            else sample
        )

    def test_every_bookkeeping_field_is_listed(self):
        self.assertEqual(set(SAMPLES), self.Lead._lead_pipeline_bookkeeping_fields())

    def test_salesperson_write_of_each_field_refused_nothing_written(self):
        lead = self._create_leads(1, user_id=self.user_salesman.id)
        other = self._create_leads(1, prefix="other")
        for fname in SAMPLES:
            with self.subTest(field=fname):
                before = lead.read([fname])[0][fname]
                with self.assertRaises(UserError) as caught:
                    lead.with_user(self.user_salesman).write(
                        {"name": "Changed", fname: self._value(fname, other)}
                    )
                self.assertIn(self.Lead._fields[fname].string, str(caught.exception))
                lead.invalidate_recordset()
                self.assertEqual(lead.read([fname])[0][fname], before)
                self.assertEqual(lead.name, "Lead 0")

    def test_create_with_bookkeeping_refused_even_as_admin_and_by_default_key(self):
        other = self._create_leads(1, prefix="other")
        for fname in SAMPLES:
            with self.subTest(field=fname), self.assertRaises(UserError):
                self.Lead.create({"name": "New", "type": "lead", fname: self._value(fname, other)})
        with self.assertRaises(UserError):
            self.Lead.with_context(default_lead_converted_date="2026-01-01 10:00:00").create(
                {"name": "Defaulted", "type": "lead"}
            )

    def test_partner_origin_lead_refused_to_clients(self):
        lead = self._create_leads(1)
        with self.assertRaises(UserError):
            self.outsider.with_user(self.user_manager).write(
                {"lead_pipeline_origin_lead_id": lead.id}
            )
        with self.assertRaises(UserError):
            self.env["res.partner"].create({"name": "X", "lead_pipeline_origin_lead_id": lead.id})

    def test_manager_corrects_through_the_action_with_its_reason(self):
        lead = self._create_leads(1)
        Wizard = self.env["lead_pipeline.bookkeeping.wizard"]
        wizard = Wizard.with_user(self.user_manager).create(
            {"lead_id": lead.id, "lead_status_date": "2026-02-03 04:05:06", "reason": "Typo"}
        )
        wizard.action_apply()
        self.assertEqual(str(lead.lead_status_date), "2026-02-03 04:05:06")
        self.assertIn("Bookkeeping corrected: Typo", lead.message_ids[0].body)
        with self.assertRaises(AccessError):
            Wizard.with_user(self.user_salesman).create(
                {"lead_id": lead.id, "lead_reminded": True, "reason": "Me too"}
            ).action_apply()
        with self.assertRaises(UserError):
            Wizard.with_user(self.user_manager).create(
                {"lead_id": lead.id, "reason": "Nothing"}
            ).action_apply()

    def test_batch_of_300_write_refused_whole(self):
        leads = self._create_leads(300, user_id=self.user_salesman.id)
        with self.assertRaises(UserError):
            leads.with_user(self.user_salesman).write({"lead_reminded": True})
        self.assertFalse(leads.filtered("lead_reminded"))

    def test_undo_of_tampered_lead_deletes_nothing_it_did_not_create(self):
        lead = self._qualified()
        self._wizard(lead).action_convert()
        created = lead.lead_created_partner_ids
        # tampered in SQL, past every ORM check: an unrelated customer listed
        self.env.flush_all()
        self.env.cr.execute(
            "INSERT INTO lead_pipeline_lead_created_partner_rel (lead_id, partner_id) "
            "VALUES (%s, %s)",
            (lead.id, self.outsider.id),
        )
        lead.invalidate_recordset()
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(self.outsider.exists())
        self.assertTrue(self.outsider.active)
        self.assertFalse(created.exists(), "what the conversion created goes")

    def test_import_with_bookkeeping_column_refused(self):
        result = self.Lead.with_context(import_file=True).load(
            ["name", "email_from", "lead_reminded"], [["Imported", "imp@book.example", "1"]]
        )
        self.assertFalse(result["ids"])
        self.assertIn("cannot be set directly", str(result["messages"]))
