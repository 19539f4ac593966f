from odoo.tests import Form, tagged

from .common import LeadPipelineCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestLeadContacts(LeadPipelineCase):
    def _partner_count(self):
        return self.env["res.partner"].with_context(active_test=False).search_count([])

    def test_company_only_gives_lead_without_contact(self):
        lead = self.Lead.create({"name": "Card", "type": "lead", "partner_name": "Acme s.r.o."})
        self.assertFalse(lead.lead_contact_ids)

    def test_company_and_person_gives_contact(self):
        lead = self.Lead.create(
            {
                "name": "Card",
                "type": "lead",
                "partner_name": "Acme s.r.o.",
                "contact_name": "Jana Nová",
                "email_from": "jana@acme.example",
                "phone": "+421 900 123 456",
                "function": "CEO",
            }
        )
        contact = lead.lead_contact_ids
        self.assertEqual(len(contact), 1)
        self.assertTrue(contact.primary)
        self.assertEqual(
            (contact.name, contact.email, contact.phone, contact.function),
            ("Jana Nová", "jana@acme.example", "+421 900 123 456", "CEO"),
        )

    def test_person_only_gives_person_as_contact(self):
        lead = self.Lead.create(
            {
                "name": "Card",
                "type": "lead",
                "contact_name": "Piotr Nowak",
                "mobile": "+48 601 000 000",
            }
        )
        self.assertFalse(lead.partner_name)
        self.assertEqual(lead.lead_contact_ids.name, "Piotr Nowak")
        self.assertEqual(lead.lead_contact_ids.mobile, "+48 601 000 000")
        self.assertEqual(lead.lead_contact_count, 1)

    def test_lead_of_known_customer_gets_no_contact_person(self):
        customer = self.env["res.partner"].create(
            {"name": "Known Person", "email": "known@example.com"}
        )
        lead = self.Lead.create({"name": "Again", "type": "lead", "partner_id": customer.id})
        self.assertEqual(lead.contact_name, "Known Person")
        self.assertFalse(lead.lead_contact_ids, "the customer is the contact")

    def test_no_partner_is_created_for_leads(self):
        before = self._partner_count()
        leads = self._create_leads(200, partner_name="Acme")
        leads[0].lead_contact_ids.create(
            {"lead_id": leads[0].id, "name": "Second", "email": "second@example.com"}
        )
        self.assertEqual(len(leads.lead_contact_ids), 201)
        self.assertFalse(leads.partner_id)
        self.assertEqual(self._partner_count(), before)

    def test_primary_contact_mirrored_to_lead(self):
        lead = self._create_leads(1)
        lead.lead_contact_ids.write({"email": "changed@example.com", "function": "CTO"})
        self.assertEqual(lead.email_from, "changed@example.com")
        self.assertEqual(lead.function, "CTO")

    def test_lead_mirrored_to_primary_contact(self):
        lead = self._create_leads(1)
        lead.write({"phone": "+48 600 000 000", "contact_name": "Renamed"})
        self.assertEqual(lead.lead_contact_ids.phone, "+48 600 000 000")
        self.assertEqual(lead.lead_contact_ids.name, "Renamed")

    def test_new_primary_contact_takes_over_lead_fields(self):
        lead = self._create_leads(1)
        first = lead.lead_contact_ids
        second = self.env["lead_pipeline.lead.contact"].create(
            {"lead_id": lead.id, "name": "Boss", "email": "boss@example.com", "primary": True}
        )
        self.assertFalse(first.primary)
        self.assertTrue(second.primary)
        self.assertEqual((lead.contact_name, lead.email_from), ("Boss", "boss@example.com"))
        second.unlink()
        self.assertTrue(first.primary, "the remaining contact becomes primary")

    def test_contacts_deleted_with_lead(self):
        lead = self._create_leads(1)
        contact = lead.lead_contact_ids
        lead.unlink()
        self.assertFalse(contact.exists())

    def test_contacts_edited_from_lead_form(self):
        with Form(self.Lead.with_context(default_type="lead")) as form:
            form.name = "Form lead"
            form.partner_name = "Acme"
            with form.lead_contact_ids.new() as line:
                line.name = "Olga"
                line.email = "olga@acme.example"
        lead = form.record
        self.assertEqual(lead.lead_contact_ids.name, "Olga")
        self.assertTrue(lead.lead_contact_ids.primary)
        self.assertEqual(lead.email_from, "olga@acme.example")
