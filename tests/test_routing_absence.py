from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .test_routing import RoutingCase

START = datetime(2026, 11, 2, 8, 0)
END = datetime(2026, 11, 6, 18, 0)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSubstituteWorksAbsentLeads(RoutingCase):
    """During an absence the substitute opens, works and hears about the
    absent person's leads; not before, not after."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {"name": "Writing Customer", "email": "writer@customer.example"}
        )
        cls.lead = cls.Lead.create(
            {
                "name": "Anna's lead",
                "type": "lead",
                "user_id": cls.anna.id,
                "email_from": "x@y.example",
            }
        )
        cls.Absence.create(
            {
                "user_id": cls.anna.id,
                "substitute_id": cls.boris.id,
                "date_from": START,
                "date_to": END,
            }
        )

    def _boris_reads(self):
        lead = self.lead.with_user(self.boris)
        lead.invalidate_recordset()
        return lead.name

    def test_record_rule_follows_the_absence(self):
        with freeze_time(START - timedelta(hours=1)):
            with self.assertRaises(AccessError):
                self._boris_reads()
        with freeze_time(START + timedelta(days=1)):
            self.assertEqual(self._boris_reads(), "Anna's lead")
            self.lead.with_user(self.boris).write({"description": "called back"})
            found = self.Lead.with_user(self.boris).search([("id", "=", self.lead.id)])
            self.assertEqual(found, self.lead)
            self.assertEqual(self.lead.lead_pipeline_substitute_ids, self.boris)
        with freeze_time(END + timedelta(hours=1)):
            with self.assertRaises(AccessError):
                self._boris_reads()
            self.assertFalse(self.Lead.with_user(self.boris).search([("id", "=", self.lead.id)]))

    def test_absence_recorded_in_the_same_transaction_starts_on_time(self):
        """The rule lookups' key (where now falls among the absences' bounds)
        learns a new absence at once, even when the process has read the
        absences before: no cached rule outlives its start."""
        lead = self.Lead.create({"name": "Cyril's lead", "type": "lead", "user_id": self.cyril.id})
        start, end = END + timedelta(days=10), END + timedelta(days=12)
        with freeze_time(start - timedelta(hours=1)):
            with self.assertRaises(AccessError):
                lead.with_user(self.boris).invalidate_recordset()
                lead.with_user(self.boris).name  # noqa: B018 (the read is the test)
            self.Absence.create(
                {
                    "user_id": self.cyril.id,
                    "substitute_id": self.boris.id,
                    "date_from": start,
                    "date_to": end,
                }
            )
            with self.assertRaises(AccessError):
                lead.with_user(self.boris).invalidate_recordset()
                lead.with_user(self.boris).name  # noqa: B018
        with freeze_time(start + timedelta(hours=1)):
            lead.with_user(self.boris).invalidate_recordset()
            self.assertEqual(lead.with_user(self.boris).name, "Cyril's lead")

    def test_chain_substitute_gets_access_too(self):
        self.Absence.create(
            {
                "user_id": self.boris.id,
                "substitute_id": self.cyril.id,
                "date_from": START,
                "date_to": END,
            }
        )
        salesman_c = self.env["res.users"].create(
            {
                "name": "Carl Chain",
                "login": "lp_chain_c",
                "groups_id": [(6, 0, self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.Absence.search([("user_id", "=", self.boris.id)]).substitute_id = salesman_c
        with freeze_time(START + timedelta(hours=2)):
            self.assertEqual(self.lead.with_user(salesman_c).name, "Anna's lead")
            self.assertEqual(self.lead.lead_pipeline_substitute_ids, self.boris | salesman_c)

    def _customer_writes(self):
        return self.lead.message_post(
            body="Any news about my offer?",
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            author_id=self.customer.id,
        )

    def test_messages_reach_the_substitute_during_the_absence_only(self):
        self.assertIn(self.anna.partner_id, self.lead.message_partner_ids)
        with freeze_time(START + timedelta(days=1)):
            message = self._customer_writes()
            notified = message.notification_ids.res_partner_id
            self.assertIn(self.anna.partner_id, notified)
            self.assertIn(self.boris.partner_id, notified)
        with freeze_time(END + timedelta(days=1)):
            message = self._customer_writes()
            self.assertNotIn(self.boris.partner_id, message.notification_ids.res_partner_id)

    def test_activities_lent_during_the_absence_and_given_back(self):
        with freeze_time(START - timedelta(days=3)):
            due_during = self.lead.activity_schedule(
                "mail.mail_activity_data_call", date_deadline=START.date() + timedelta(days=1),
                user_id=self.anna.id,
            )  # fmt: skip
            due_after = self.lead.activity_schedule(
                "mail.mail_activity_data_call", date_deadline=END.date() + timedelta(days=7),
                user_id=self.anna.id,
            )  # fmt: skip
            self.Absence._lead_pipeline_sync_activities()
            self.assertEqual(due_during.user_id, self.anna, "not before the absence")
        with freeze_time(START + timedelta(hours=1)):
            self.Absence._lead_pipeline_sync_activities()
            self.assertEqual(due_during.user_id, self.boris)
            self.assertEqual(due_during.lead_pipeline_absent_user_id, self.anna)
            self.assertEqual(due_after.user_id, self.anna)
            self.Absence._lead_pipeline_sync_activities()  # idempotent
            self.assertEqual(due_during.user_id, self.boris)
        with freeze_time(END + timedelta(hours=1)):
            self.Absence._lead_pipeline_sync_activities()
            self.assertEqual(due_during.user_id, self.anna)
            self.assertFalse(due_during.lead_pipeline_absent_user_id)

    def test_absence_created_while_away_lends_at_once_and_deleting_gives_back(self):
        lead = self.Lead.create({"name": "Boris' lead", "type": "lead", "user_id": self.boris.id})
        activity = lead.activity_schedule(
            "mail.mail_activity_data_todo", date_deadline=fields.Date.today(), user_id=self.boris.id
        )
        absence = self.Absence.create(
            {
                "user_id": self.boris.id,
                "substitute_id": self.cyril.id,
                "date_from": fields.Datetime.now() - timedelta(hours=1),
                "date_to": fields.Datetime.now() + timedelta(days=2),
            }
        )
        self.assertEqual(activity.user_id, self.cyril)
        absence.unlink()
        self.assertEqual(activity.user_id, self.boris)

    def test_default_substitute_and_who_sees_absences(self):
        self.boris.with_user(self.boris).lead_pipeline_substitute_id = self.cyril
        absence = self.Absence.with_user(self.boris).create(
            {"date_from": START, "date_to": END, "note": "Trade fair"}
        )
        self.assertEqual(absence.substitute_id, self.cyril)
        self.assertEqual(absence.user_id, self.boris)
        # anna reads the absence in which she substitutes, cannot change it
        absences = self.Absence.with_user(self.anna).search([])
        self.assertNotIn(absence, absences)
        self.assertEqual(absences.user_id, self.anna)
        with self.assertRaises(AccessError):
            self.Absence.with_user(self.anna).create(
                {"user_id": self.boris.id, "date_from": START, "date_to": END}
            )
        substituted = self.Absence.with_user(self.boris).search(
            [("substitute_id", "=", self.boris.id)]
        )
        self.assertEqual(substituted.user_id, self.anna)
        with self.assertRaises(AccessError):
            substituted.with_user(self.boris).write({"date_to": END + timedelta(days=1)})
