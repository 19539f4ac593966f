"""The badges of the lead kanban and list (stale, overdue) read only the
columns they need: the web client fetches the view's own columns, and a
badge must not pull every column of 40 or 80 cards in a second query."""

from odoo.tests import tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestBadgeReads(LeadPipelineCase):
    def _cards(self):
        leads = self.Lead.create(
            [
                {
                    "name": f"Card {index}",
                    "type": "lead",
                    "lead_type_id": self.lead_type.id,
                    "description": "<p>long notes</p>",
                    "user_id": self.user_salesman.id,
                }
                for index in range(3)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        # what a kanban's web_search_read has in memory: its own columns
        leads = self.Lead.with_user(self.user_salesman).browse(leads.ids)
        leads.fetch(["name", "company_id", "user_id"])
        return leads

    def _cached(self, leads, fname):
        field = self.Lead._fields[fname]
        return [lead.id for lead in leads if self.env.cache.contains(lead, field)]

    def test_overdue_badge_fetches_only_its_columns(self):
        leads = self._cards()
        leads.mapped("lead_overdue")
        self.assertFalse(self._cached(leads, "description"))
        self.assertEqual(self._cached(leads, "lead_deadline"), leads.ids)

    def test_stale_badge_fetches_only_its_columns(self):
        leads = self._cards()
        leads.mapped("lead_stale")
        self.assertFalse(self._cached(leads, "description"))
        self.assertEqual(self._cached(leads, "lead_status_date"), leads.ids)
