from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import LeadPipelineCase

T0 = datetime(2026, 11, 2, 9, 0)  # a Monday


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatusDeadlines(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.status_test_call.write(
            {"deadline_duration": 2, "escalation_duration": 4, "deadline_unit": "days"}
        )
        cls.team = cls.env["crm.team"].create(
            {"name": "Deadline team", "user_id": cls.user_manager.id}
        )

    def _called_at(self, moment, count=1, **values):
        with freeze_time(moment):
            leads = self._create_leads(
                count, user_id=self.user_salesman.id, team_id=self.team.id, **values
            )
            leads.lead_status_id = self.status_test_call
        return leads

    def _cron(self, moment):
        with freeze_time(moment):
            self.Lead._cron_lead_deadlines()

    def _activities(self, leads, user):
        return leads.activity_ids.filtered(lambda activity: activity.user_id == user)

    def test_reminder_once_escalation_once_none_after_moving_on(self):
        lead, moved_on = self._called_at(T0, count=2)
        self.assertEqual(lead.lead_deadline, T0 + timedelta(days=2))
        self.assertEqual(lead.lead_escalation_date, T0 + timedelta(days=4))
        self._cron(T0 + timedelta(days=1))
        self.assertFalse(lead.activity_ids)
        with freeze_time(T0 + timedelta(days=1, hours=1)):
            moved_on.lead_status_id = self.status_test_new
        self._cron(T0 + timedelta(days=2, hours=1))
        reminders = self._activities(lead, self.user_salesman)
        self.assertEqual(len(reminders), 1)
        self.assertIn("Overdue", reminders.summary)
        self.assertTrue(lead.lead_reminded)
        self.assertFalse(moved_on.activity_ids, "moved on in time")
        with freeze_time(T0 + timedelta(days=2, hours=2)):
            self.assertTrue(lead.lead_overdue)
            self.assertIn(lead, self.Lead.search([("lead_overdue", "=", True)]))
            self.assertNotIn(moved_on, self.Lead.search([("lead_overdue", "=", True)]))
        self._cron(T0 + timedelta(days=3))
        self.assertEqual(len(lead.activity_ids), 1, "reminded once")
        self._cron(T0 + timedelta(days=4, hours=1))
        escalations = self._activities(lead, self.user_manager)
        self.assertEqual(len(escalations), 1)
        self.assertIn("Escalated to Max Manager", lead.message_ids[0].body)
        self._cron(T0 + timedelta(days=6))
        self.assertEqual(len(lead.activity_ids), 2, "escalated once")
        # moving on starts afresh: new deadline, no flags
        with freeze_time(T0 + timedelta(days=6, hours=1)):
            lead.lead_status_id = self.status_test_new
            lead.lead_status_id = self.status_test_call
        self.assertFalse(lead.lead_reminded)
        self.assertEqual(lead.lead_deadline, T0 + timedelta(days=8, hours=1))

    def test_escalation_without_team_leader_goes_to_type_user(self):
        self.lead_type.escalation_user_id = self.user_all_leads
        self.team.user_id = False
        lead = self._called_at(T0)
        self._cron(T0 + timedelta(days=5))
        self.assertTrue(self._activities(lead, self.user_all_leads))
        self.assertTrue(lead.lead_escalated)

    def test_working_time_deadline(self):
        calendar = self.env["resource.calendar"].create(
            {
                "name": "UTC office",
                "tz": "UTC",
                "hours_per_day": 8,
                "attendance_ids": [
                    (0, 0, {"name": f"{day} {start}", "dayofweek": str(day),
                            "hour_from": start, "hour_to": end})
                    for day in range(5)
                    for start, end in ((8, 12), (13, 17))
                ],
            }
        )  # fmt: skip
        self.company.resource_calendar_id = calendar
        self.status_test_call.write({"deadline_working_time": True, "escalation_duration": 0})
        friday_afternoon = datetime(2026, 11, 6, 16, 0)
        for unit, amount in (("hours", 8), ("days", 1)):
            with self.subTest(unit=unit):
                self.status_test_call.write({"deadline_unit": unit, "deadline_duration": amount})
                lead = self._called_at(friday_afternoon, prefix=unit)
                # 1 h on Friday, 4 h Monday morning, 3 h Monday afternoon
                self.assertEqual(lead.lead_deadline, datetime(2026, 11, 9, 16, 0))
                self.assertFalse(lead.lead_escalation_date)

    def test_batch_of_300_and_bad_configuration(self):
        leads = self._called_at(T0, count=300)
        self._cron(T0 + timedelta(days=5))
        self.assertEqual(len(leads.activity_ids), 600)
        self.assertTrue(all(leads.mapped("lead_escalated")))
        with self.assertRaises(UserError):
            self.status_test_call.escalation_duration = 1
        with self.assertRaises(UserError):
            self.status_test_call.deadline_duration = -1
