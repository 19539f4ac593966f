"""Conversion carries the lead's whole history to its customer's card: notes,
e-mails, done activities and attachments, oldest first, authors and dates
kept, nothing sent; and the custom fields that fit."""

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .test_conversion import ConversionCase


class HistoryCase(ConversionCase):
    def _with_history(self, lead, author):
        """A note, a received e-mail, a done activity and two attachments
        (one on the e-mail, one on the lead alone), at known dates."""
        Attachment = self.env["ir.attachment"]
        with freeze_time("2026-03-02 09:00:00"):
            lead.with_user(author).message_post(
                body="Called: wants a demo", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        with freeze_time("2026-03-03 10:30:00"):
            brochure = Attachment.create(
                {
                    "name": "needs.pdf",
                    "raw": b"%PDF needs",
                    "res_model": "crm.lead",
                    "res_id": lead.id,
                }
            )
            lead.message_post(
                body="Here are our needs",
                message_type="email",
                author_id=self.customer_author.id,
                email_from=self.customer_author.email_formatted,
                attachment_ids=brochure.ids,
            )
        with freeze_time("2026-03-04 14:00:00"):
            activity = lead.activity_schedule(
                "mail.mail_activity_data_call", summary="Demo call", user_id=author.id
            )
            activity.with_user(author).action_feedback(feedback="Demo went well")
        with freeze_time("2026-03-05 08:00:00"):
            loose = Attachment.create(
                {
                    "name": "price.txt",
                    "raw": b"price list",
                    "res_model": "crm.lead",
                    "res_id": lead.id,
                }
            )
        return brochure, loose

    def _qualified_person(self, count=1, **values):
        leads = self._qualified(count, **values)
        leads.partner_name = False
        return leads

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer_author = cls.env["res.partner"].create(
            {"name": "Mail Sender", "email": "sender@elsewhere.example"}
        )

    def _history(self, record):
        """The record's copied history, oldest first."""
        return (
            self.env["mail.message"]
            .search(
                [
                    ("model", "=", record._name),
                    ("res_id", "=", record.id),
                    "|",
                    ("message_type", "in", ("comment", "email")),
                    ("mail_activity_type_id", "!=", False),
                ]
            )
            .sorted("id")
        )


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionHistory(HistoryCase):
    def test_customer_chatter_gets_each_message_with_author_date_and_attachment(self):
        lead = self._qualified()
        brochure, loose = self._with_history(lead, self.user_salesman)
        lead_messages = self._history(lead)
        self.assertEqual(len(lead_messages), 3)
        self._wizard(lead, user=self.user_salesman).action_convert()
        company = lead.partner_id.commercial_partner_id
        copies = self._history(company)
        self.assertEqual(
            [(str(m.body), m.author_id, str(m.date)) for m in copies],
            [
                ("<p>Called: wants a demo</p>", self.user_salesman.partner_id, "2026-03-02 09:00:00"),
                ("<p>Here are our needs</p>", self.customer_author, "2026-03-03 10:30:00"),
                (str(lead_messages[2].body), self.user_salesman.partner_id, "2026-03-04 14:00:00"),
            ],
        )  # fmt: skip
        self.assertIn("Demo went well", str(copies[2].body))
        self.assertEqual(
            copies[2].mail_activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual([m.message_type for m in copies], ["comment", "email", "notification"])
        self.assertEqual(copies[0].subtype_id, self.env.ref("mail.mt_note"), "a note stays a note")
        # the e-mail's attachment: a copy on the customer, same stored file
        copied = copies[1].attachment_ids
        self.assertEqual(len(copied), 1)
        self.assertNotEqual(copied, brochure)
        self.assertEqual((copied.res_model, copied.res_id), ("res.partner", company.id))
        self.assertEqual((copied.name, copied.raw), ("needs.pdf", b"%PDF needs"))
        self.assertEqual(
            (copied.store_fname, copied.checksum), (brochure.store_fname, brochure.checksum)
        )
        on_company = self.env["ir.attachment"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", company.id)]
        )
        self.assertEqual(sorted(on_company.mapped("name")), ["needs.pdf", "price.txt"])
        # the lead keeps its own
        self.assertEqual(self._history(lead), lead_messages)
        self.assertEqual((brochure.res_model, brochure.res_id), ("crm.lead", lead.id))
        self.assertEqual(lead_messages[1].attachment_ids, brochure)
        self.assertEqual(loose.raw, b"price list")
        # a reply to the lead's e-mail still goes to the lead
        self.assertNotIn(lead_messages[1].message_id, copies.mapped("message_id"))
        self.assertEqual(len(set(copies.mapped("message_id"))), 3)

    def test_person_customer_gets_the_history(self):
        lead = self._qualified_person()
        self._with_history(lead, self.user_salesman)
        self._wizard(lead).action_convert()
        person = lead.partner_id
        self.assertFalse(person.is_company)
        self.assertEqual(self._history(person).mapped("date"), self._history(lead).mapped("date"))

    def test_nothing_is_sent_while_history_is_copied(self):
        lead = self._qualified()
        self._with_history(lead, self.user_salesman)
        lead.message_subscribe(partner_ids=self.user_manager.partner_id.ids)
        mails = self.env["mail.mail"].sudo().search_count([])
        notifications = self.env["mail.notification"].sudo().search_count([])
        self._wizard(lead, user=self.user_salesman).action_convert()
        company = lead.partner_id.commercial_partner_id
        copies = self._history(company)
        self.assertEqual(self.env["mail.mail"].sudo().search_count([]), mails)
        self.assertEqual(self.env["mail.notification"].sudo().search_count([]), notifications)
        self.assertFalse(copies.notification_ids)
        self.assertFalse(copies.partner_ids)
        self.assertNotIn(self.user_manager.partner_id, company.message_partner_ids)

    def test_tracking_and_system_messages_stay_on_the_lead(self):
        lead = self._qualified()
        tracked = self._history(lead).browse(
            lead.message_ids.filtered(lambda m: m.message_type == "notification").ids
        )
        self.assertTrue(tracked, "status changes are tracked on the lead")
        lead.message_post(body="Keep this one", message_type="comment")
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertFalse(
            company.message_ids.filtered(lambda m: m.body in tracked.mapped("body") and m.body)
        )
        self.assertEqual([str(m.body) for m in self._history(company)], ["<p>Keep this one</p>"])

    def test_opportunity_conversion_copies_history_too(self):
        lead = self._qualified()
        self._with_history(lead, self.user_salesman)
        self._wizard(lead, create_opportunity=True).action_convert()
        self.assertEqual(lead.type, "opportunity")
        company = lead.partner_id.commercial_partner_id
        self.assertEqual(len(self._history(company)), 3)
        self.assertEqual(len(self._history(lead)), 3)

    def test_two_leads_of_one_company_give_both_histories_in_date_order(self):
        first, second = self._qualified(2)
        with freeze_time("2026-01-01 10:00:00"):
            second.message_post(
                body="second lead, earlier", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        with freeze_time("2026-01-02 10:00:00"):
            first.message_post(
                body="first lead, later", message_type="comment", subtype_xmlid="mail.mt_note"
            )
        self._wizard(first | second).action_convert()
        company = first.partner_id.commercial_partner_id
        self.assertEqual(second.partner_id.commercial_partner_id, company)
        self.assertEqual(
            [str(m.body) for m in self._history(company)],
            ["<p>second lead, earlier</p>", "<p>first lead, later</p>"],
        )

    def test_undo_deletes_copies_with_the_customer_and_keeps_the_lead_file(self):
        lead = self._qualified()
        brochure, _loose = self._with_history(lead, self.user_salesman)
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        copies = self._history(company)
        copied_attachments = self.env["ir.attachment"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", company.id)]
        )
        self.assertEqual(copies.lead_pipeline_origin_lead_id, lead, "the conversion's own")
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertFalse(company.exists(), "the copies are no reason to keep the customer")
        self.assertFalse(copies.exists())
        self.assertFalse(copied_attachments.exists())
        self.assertEqual(brochure.raw, b"%PDF needs")
        self.assertEqual(len(self._history(lead)), 3)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionHistoryBatch(HistoryCase):
    def _batch(self, count, prefix):
        leads = self._qualified_person(count, prefix=prefix)
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": f"{prefix}{lead.id}.txt",
                    "raw": b"x",
                    "res_model": "crm.lead",
                    "res_id": lead.id,
                }
                for lead in leads
            ]
        )
        note = self.env.ref("mail.mt_note").id
        self.env["mail.message"].create(
            [
                {
                    "model": "crm.lead",
                    "res_id": lead.id,
                    "body": f"note {lead.id}",
                    "message_type": "comment",
                    "subtype_id": note,
                    "attachment_ids": [(6, 0, attachment.ids)],
                }
                for lead, attachment in zip(leads, attachments, strict=True)
            ]
        )
        self.env.flush_all()
        return leads

    def _queries(self, leads):
        self.env.flush_all()
        self.env.invalidate_all()
        cr = self.env.cr
        before = cr.sql_log_count
        leads._lead_pipeline_convert()
        self.env.flush_all()
        return cr.sql_log_count - before

    def test_queries_do_not_grow_with_the_batch(self):
        self._queries(self._batch(2, "warm"))  # Odoo's caches of models and ids
        small = self._queries(self._batch(20, "small"))
        large_leads = self._batch(200, "large")
        large = self._queries(large_leads)
        # a lead-by-lead step would add 180 queries or more; Odoo itself
        # inserts and updates rows by chunks of a hundred
        self.assertLessEqual(large, small + 10, f"20 leads: {small} queries, 200 leads: {large}")
        # and every lead's history made it
        copies = self.env["mail.message"].search_count(
            [("model", "=", "res.partner"), ("res_id", "in", large_leads.partner_id.ids),
             ("body", "=like", "<p>note %")]
        )  # fmt: skip
        self.assertEqual(copies, 200)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "in", large_leads.partner_id.ids)]
            ),
            200,
        )

    def test_batch_of_500_carries_every_history(self):
        leads = self._batch(500, "big")
        self._wizard(leads).action_convert()
        partners = leads.partner_id
        self.assertEqual(len(partners), 500)
        rows = self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("body", "=like", "<p>note %"),
            ]
        )
        self.assertEqual(len(rows), 500)
        for message in rows[:50]:
            partner = partners.browse(message.res_id)
            self.assertEqual(
                str(message.body), f"<p>note {partner.lead_pipeline_origin_lead_id.id}</p>"
            )
            self.assertEqual(message.attachment_ids.res_id, partner.id)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionHistoryAccess(HistoryCase):
    def test_salesperson_converts_own_lead_with_others_notes(self):
        lead = self._qualified()
        self._with_history(lead, self.user_manager)
        self._wizard(lead, user=self.user_salesman).action_convert()
        company = lead.partner_id.commercial_partner_id
        copies = self._history(company.with_user(self.user_salesman))
        self.assertEqual(copies[0].author_id, self.user_manager.partner_id)
        self.assertEqual(len(copies.with_user(self.user_salesman).attachment_ids), 1)

    def test_all_leads_user_converts_a_colleagues_lead(self):
        lead = self._qualified()
        self._with_history(lead, self.user_salesman)
        self._wizard(lead, user=self.user_all_leads).action_convert()
        self.assertEqual(len(self._history(lead.partner_id.commercial_partner_id)), 3)

    def test_salesperson_cannot_carry_a_colleagues_lead_history(self):
        lead = self._qualified(user_id=self.user_salesman_2.id)
        self._with_history(lead, self.user_salesman_2)
        before = self.env["mail.message"].search_count([("model", "=", "res.partner")])
        with self.assertRaises(AccessError):
            self._wizard(lead, user=self.user_salesman).action_convert()
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "res.partner")]), before
        )
        # its own salesperson may
        self._wizard(lead, user=self.user_salesman_2).action_convert()
        self.assertEqual(len(self._history(lead.partner_id.commercial_partner_id)), 3)

    def test_employee_without_sales_rights_cannot_convert(self):
        lead = self._qualified()
        self._with_history(lead, self.user_salesman)
        with self.assertRaises(AccessError):
            lead.with_user(self.user_employee)._lead_pipeline_convert()
        self.assertFalse(lead.lead_converted_date)
        lead.with_user(self.user_manager)._lead_pipeline_convert()
        self.assertEqual(len(self._history(lead.partner_id.commercial_partner_id)), 3)

    def test_bad_lines_refused_and_nothing_copied(self):
        lead = self._qualified()
        self._with_history(lead, self.user_salesman)
        before = self.env["mail.message"].search_count([("model", "=", "res.partner")])
        with self.assertRaises(ValidationError):
            lead._lead_pipeline_convert(
                lines=[{"lead_id": lead.id, "company_action": "link", "partner_id": False}],
                contact_lines=[],
            )
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "res.partner")]), before
        )
        lead._lead_pipeline_convert()  # the proposal, as it stands
        self.assertEqual(len(self._history(lead.partner_id.commercial_partner_id)), 3)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionCustomFields(HistoryCase):
    def test_type_maps_a_lead_field_to_a_partner_field_of_another_name(self):
        self.lead_type.field_map_ids = [
            (0, 0, {"lead_field": "function", "partner_field": "comment"}),
            (0, 0, {"lead_field": "referred", "partner_field": "ref"}),
        ]  # fmt: skip
        lead = self._qualified(function="Fleet manager", referred="REF-77")
        self._wizard(lead).action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertEqual(company.ref, "REF-77")
        self.assertIn("Fleet manager", str(company.comment))

    def test_mapping_refused_at_save_when_types_do_not_fit(self):
        Map = self.env["lead_pipeline.lead.type.field.map"].with_user(self.user_manager)
        cases = [
            ("description", "ref"),  # html into char
            ("country_id", "state_id"),  # another model
            ("expected_revenue", "ref"),
            ("priority", "type"),  # other selection keys
        ]
        for lead_field, partner_field in cases:
            with self.subTest(lead_field=lead_field), self.assertRaises(ValidationError):
                Map.create(
                    {
                        "type_id": self.lead_type.id,
                        "lead_field": lead_field,
                        "partner_field": partner_field,
                    }
                )
        with self.assertRaises(AccessError):
            self.env["lead_pipeline.lead.type.field.map"].with_user(self.user_salesman).create(
                {
                    "type_id": self.lead_type.id,
                    "lead_field": "function",
                    "partner_field": "comment",
                }
            )


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionCustomFieldsTravel(HistoryCase):
    """Alone in its class: the fields it adds leave the registry when the
    class ends."""

    def _custom_field(self, model, name, ttype, **values):
        return self.env["ir.model.fields"].create(
            {
                "model_id": self.env["ir.model"]._get_id(model),
                "name": name,
                "field_description": name,
                "ttype": ttype,
                "state": "manual",
                **values,
            }
        )

    def test_same_named_custom_fields_travel_when_types_fit(self):
        for model in ("crm.lead", "res.partner"):
            self._custom_field(model, "x_fleet_size", "integer")
        self._custom_field("crm.lead", "x_depot", "char")
        self._custom_field("res.partner", "x_depot", "integer")
        self._custom_field("crm.lead", "x_note", "char")
        self._custom_field("res.partner", "x_note", "text")
        lead = self._qualified(x_fleet_size=40, x_depot="Zilina", x_note="bring coffee")
        person = self._qualified_person(prefix="solo", x_fleet_size=3)
        self._wizard(lead | person).action_convert()
        company = lead.partner_id.commercial_partner_id
        self.assertEqual(
            (company.x_fleet_size, company.x_note),
            (40, "bring coffee"),
        )
        self.assertFalse(company.x_depot, "a name does not fit a number")
        self.assertEqual(person.partner_id.x_fleet_size, 3, "a person customer too")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionHistoryUndoLinked(HistoryCase):
    def test_undo_takes_the_copies_off_a_linked_customer_that_stays(self):
        existing = self.Partner.create(
            {"name": "Tatra Logistics s.r.o.", "is_company": True, "email": "info@tatra.example"}
        )
        existing.message_post(body="Their own story", message_type="comment")
        lead = self._qualified()
        brochure, loose = self._with_history(lead, self.user_salesman)
        wizard = self._wizard(lead)
        self.assertEqual(wizard.line_ids.partner_id, existing)
        wizard.action_convert()
        self.assertEqual(len(self._history(existing)), 4)
        self.assertEqual(
            self.env["ir.attachment"].search_count(
                [("res_model", "=", "res.partner"), ("res_id", "=", existing.id)]
            ),
            2,
        )
        lead.with_user(self.user_manager).action_lead_pipeline_undo_conversion()
        self.assertTrue(existing.exists())
        self.assertEqual([str(m.body) for m in self._history(existing)], ["<p>Their own story</p>"])
        self.assertFalse(
            self.env["ir.attachment"].search(
                [("res_model", "=", "res.partner"), ("res_id", "=", existing.id)]
            )
        )
        self.assertEqual((brochure.raw, loose.raw), (b"%PDF needs", b"price list"))
        self.assertEqual(len(self._history(lead)), 3)
