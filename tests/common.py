"""Shared fixture data: users per role, the lead types and statuses; and
the scaffolding of tests where two workers race on real, committed cursors."""

import threading
import xmlrpc.client
from contextlib import contextmanager

from odoo import api
from odoo.tests.common import TransactionCase

from odoo.addons.lead_pipeline.models.internal import intake_channel
from odoo.addons.mail.tests.common import mail_new_test_user


class Door:
    """Creates leads as if they came in by ``channel``: the addon's own code
    names the door (a client's context cannot), so tests go through it too."""

    def __init__(self, model, channel):
        self.model, self.channel = model, channel

    def create(self, vals_list):
        with intake_channel(self.channel):
            return self.model.create(vals_list)


@contextmanager
def committed_env(registry):
    """An environment on a cursor of its own, committed when the block ends:
    what another worker (another connection) sees."""
    with registry.cursor() as cr:
        yield api.Environment(cr, api.SUPERUSER_ID, {})


@contextmanager
def committed_routing_rule(registry, **values):
    """A routing rule committed for other workers to see, and the list its
    test fills with the ids of the leads it creates: both are deleted at the
    end, whatever happens."""
    with committed_env(registry) as env:
        rule_id = env["lead_pipeline.routing.rule"].create({"sequence": -100, **values}).id
    created = []
    try:
        yield created
    finally:
        with committed_env(registry) as env:
            env["crm.lead"].browse(created).unlink()
            env["lead_pipeline.routing.rule"].browse(rule_id).unlink()


def run_in_parallel(work, count=2, timeout=60):
    """Run ``work(barrier)`` in ``count`` threads at once; each waits on the
    barrier so that their transactions really overlap."""
    barrier = threading.Barrier(count, timeout=30)
    threads = [threading.Thread(target=work, args=(barrier,)) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)


class SalespersonRpc:
    """XML-RPC calls as the salesperson ``lp_salesman`` (for HttpCase tests):
    the server reads the committed database, not the test's cache."""

    def _rpc(self, model, method, args, context=None, kwargs=None):
        self.env.flush_all()
        self.env.invalidate_all()
        models = xmlrpc.client.ServerProxy(f"{self.xmlrpc_url}object", allow_none=True)
        try:
            return models.execute_kw(
                self.env.cr.dbname, self.user_salesman.id, "lp_salesman", model, method, args,
                {**(kwargs or {}), "context": context or {}},
            )  # fmt: skip
        except xmlrpc.client.Fault as fault:
            return ("refused", fault.faultString)


class LeadPipelineCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company
        cls.company_2 = cls.env["res.company"].create({"name": "Second Company"})
        groups = "sales_team.group_sale_salesman"
        cls.user_salesman = mail_new_test_user(
            cls.env, login="lp_salesman", name="Sam Salesman", groups=groups
        )
        cls.user_salesman_2 = mail_new_test_user(
            cls.env, login="lp_salesman_2", name="Sara Salesman", groups=groups
        )
        cls.user_all_leads = mail_new_test_user(
            cls.env,
            login="lp_all_leads",
            name="Alice AllLeads",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.user_manager = mail_new_test_user(
            cls.env, login="lp_manager", name="Max Manager", groups="sales_team.group_sale_manager"
        )
        cls.user_other_company = mail_new_test_user(
            cls.env,
            login="lp_other_company",
            name="Otto Other",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=cls.company_2.id,
            company_ids=[(6, 0, cls.company_2.ids)],
        )
        cls.user_employee = mail_new_test_user(
            cls.env, login="lp_employee", name="Emma Employee", groups="base.group_user"
        )
        cls.Lead = cls.env["crm.lead"]
        cls.Status = cls.env["lead_pipeline.status"]
        cls.Type = cls.env["lead_pipeline.lead.type"]
        cls.status_new = cls.env.ref("lead_pipeline.status_new")
        cls.status_contacted = cls.env.ref("lead_pipeline.status_contacted")
        cls.status_nurturing = cls.env.ref("lead_pipeline.status_nurturing")
        cls.status_qualified = cls.env.ref("lead_pipeline.status_qualified")
        cls.status_converted = cls.env.ref("lead_pipeline.status_converted")
        cls.status_disqualified = cls.env.ref("lead_pipeline.status_disqualified")
        cls.type_b2b = cls.env.ref("lead_pipeline.lead_type_b2b_prospect")
        cls.type_b2c = cls.env.ref("lead_pipeline.lead_type_b2c_prospect")
        cls.type_supplier = cls.env.ref("lead_pipeline.lead_type_supplier")
        # a type of our own, first in order, so defaults do not depend on demo data
        cls.status_test_new = cls.Status.create({"name": "Fresh", "category": "new", "sequence": 1})
        cls.status_test_call = cls.Status.create(
            {"name": "Called", "category": "working", "sequence": 2}
        )
        cls.status_test_ready = cls.Status.create(
            {
                "name": "Ready",
                "category": "qualified",
                "sequence": 3,
                "required_field_ids": [
                    (
                        6,
                        0,
                        [
                            cls.env.ref("crm.field_crm_lead__email_from").id,
                            cls.env.ref("crm.field_crm_lead__partner_name").id,
                        ],
                    )
                ],
            }
        )
        cls.status_test_won = cls.Status.create(
            {"name": "Won", "category": "converted", "sequence": 4}
        )
        cls.status_test_lost = cls.Status.create(
            {"name": "Dropped", "category": "disqualified", "sequence": 5}
        )
        cls.status_test_new.allowed_next_ids = cls.status_test_call | cls.status_test_lost
        cls.status_test_call.allowed_next_ids = (
            cls.status_test_new | cls.status_test_ready | cls.status_test_lost
        )
        cls.test_statuses = (
            cls.status_test_new
            | cls.status_test_call
            | cls.status_test_ready
            | cls.status_test_won
            | cls.status_test_lost
        )
        cls.lead_type = cls.Type.create(
            {
                "name": "Test Prospect",
                "code": "TEST",
                "sequence": -1,
                "status_ids": [(6, 0, cls.test_statuses.ids)],
                "default_status_id": cls.status_test_new.id,
            }
        )

    def _priority_automation(self, field_xmlid, domain):
        """An automation rule on leads: when ``field_xmlid`` is written and
        the lead matches ``domain``, its priority becomes 3."""
        assert "base.automation" in self.env, "base_automation must be installed"
        automation = self.env["base.automation"].create(
            {
                "name": "Flag leads",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "trigger": "on_create_or_write",
                "trigger_field_ids": [(6, 0, self.env.ref(field_xmlid).ids)],
                "filter_domain": repr(domain),
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Set priority",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "base_automation_id": automation.id,
                "state": "code",
                "code": "records.write({'priority': '3'})",
            }
        )
        return automation

    def _create_leads(self, count, prefix="person", **values):
        return self.Lead.create(
            [
                {
                    "name": f"Lead {idx}",
                    "type": "lead",
                    "contact_name": f"Person {idx}",
                    "email_from": f"{prefix}{idx}@example.com",
                    **values,
                }
                for idx in range(count)
            ]
        )
