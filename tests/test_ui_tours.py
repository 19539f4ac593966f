from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged


def make_salesman(env, login, name):
    """A salesperson who logs in with their login as password."""
    return env["res.users"].create(
        {
            "name": name,
            "login": login,
            "password": login,
            "groups_id": [(6, 0, env.ref("sales_team.group_sale_salesman").ids)],
        }
    )


def make_pipeline(env, prefix, code, qualified_values, **type_values):
    """A lead type with four statuses of its own: new, working, qualified
    (with ``qualified_values``), converted; returns (type, statuses)."""
    Status = env["lead_pipeline.status"]
    statuses = Status.create(
        [
            {"name": f"{prefix} {name}", "category": category, "sequence": sequence, **values}
            for sequence, (name, category, values) in enumerate(
                [
                    ("New", "new", {}),
                    ("Called", "working", {}),
                    ("Qualified", "qualified", qualified_values),
                    ("Won", "converted", {}),
                ],
                start=1,
            )
        ]
    )
    lead_type = env["lead_pipeline.lead.type"].create(
        {
            "name": f"{prefix} Type",
            "code": code,
            "status_ids": [(6, 0, statuses.ids)],
            "default_status_id": statuses[0].id,
            **type_values,
        }
    )
    return lead_type, statuses


@tagged("post_install", "-at_install", "lead_pipeline")
class TestStatusTour(HttpCase):
    def test_drag_to_status_with_missing_required_field(self):
        lead_type, (_fresh, called, ready, _done) = make_pipeline(
            self.env,
            "Tour",
            "TOUR",
            {"required_field_ids": [(6, 0, self.env.ref("crm.field_crm_lead__partner_name").ids)]},
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Tour Lead",
                "type": "lead",
                "lead_type_id": lead_type.id,
                "contact_name": "Tourist",
            }
        )
        lead.lead_status_id = called
        self.start_tour("/odoo", "lead_pipeline_status_required_field", login="admin")
        self.assertEqual(lead.lead_status_id, ready)
        self.assertEqual(lead.partner_name, "Tour Company s.r.o.")
        self.assertEqual(lead.lead_status_history_ids[:1].to_status_id, ready)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConvertTour(HttpCase):
    def test_salesperson_converts_lead_from_its_form(self):
        salesman = make_salesman(self.env, "tour_salesman", "Tour Salesman")
        lead_type = self.env.ref("lead_pipeline.lead_type_b2b_prospect")
        lead = self.env["crm.lead"].create(
            {
                "name": "Tour conversion",
                "type": "lead",
                "lead_type_id": lead_type.id,
                "partner_name": "Tour Customer a.s.",
                "contact_name": "Tina Tourist",
                "email_from": "tina@tour-customer.example",
                "description": "<p>Forty trucks to track</p>",
                "user_id": salesman.id,
            }
        )
        lead.lead_status_id = self.env.ref("lead_pipeline.status_contacted")
        lead.lead_status_id = self.env.ref("lead_pipeline.status_qualified")
        self.start_tour(
            f"/odoo/action-lead_pipeline.crm_lead_action_pipeline/{lead.id}",
            "lead_pipeline_convert_lead",
            login="tour_salesman",
        )
        self.assertTrue(lead.lead_converted_date)
        self.assertEqual(lead.partner_id.name, "Tina Tourist")
        self.assertEqual(lead.partner_id.parent_id.name, "Tour Customer a.s.")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestRoutingTour(HttpCase):
    def test_admin_creates_rule_checks_dry_run_and_sees_lead_routed(self):
        router = make_salesman(self.env, "tour_router", "Tour Router")
        # leads typed in the form are routed too (the setting)
        self.env["ir.config_parameter"].set_param("lead_pipeline.route_form_leads", "True")
        self.env["crm.lead"].create(
            {
                "name": "Tour Unassigned",
                "type": "lead",
                "user_id": False,
                "email_from": "u@t.example",
            }
        )
        self.start_tour("/odoo/crm", "lead_pipeline_routing_rule", login="admin")
        rule = self.env["lead_pipeline.routing.rule"].search([("name", "=", "Tour Rule")])
        self.assertEqual(rule.fixed_user_id, router)
        unassigned = self.env["crm.lead"].search([("name", "=", "Tour Unassigned")])
        self.assertFalse(unassigned.user_id, "the dry run wrote nothing")
        typed = self.env["crm.lead"].search([("name", "=", "Tour Typed Lead")])
        self.assertEqual(typed.user_id, router)
        self.assertIn("Routed by rule Tour Rule", typed.lead_routing_log_ids.explanation)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConfigureTour(HttpCase):
    def test_admin_configures_type_with_status_and_required_field(self):
        data = self.env.ref
        lead_type = self.env["lead_pipeline.lead.type"].create(
            {
                "name": "Tour Partners",
                "code": "TPART",
                "status_ids": [
                    (
                        6,
                        0,
                        (
                            data("lead_pipeline.status_new")
                            | data("lead_pipeline.status_converted")
                        ).ids,
                    )
                ],
            }
        )
        self.start_tour("/odoo/crm", "lead_pipeline_configure_type", login="admin")
        status = lead_type.status_ids.filtered(lambda s: s.name == "Tour Screening")
        self.assertEqual(status.category, "working")
        self.assertEqual(status.required_field_ids.name, "website")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestWorkLeadTour(HttpCase):
    def test_salesperson_works_lead_through_kanban_to_qualified(self):
        salesman = make_salesman(self.env, "work_salesman", "Work Salesman")
        lead_type, (_new, called, qualified, _won) = make_pipeline(
            self.env,
            "Work",
            "WORK",
            {"require_qualification": True},
            sequence=-5,
            qualification_framework="bant",
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Tour Working Lead",
                "type": "lead",
                "lead_type_id": lead_type.id,
                "user_id": salesman.id,
                "email_from": "work@tour.example",
            }
        )
        self.start_tour("/odoo/crm", "lead_pipeline_work_lead", login="work_salesman")
        self.assertEqual(lead.lead_status_id, qualified)
        self.assertEqual(lead.lead_qualification_score, 100.0)
        self.assertEqual(lead.lead_status_history_ids.mapped("to_status_id"), qualified | called)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSalespersonDayTour(HttpCase):
    def test_salesperson_day_from_new_lead_to_customer(self):
        """As the salesperson, not as admin: a status with a required field,
        the qualification and the conversion all read what only admins may
        read (field definitions, criteria) or create customers."""
        make_salesman(self.env, "day_salesman", "Day Salesman")
        lead_type, (_new, checkpoint, qualified, won) = make_pipeline(
            self.env,
            "Day",
            "DAY",
            {"require_qualification": True},
            sequence=-10,
            qualification_framework="bant",
        )
        checkpoint.write(
            {
                "name": "Day Checkpoint",
                "required_field_ids": [
                    (6, 0, self.env.ref("crm.field_crm_lead__partner_name").ids)
                ],
            }
        )
        self.start_tour(
            "/odoo/action-lead_pipeline.crm_lead_action_pipeline/new",
            "lead_pipeline_salesperson_day",
            login="day_salesman",
        )
        lead = self.env["crm.lead"].search([("name", "=", "Day Lead")])
        self.assertEqual(lead.lead_type_id, lead_type)
        self.assertEqual(lead.lead_status_id, won)
        self.assertEqual(
            lead.lead_status_history_ids.mapped("to_status_id"), won | qualified | checkpoint
        )
        self.assertEqual(lead.lead_converted_by_id.login, "day_salesman")
        company = lead.partner_id.commercial_partner_id
        self.assertEqual(company.name, "Day Company s.r.o.")
        self.assertEqual(sorted(company.child_ids.mapped("name")), ["Dan Day", "Dora Day"])


@tagged("post_install", "-at_install", "lead_pipeline")
class TestLeadsOnlyTour(HttpCase):
    def test_leads_only_user_works_a_lead_from_their_menu(self):
        user = self.env["res.users"].create(
            {
                "name": "Mia Marketing",
                "login": "mkt_leads_only",
                "password": "mkt_leads_only",
                "groups_id": [(6, 0, self.env.ref("lead_pipeline.group_leads_only").ids)],
            }
        )
        self.assertFalse(user.has_group("sales_team.group_sale_salesman"))
        lead_type, (_new, called, _qualified, _won) = make_pipeline(
            self.env, "Mkt", "MKT", {}, sequence=-10
        )
        lead = self.env["crm.lead"].create(
            {
                "name": "Marketing Lead",
                "type": "lead",
                "lead_type_id": lead_type.id,
                "user_id": user.id,
                "contact_name": "Mia Marketing",
                "email_from": "mia@marketing.example",
            }
        )
        self.start_tour("/odoo", "lead_pipeline_leads_only", login="mkt_leads_only")
        self.assertEqual(lead.lead_status_id, called)
        self.assertEqual(lead.lead_status_history_ids.user_id, user)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConvertPersonTour(HttpCase):
    def test_salesperson_converts_b2c_person_and_finds_history_on_her(self):
        salesman = make_salesman(self.env, "tour_b2c_salesman", "Tour B2C Salesman")
        salesman.email = "tour_b2c_salesman@example.com"
        lead = self.env["crm.lead"].create(
            {
                "name": "Flat refit",
                "type": "lead",
                "lead_type_id": self.env.ref("lead_pipeline.lead_type_b2c_prospect").id,
                "contact_name": "Petra Person",
                "partner_name": "Petra's Home Office",
                "email_from": "petra@person.example",
                "user_id": salesman.id,
            }
        )
        lead.lead_status_id = self.env.ref("lead_pipeline.status_contacted")
        lead.lead_status_id = self.env.ref("lead_pipeline.status_qualified")
        plan = self.env["ir.attachment"].create(
            {"name": "floorplan.txt", "raw": b"3 rooms", "res_model": "crm.lead", "res_id": lead.id}
        )
        lead.with_user(salesman).message_post(
            body="Wants a quote for her flat",
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=plan.ids,
        )
        activity = lead.activity_schedule(
            "mail.mail_activity_data_call", summary="Visit", user_id=salesman.id
        )
        activity.with_user(salesman).action_feedback(feedback="Measured the rooms")
        self.start_tour(
            f"/odoo/action-lead_pipeline.crm_lead_action_pipeline/{lead.id}",
            "lead_pipeline_convert_person",
            login="tour_b2c_salesman",
        )
        person = lead.partner_id
        self.assertFalse(person.is_company)
        self.assertEqual(person.name, "Petra Person")
        note = person.message_ids.filtered(lambda m: "Wants a quote for her flat" in m.body)
        self.assertEqual(note.author_id, salesman.partner_id)
        self.assertEqual(note.attachment_ids.name, "floorplan.txt")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestDeadlineTour(HttpCase):
    def test_salesperson_sees_overdue_deadline_and_allowed_moves_in_form(self):
        """The form draws overdue and the allowed moves from the values it
        reads, without the computed fields (lead_overdue,
        lead_allowed_status_ids): checked in the browser."""
        salesman = make_salesman(self.env, "deadline_salesman", "Deadline Salesman")
        lead_type, (new, called, qualified, _won) = make_pipeline(
            self.env, "Deadline", "DEADLINE", {}, sequence=-5
        )
        called.write(
            {
                "deadline_duration": 2,
                "deadline_unit": "days",
                "allowed_next_ids": [(6, 0, qualified.ids)],
            }
        )
        values = {"type": "lead", "lead_type_id": lead_type.id, "user_id": salesman.id}
        with freeze_time(datetime.now() - timedelta(days=10)):
            late = self.env["crm.lead"].create({"name": "Late Lead", **values})
            late.lead_status_id = called
        timely = self.env["crm.lead"].create({"name": "Timely Lead", **values})
        timely.lead_status_id = called
        self.assertTrue(late.lead_overdue)
        self.assertFalse(timely.lead_overdue)
        self.assertEqual(late.lead_allowed_status_ids, called | qualified)
        self.assertNotIn(new, late.lead_allowed_status_ids)
        for lead, tour in ((late, "overdue"), (timely, "in_time")):
            self.start_tour(
                f"/odoo/action-lead_pipeline.crm_lead_action_pipeline/{lead.id}",
                f"lead_pipeline_deadline_{tour}",
                login="deadline_salesman",
            )
