from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .test_routing import RoutingCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestTimeOffCountsAsAway(RoutingCase):
    """With Odoo's Time Off app (the bridge installs itself with it), an
    approved time off is an absence for routing, without extra set-up."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        assert "hr.leave" in cls.env, (
            "hr_holidays (and lead_pipeline_hr_holidays) must be installed"
        )
        cls.employee = cls.env["hr.employee"].create({"name": "Anna", "user_id": cls.anna.id})
        cls.leave_type = cls.env["hr.leave.type"].create(
            {"name": "Holiday", "requires_allocation": "no", "leave_validation_type": "hr"}
        )
        cls.anna.lead_pipeline_substitute_id = cls.boris

    def _leave(self):
        # a working day: a time off on a weekend is refused (no working hours)
        today = datetime.now().date()
        while today.weekday() >= 5:
            today += timedelta(days=1)
        return (
            self.env["hr.leave"]
            .with_context(leave_skip_state_check=True)
            .create(
                {
                    "employee_id": self.employee.id,
                    "holiday_status_id": self.leave_type.id,
                    "request_date_from": today,
                    "request_date_to": today,
                }
            )
        )

    def _absences(self):
        return self.Absence.search([("user_id", "=", self.anna.id)])

    def _during(self, absence):
        """The middle of the absence: a day's time off covers its working
        hours, which may not have begun (or have ended) when the test runs."""
        return freeze_time(absence.date_from + (absence.date_to - absence.date_from) / 2)

    def test_approved_time_off_routes_to_the_default_substitute(self):
        self._rule([(self.anna, {})], fallback_user_id=self.cyril.id)
        leave = self._leave()
        self.assertFalse(self._absences(), "a request waiting for approval is not an absence")
        leave.action_approve()
        self.assertEqual(leave.state, "validate")
        absence = self._absences()
        self.assertEqual(absence.substitute_id, self.boris)
        self.assertEqual(absence.hr_leave_id, leave)
        with self._during(absence):
            lead = self._new(1)
        self.assertEqual(lead.user_id, self.boris)
        self.assertIn("substituting for", lead.lead_routing_log_ids.explanation)
        leave.action_refuse()
        self.assertFalse(self._absences())
        self.assertEqual(self._new(1).user_id, self.anna)

    def test_time_off_without_substitute_skips_the_person(self):
        self.anna.lead_pipeline_substitute_id = False
        self._rule([(self.anna, {}), (self.boris, {})])
        self._leave().action_approve()
        with self._during(self._absences()):
            self.assertEqual(set(self._new(4).mapped("user_id")), {self.boris})
