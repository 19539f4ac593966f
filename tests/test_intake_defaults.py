import base64
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.lead_pipeline.models.internal import scoped_value
from odoo.addons.sales_team.models.crm_team import CrmTeam as SalesTeam

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestIntakeDefaults(LeadPipelineCase):
    def test_create_batch_gets_defaults(self):
        leads = self._create_leads(300)
        self.assertEqual(leads.lead_type_id, self.lead_type)
        self.assertEqual(leads.lead_status_id, self.status_test_new)
        self.assertEqual(len(leads.lead_contact_ids), 300)

    def test_context_default_type(self):
        lead = self.Lead.with_context(default_lead_type_id=self.type_supplier.id).create(
            {"name": "Parts", "type": "lead"}
        )
        self.assertEqual(lead.lead_type_id, self.type_supplier)
        self.assertEqual(lead.lead_status_id, self.status_new)

    def test_mail_alias_message_new(self):
        lead = self.Lead.with_context(default_type="lead").message_new(
            {
                "subject": "Need an offer",
                "from": '"Ivan Petrov" <ivan@fresh.example>',
                "email_from": '"Ivan Petrov" <ivan@fresh.example>',
                "body": "<p>Please call me</p>",
            }
        )
        self.assertEqual(lead.type, "lead")
        self.assertEqual(lead.lead_type_id, self.lead_type)
        self.assertEqual(lead.lead_status_id, self.status_test_new)
        self.assertEqual(lead.lead_contact_ids.name, "Ivan Petrov")
        self.assertFalse(lead.partner_id)

    def test_import_load(self):
        result = self.Lead.with_context(import_file=True, default_type="lead").load(
            ["name", "contact_name", "email_from", "lead_type_id/id"],
            [
                [
                    "Row 1",
                    "Anna",
                    "anna.import@fresh.example",
                    "lead_pipeline.lead_type_b2c_prospect",
                ],
                ["Row 2", "Boris", "boris.import@fresh.example", ""],
            ],
        )
        self.assertFalse(result["messages"], result["messages"])
        leads = self.Lead.browse(result["ids"])
        self.assertEqual(leads.mapped("lead_type_id"), self.type_b2c | self.lead_type)
        self.assertEqual(leads[0].lead_status_id, self.type_b2c.default_status_id)
        self.assertEqual(leads[1].lead_status_id, self.status_test_new)

    def test_import_through_base_import_wizard(self):
        csv = "name,contact_name,email_from\nWizard row,Zoe,zoe@fresh.example\n"
        wizard = self.env["base_import.import"].create(
            {
                "res_model": "crm.lead",
                "file": base64.b64decode(base64.b64encode(csv.encode())),
                "file_type": "text/csv",
            }
        )
        result = wizard.with_context(default_type="lead").execute_import(
            ["name", "contact_name", "email_from"],
            ["name", "contact_name", "email_from"],
            {"has_headers": True, "separator": ",", "quoting": '"'},
        )
        self.assertFalse(result["messages"])
        lead = self.Lead.browse(result["ids"])
        self.assertEqual(lead.lead_status_id, self.status_test_new)

    def test_utm_sources_seeded_once(self):
        names = [
            "Contact Form",
            "External Database",
            "Conference or Trade Fair",
            "Direct Contact",
            "Office Visit",
            "Referral",
            "Marketing Campaign",
            "Business Card",
            "Social Media",
            "Chat",
        ]
        sources = self.env["utm.source"].search([("name", "in", names)])
        self.assertEqual(sorted(sources.mapped("name")), sorted(names))
        # running the seeding again creates nothing new
        self.env["utm.source"]._lead_pipeline_ensure_sources()
        self.assertEqual(self.env["utm.source"].search_count([("name", "in", names)]), len(names))

    def test_install_puts_existing_leads_in_their_pipeline(self):
        from odoo.addons.lead_pipeline.hooks import post_init_hook

        self.env.cr.execute(
            "INSERT INTO crm_lead (name, type, active, company_id) "
            "VALUES ('Before install', 'lead', true, %(c)s), ('Lost before', 'lead', false, %(c)s) "
            "RETURNING id",
            {"c": self.company.id},
        )
        leads = self.Lead.with_context(active_test=False).browse(
            [row[0] for row in self.env.cr.fetchall()]
        )
        post_init_hook(self.env)
        self.assertEqual(leads.lead_type_id, self.lead_type)
        self.assertEqual(
            [lead.lead_status_id for lead in leads], [self.status_test_new, self.status_test_lost]
        )

    def test_leads_feature_switched_on_by_install(self):
        self.assertIn(
            self.env.ref("crm.group_use_lead"), self.env.ref("base.group_user").implied_ids
        )

    def test_batch_asks_each_salespersons_default_team_once(self):
        """crm computes a lead's team by asking the salesperson's default
        team lead by lead; in one creation it is asked once per salesperson
        and kind, with the very same answers, and a later creation sees
        teams as they are then."""
        Team = self.env["crm.team"]
        team_a = Team.create({"name": "Team A", "use_leads": True, "sequence": 1})
        team_b = Team.create({"name": "Team B", "use_leads": True, "sequence": 2})
        team_a.member_ids = self.user_salesman
        team_b.member_ids = self.user_salesman_2
        users = [self.user_salesman, self.user_salesman_2, self.user_manager]
        vals_list = [
            {
                "name": f"Teamed {idx}",
                "type": "lead" if idx % 4 else "opportunity",
                "user_id": users[idx % 3].id,
                "email_from": f"teamed{idx}@example.com",
            }
            for idx in range(300)
        ]
        calls = []
        original = SalesTeam._get_default_team_id

        def counting(team, user_id=False, domain=False):
            calls.append((user_id, repr(domain)))
            return original(team, user_id=user_id, domain=domain)

        with patch.object(SalesTeam, "_get_default_team_id", counting):
            leads = self.Lead.with_user(self.user_manager).create(vals_list)
        self.assertEqual(len(calls), len(set(calls)), "each asked once")
        self.assertEqual(len(calls), 6, "three salespeople, leads and opportunities")
        self.assertIsNone(scoped_value("lead_pipeline_default_teams"))
        for lead in leads:
            kind = "use_leads" if lead.type == "lead" else "use_opportunities"
            expected = Team._get_default_team_id(
                user_id=lead.user_id.id, domain=[(kind, "=", True)]
            )
            self.assertEqual(lead.team_id, expected, lead.name)
        self.assertEqual(leads[3].team_id, team_a)  # the first salesperson's
        self.assertEqual(leads[1].team_id, team_b)  # the second's
        # the next creation asks again
        team_a.member_ids = self.user_salesman_2
        team_b.member_ids = self.user_salesman
        later = self.Lead.create(
            {"name": "Later", "type": "lead", "user_id": self.user_salesman.id}
        )
        self.assertEqual(later.team_id, team_b)
