import xmlrpc.client

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import Door, LeadPipelineCase


class IntakeCase(LeadPipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Known Customer a.s.",
                "is_company": True,
                "email": "buyer@known.example",
                "user_id": cls.user_salesman_2.id,
            }
        )
        cls.Api = Door(cls.Lead, "api")

    def _policy(self, **values):
        return self.env["lead_pipeline.intake.policy"].create(values)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestIntakePolicies(IntakeCase):
    def test_api_lead_for_existing_customer_rejected_nothing_written(self):
        count = self.Lead.search_count([])
        with self.assertRaises(ValidationError) as caught:
            self.Api.create(
                [
                    {"name": "Fine", "type": "lead", "email_from": "new@fresh.example"},
                    {"name": "Again", "type": "lead", "email_from": "BUYER@known.example"},
                ]
            )
        message = str(caught.exception)
        self.assertIn("Row 2 (Again): Known Customer a.s.: same e-mail address", message)
        self.assertEqual(self.Lead.search_count([]), count)

    def test_api_lead_for_open_lead_flagged_and_owner_told(self):
        existing = self._create_leads(1, user_id=self.user_salesman.id, partner_name="Open Co")
        lead = self.Api.create({"name": "Dup", "type": "lead", "partner_name": "OPEN CO s.r.o."})
        self.assertEqual(lead.lead_duplicate_of_id, existing)
        self.assertIn(self.env.ref("lead_pipeline.crm_tag_possible_duplicate"), lead.tag_ids)
        activity = existing.activity_ids
        self.assertEqual(activity.user_id, self.user_salesman)
        self.assertIn("same company name", activity.note)

    def test_batch_of_300_with_duplicates_inside_the_batch(self):
        vals_list = [
            {"name": f"Batch {i}", "type": "lead", "email_from": f"batch{i // 2}@many.example"}
            for i in range(300)
        ]
        leads = self.Api.create(vals_list)
        self.assertEqual(len(leads), 300)
        firsts, seconds = leads[0::2], leads[1::2]
        self.assertFalse(firsts.lead_duplicate_of_id)
        self.assertEqual(seconds.mapped("lead_duplicate_of_id"), firsts)

    def test_type_policy_beats_defaults(self):
        self._policy(lead_type_id=self.lead_type.id, channel="api", scope="customer", action="flag")
        lead = self.Api.create(
            {"name": "Allowed", "type": "lead", "email_from": "buyer@known.example"}
        )
        self.assertEqual(lead.lead_duplicate_partner_id, self.customer)
        self.assertEqual(self.customer.activity_ids.user_id, self.user_salesman_2)
        self._create_leads(1, email_from="open@fresh.example")
        self._policy(channel="api", scope="open_lead", action="reject")
        with self.assertRaises(ValidationError):
            self.Api.create({"name": "Twice", "type": "lead", "email_from": "open@fresh.example"})

    def test_allow_policy_creates_plain_lead(self):
        self._policy(channel="api", scope="customer", action="allow")
        lead = self.Api.create(
            {"name": "Plain", "type": "lead", "email_from": "buyer@known.example"}
        )
        self.assertFalse(lead.lead_duplicate_partner_id)
        self.assertFalse(lead.tag_ids)

    def test_attach_only_where_channel_can(self):
        with self.assertRaises(ValidationError) as caught:
            self._policy(channel="import", scope="customer", action="attach")
        self.assertIn("choose Flag or Reject", str(caught.exception))

    def test_code_and_linked_customer_are_left_alone(self):
        lead = self.Lead.create(
            {"name": "By code", "type": "lead", "email_from": "buyer@known.example"}
        )
        self.assertFalse(lead.lead_duplicate_partner_id)
        linked = self.Api.create({"name": "Linked", "type": "lead", "partner_id": self.customer.id})
        self.assertEqual(linked.partner_id, self.customer)
        opportunity = self.Api.create(
            {"name": "Opp", "type": "opportunity", "email_from": "buyer@known.example"}
        )
        self.assertTrue(opportunity)

    def test_only_managers_configure_policies(self):
        Policy = self.env["lead_pipeline.intake.policy"]
        with self.assertRaises(AccessError):
            Policy.with_user(self.user_salesman).create(
                {"channel": "api", "scope": "customer", "action": "flag"}
            )
        Policy.with_user(self.user_manager).create(
            {"channel": "api", "scope": "customer", "action": "flag"}
        )
        self.assertTrue(Policy.with_user(self.user_salesman).search([]))


@tagged("post_install", "-at_install", "lead_pipeline")
class TestImportIntake(IntakeCase):
    FIELDS = ["name", "contact_name", "email_from", "phone"]

    def _import(self, rows, dryrun=False):
        csv = "\n".join(",".join(row) for row in [self.FIELDS, *rows]) + "\n"
        wizard = self.env["base_import.import"].create(
            {"res_model": "crm.lead", "file": csv.encode(), "file_type": "text/csv"}
        )
        return wizard.with_context(default_type="lead").execute_import(
            self.FIELDS,
            self.FIELDS,
            {"has_headers": True, "separator": ",", "quoting": '"'},
            dryrun=dryrun,
        )

    def test_rows_without_contact_data_refused_with_row_numbers(self):
        self.env.company.country_id = self.env.ref("base.sk")
        rows = [
            ["Good", "Ann", "ann@fresh.example", ""],
            ["Unreachable", "Bob", "", ""],
            ["Phone only", "Cid", "", "0905 123 456"],
            ["Bad mail", "Dan", "dan(at)example", ""],
            ["Customer", "Eve", "buyer@known.example", ""],
        ]
        for dryrun in (True, False):
            with self.subTest(dryrun=dryrun):
                result = self._import(rows, dryrun=dryrun)
                messages = [m["message"] for m in result["messages"]]
                self.assertEqual(
                    messages,
                    [
                        "Row 2 not imported: no e-mail address and no phone number.",
                        "Row 4 not imported: dan(at)example is not a valid e-mail address.",
                        "Row 5 not imported: Known Customer a.s.: same e-mail address.",
                    ],
                )
                self.assertTrue(all(m["type"] == "warning" for m in result["messages"]))
                self.assertEqual(len(result["ids"]), 2)
        leads = self.Lead.browse(result["ids"])
        self.assertEqual(leads.mapped("name"), ["Good", "Phone only"])
        self.assertEqual(leads[1].phone, "+421905123456")

    def test_import_batch_of_300_rows(self):
        rows = [
            [f"Row {i}", f"P{i}", f"p{i}@bulk.example" if i % 3 else "", ""] for i in range(300)
        ]
        result = self._import(rows)
        self.assertEqual(len(result["ids"]), 200)
        self.assertEqual(len(result["messages"]), 100)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestMailIntake(IntakeCase):
    def _mail(self, sender, subject="Hello", body="<p>I want an offer</p>"):
        return self.Lead.with_context(default_type="lead").message_new(
            {"subject": subject, "from": sender, "email_from": sender, "body": body}
        )

    def test_mail_from_customer_attached_not_a_lead(self):
        count = self.Lead.search_count([])
        record = self._mail('"Buyer" <buyer@known.example>')
        self.assertEqual(record, self.customer)
        self.assertEqual(self.Lead.search_count([]), count)
        self.assertEqual(self.customer.activity_ids.user_id, self.user_salesman_2)

    def test_mail_from_stranger_keeps_request(self):
        lead = self._mail(
            '"New Person" <new.person@fresh.example>', body="<p>Price for 10 units?</p>"
        )
        self.assertEqual(lead._name, "crm.lead")
        self.assertIn("Price for 10 units?", lead.description)
        self.assertEqual(lead.lead_contact_ids.name, "New Person")

    def test_mail_from_open_lead_person_flagged(self):
        existing = self._create_leads(1, email_from="open.person@fresh.example")
        lead = self._mail("open.person@fresh.example")
        self.assertEqual(lead.lead_duplicate_of_id, existing)

    def test_mail_gateway_end_to_end(self):
        alias_domain = self.env["mail.alias.domain"].create({"name": "intake.example"})
        team = self.env["crm.team"].create(
            {
                "name": "Intake",
                "use_leads": True,
                "alias_name": "sales-intake",
                "alias_domain_id": alias_domain.id,
            }
        )
        raw = (
            "From: Buyer <buyer@known.example>\r\nTo: sales-intake@intake.example\r\n"
            "Subject: Reorder\r\nMessage-ID: <reorder-1@known.example>\r\n\r\nSame again please\r\n"
        )
        count = self.Lead.search_count([])
        self.env["mail.thread"].message_process("crm.lead", raw)
        self.assertEqual(self.Lead.search_count([]), count, team.name)
        self.assertIn("Same again please", self.customer.message_ids[0].body)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestApiIntakeOverRpc(HttpCase):
    def test_xmlrpc_create_for_existing_customer_refused(self):
        self.env["res.partner"].create({"name": "Rpc Customer", "email": "rpc@known.example"})
        models = xmlrpc.client.ServerProxy(f"{self.xmlrpc_url}object", allow_none=True)
        uid = self.env.ref("base.user_admin").id
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            models.execute_kw(
                self.env.cr.dbname, uid, "admin", "crm.lead", "create",
                [{"name": "Via RPC", "type": "lead", "email_from": "rpc@known.example"}],
            )  # fmt: skip
        self.assertIn("same e-mail address", caught.exception.faultString)
        lead_id = models.execute_kw(
            self.env.cr.dbname, uid, "admin", "crm.lead", "create",
            [{"name": "Via RPC", "type": "lead", "email_from": "fresh.rpc@new.example"}],
        )  # fmt: skip
        self.assertTrue(self.env["crm.lead"].browse(lead_id).lead_status_id)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestImportTemplate(IntakeCase):
    def test_template_imports_as_is(self):
        from odoo.tools.misc import file_open

        with file_open("lead_pipeline/static/xls/lead_pipeline_leads.csv", "rb") as template:
            content = template.read()
        header = content.decode().splitlines()[0].split(",")
        wizard = self.env["base_import.import"].create(
            {"res_model": "crm.lead", "file": content, "file_type": "text/csv"}
        )
        result = wizard.with_context(default_type="lead").execute_import(
            header,
            header,
            {
                "has_headers": True,
                "separator": ",",
                "quoting": '"',
                "name_create_enabled_fields": {"tag_ids": True},
            },
        )
        self.assertFalse(result["messages"], result["messages"])
        leads = self.Lead.browse(result["ids"])
        self.assertEqual(leads.mapped("lead_type_id.code"), ["B2B", "RESELLER"])
        self.assertEqual(leads[0].lead_contact_ids.name, "Ján Novák")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestQuickEntry(IntakeCase):
    def _entry(self, **values):
        return self.env["lead_pipeline.quick.entry"].with_user(self.user_salesman).create(values)

    def test_business_card_rule(self):
        cases = [
            ({"partner_name": "Card Co", "phone": "+421 905 111 222"}, "Card Co", []),
            ({"partner_name": "Card Co 2", "contact_name": "Pat", "email": "pat@card.example"}, "Card Co 2", ["Pat"]),
            ({"contact_name": "Solo", "mobile": "+48 601 222 333"}, False, ["Solo"]),
        ]  # fmt: skip
        for values, company, contacts in cases:
            with self.subTest(values=values):
                action = self._entry(**values).action_create()
                lead = self.Lead.browse(action["res_id"])
                self.assertEqual(lead.partner_name, company)
                self.assertEqual(lead.lead_contact_ids.mapped("name"), contacts)
                self.assertEqual(
                    lead.source_id, self.env.ref("lead_pipeline.utm_source_business_card")
                )
                self.assertFalse(lead.partner_id)

    def test_same_intake_checks(self):
        with self.assertRaises(UserError):
            self._entry(partner_name="Nothing to reach").action_create()
        with self.assertRaises(UserError):
            self._entry(email="x@card.example").action_create()
        with self.assertRaises(ValidationError):
            self._entry(contact_name="Again", email="buyer@known.example").action_create()

    def test_offer_right_away_enters_customer(self):
        action = self._entry(
            partner_name="Ready Buyer a.s.",
            contact_name="Rita",
            email="rita@ready.example",
            as_customer=True,
        ).action_create()
        person = self.env["res.partner"].browse(action["res_id"])
        self.assertEqual((person.name, person.parent_id.name), ("Rita", "Ready Buyer a.s."))
