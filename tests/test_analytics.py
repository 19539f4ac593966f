from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.lead_pipeline.models.internal import internal_write

from .common import LeadPipelineCase

T0 = datetime(2026, 10, 5, 8, 0)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestLeadAnalytics(LeadPipelineCase):
    """Report rows against hand-counted fixtures: 4 leads of the test type,
    created at T0; A qualified after 10 h then converted at 30 h, B qualified
    after 20 h, C disqualified after 5 h, D untouched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        values = {"partner_name": "Acme", "email_from": "x@acme.example"}
        with freeze_time(T0):
            cls.leads = cls.Lead.create(
                [
                    {"name": name, "type": "lead", "user_id": user.id, **values}
                    for name, user in (
                        ("A", cls.user_salesman),
                        ("B", cls.user_salesman),
                        ("C", cls.user_salesman_2),
                        ("D", cls.user_salesman_2),
                    )
                ]
            )
            internal_write(cls.leads, {"lead_status_date": T0}, sync=True)
        # Odoo stamps create_date with the database clock, which freezegun
        # does not stop: set it as the fixture says
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s WHERE id IN %s", (T0, tuple(cls.leads.ids))
        )
        cls.leads.invalidate_recordset(["create_date"])
        a, b, c, _d = cls.leads
        with freeze_time(T0 + timedelta(hours=4)):
            (a | b).lead_status_id = cls.status_test_call
        with freeze_time(T0 + timedelta(hours=5)):
            c.action_set_lost()
        with freeze_time(T0 + timedelta(hours=10)):
            a.lead_status_id = cls.status_test_ready
        with freeze_time(T0 + timedelta(hours=20)):
            b.lead_status_id = cls.status_test_ready
        with freeze_time(T0 + timedelta(hours=30)):
            internal_write(
                a,
                {"lead_status_id": cls.status_test_won.id, "lead_converted_date": datetime.now()},
                converting=True,
            )
        cls.env.flush_all()

    def _report(self, user=None, model="lead_pipeline.report"):
        Report = self.env[model]
        return Report.with_user(user) if user else Report

    def test_lead_report_figures(self):
        [row] = self._report()._read_group(
            [("lead_type_id", "=", self.lead_type.id)],
            [],
            ["__count", "converted:sum", "disqualified:sum", "conversion_rate:avg",
             "hours_to_qualify:avg", "hours_to_convert:avg"],
        )  # fmt: skip
        count, converted, disqualified, rate, to_qualify, to_convert = row
        self.assertEqual((count, converted, disqualified), (4, 1, 1))
        self.assertAlmostEqual(rate, 25.0)
        self.assertAlmostEqual(to_qualify, 15.0)  # (10 + 20) / 2
        self.assertAlmostEqual(to_convert, 30.0)
        by_category = dict(
            self._report()._read_group(
                [("lead_type_id", "=", self.lead_type.id)], ["status_category"], ["__count"]
            )
        )
        self.assertEqual(by_category, {"new": 1, "qualified": 1, "converted": 1, "disqualified": 1})

    def test_time_in_status_and_funnel(self):
        rows = {
            status: (hours, entered)
            for status, hours, entered in self._report(
                model="lead_pipeline.status.report"
            )._read_group(
                [("lead_type_id", "=", self.lead_type.id)],
                ["status_id"],
                ["hours_in_status:avg", "entered:sum"],
            )
        }
        # Fresh: A, B left after 4 h, C after 5 h; all four entered it
        self.assertAlmostEqual(rows[self.status_test_new][0], (4 + 4 + 5) / 3)
        self.assertEqual(rows[self.status_test_new][1], 4)
        # Called: A stayed 6 h, B 16 h; two entered
        self.assertAlmostEqual(rows[self.status_test_call][0], 11.0)
        self.assertEqual(rows[self.status_test_call][1], 2)
        self.assertEqual(rows[self.status_test_ready][1], 2)
        self.assertAlmostEqual(rows[self.status_test_ready][0], 20.0)  # A: 10 h -> 30 h
        self.assertEqual(rows[self.status_test_won][1], 1)
        self.assertEqual(rows[self.status_test_lost][1], 1)

    def test_salespeople_see_their_own_figures_managers_all(self):
        domain = [("lead_type_id", "=", self.lead_type.id)]
        for model in ("lead_pipeline.report", "lead_pipeline.status.report"):
            with self.subTest(model=model):
                own = self._report(self.user_salesman, model).search(domain)
                self.assertEqual(set(own.mapped("user_id")), {self.user_salesman})
                self.assertEqual(
                    set(self._report(self.user_manager, model).search(domain).mapped("user_id")),
                    {self.user_salesman, self.user_salesman_2},
                )
        [(count,)] = self._report(self.user_salesman)._read_group(domain, [], ["__count"])
        self.assertEqual(count, 2)

    def test_overdue_count_and_digest_kpis(self):
        self.status_test_new.deadline_duration = 1
        self.leads.invalidate_recordset()
        self.env.flush_all()
        [(overdue,)] = self._report()._read_group(
            [("lead_type_id", "=", self.lead_type.id)], [], ["overdue:sum"]
        )
        self.assertEqual(overdue, 1, "D waits in Fresh since T0")
        digest = self.env["digest.digest"].create({"name": "Weekly", "kpi_lead_pipeline_new": True})
        digest = digest.with_context(
            start_datetime=T0 - timedelta(days=1), end_datetime=T0 + timedelta(days=2)
        )
        self.assertEqual(digest.kpi_lead_pipeline_new_value, 4)
        self.assertEqual(digest.kpi_lead_pipeline_converted_value, 1)
