import importlib.util
from pathlib import Path

from odoo.tests import tagged

from .common import LeadPipelineCase

MIGRATIONS = Path(__file__).parents[1] / "lead_pipeline" / "migrations"


def load_migration(version, name):
    path = MIGRATIONS / version / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{version}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install", "lead_pipeline")
class TestMigrations(LeadPipelineCase):
    def test_1_1_0_dates_leads_that_qualified_before_the_upgrade(self):
        values = {"partner_name": "Acme", "email_from": "q@acme.example"}
        qualified, working = self._create_leads(2, **values)
        (qualified | working).lead_status_id = self.status_test_call
        qualified.lead_status_id = self.status_test_ready
        entered = qualified.lead_qualified_date
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE crm_lead SET lead_qualified_date = NULL WHERE id IN %s",
            ((qualified | working)._ids,),
        )
        load_migration("18.0.1.1.0", "post-migration").migrate(self.env.cr, "18.0.1.0.0")
        (qualified | working).invalidate_recordset()
        self.assertEqual(qualified.lead_qualified_date, entered)
        self.assertFalse(working.lead_qualified_date)
