"""Conversion in batch: the customer written on all leads at once where Odoo's
write would do nothing more, and the contacts synced with their company as
Odoo's create syncs them, without a write per contact."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .test_conversion import ConversionCase

# what a lead and its customer look like after conversion, whichever way the
# customer was written
COMPARED_LEAD_FIELDS = (
    "type",
    "contact_name",
    "partner_name",
    "email_from",
    "phone",
    "lang_id",
    "company_id",
    "lead_converted_partner_count",
)


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionBatch(ConversionCase):
    def setUp(self):
        super().setUp()
        # automation rules other tests created leave their patch of write on
        # the model: start from what the database holds (none on leads)
        self._reload_automations()

    def _reload_automations(self):
        Automation = self.env["base.automation"]
        Automation._unregister_hook()
        Automation._register_hook()

    def _convert(self, leads, user=None, **values):
        self._wizard(leads, user=user or self.user_salesman, **values).action_convert()
        self.env.invalidate_all()

    def _converted(self, leads):
        """Per lead (by contact name): its fields, its customer and company."""
        return {
            lead.contact_name: (
                tuple(lead._fields[fname].convert_to_write(lead[fname], lead) for fname in COMPARED_LEAD_FIELDS),
                lead.partner_id.name,
                lead.partner_id.email,
                lead.partner_id.parent_id.name,
                lead.partner_id.lead_pipeline_origin_lead_id == lead,
                lead.lead_status_id.category,
            )
            for lead in leads
        }  # fmt: skip

    def test_customers_written_at_once_as_write_would_write_them(self):
        """300 leads of 150 companies, each lead its own contact: converted in
        one call as the salesperson, with the customer written at once, they
        end as the same leads converted through Odoo's write lead by lead
        (an automation rule on leads takes that path, and runs)."""
        # the companies exist; the leads spell them in capitals, and the
        # customer's company name replaces it (a field computed from the
        # customer: written without recomputing, it would stay in capitals)
        self.Partner.create(
            [
                {"name": f"{prefix} Company {idx}", "is_company": True}
                for prefix in ("Batch", "Other")
                for idx in range(150)
            ]
        )
        batch = self._qualified(300)
        for idx, lead in enumerate(batch):
            lead.partner_name = f"BATCH COMPANY {idx // 2}"
        quiet = batch.with_context(tracking_disable=True)
        self.assertTrue(quiet._lead_pipeline_plain_write())
        self._convert(batch, create_opportunity=True)

        one_by_one = self._create_leads(300, prefix="other")
        one_by_one.write({"user_id": self.user_salesman.id})
        for idx, lead in enumerate(one_by_one):
            lead.partner_name = f"OTHER COMPANY {idx // 2}"
        one_by_one.write({"lead_status_id": self.status_test_call.id})
        one_by_one.write({"lead_status_id": self.status_test_ready.id})
        automation = self._priority_automation(
            "crm.field_crm_lead__partner_id", [("partner_id", "!=", False)]
        )
        self.addCleanup(automation.unlink)  # and Odoo reloads the rules
        self.assertFalse(
            quiet._lead_pipeline_plain_write(), "an automation rule on leads: through write"
        )
        self._convert(one_by_one, create_opportunity=True)

        self.assertEqual(set(one_by_one.mapped("priority")), {"3"}, "the automation ran")
        self.assertEqual(set(batch.mapped("priority")), {"0"})
        ours, theirs = self._converted(batch), self._converted(one_by_one)
        self.assertEqual(len(ours), 300)
        for name, outcome in ours.items():
            self.assertEqual(outcome, _renamed(theirs[name]), name)
        lead = batch[7]
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.partner_id.name, lead.contact_name)
        self.assertEqual(lead.partner_id.parent_id.name, "Batch Company 3")
        self.assertEqual(lead.partner_name, "Batch Company 3")
        self.assertEqual(lead.email_from, lead.partner_id.email)

    def test_customer_of_another_company_refused_with_nothing_written(self):
        """Written at once, the customers still pass Odoo's company check,
        once for the batch: a customer of another company is refused, named,
        and the savepoint the conversion runs in leaves nothing written."""
        leads = self._create_leads(3)
        mine = self.Partner.create([{"name": "Near One"}, {"name": "Near Two"}])
        stranger = self.Partner.create({"name": "Far Away Ltd", "company_id": self.company_2.id})
        quiet = leads.with_context(tracking_disable=True)
        self.assertTrue(quiet._lead_pipeline_plain_write())
        customers = {leads[0].id: mine[0].id, leads[1].id: stranger.id, leads[2].id: mine[1].id}
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            quiet._lead_pipeline_write_customers(customers, {"priority": "2"})
        self.assertIn("Far Away Ltd", str(caught.exception))
        self.env.invalidate_all()
        self.assertFalse(leads.partner_id)
        del customers[leads[1].id]
        self.assertEqual(set(leads.mapped("priority")), {"0"})
        quiet._lead_pipeline_write_customers(customers, {"priority": "2"})
        self.env.invalidate_all()
        self.assertEqual(leads.mapped("partner_id.name"), ["Near One", "Near Two"])
        self.assertFalse(leads[1].partner_id)
        self.assertEqual(leads.mapped("priority"), ["2", "0", "2"], "the values, on those leads")

    def test_contacts_synced_with_their_company_as_odoo_syncs_them(self):
        """Contacts of an existing company get what Odoo's create would sync
        onto them: its commercial fields (accounting ones included, which the
        salesperson may not set), its address, and the company-dependent
        commercial fields it has in the other company."""
        Partner = self.Partner
        self.assertIn("property_account_position_id", Partner._commercial_fields())
        fiscal_position = self.env["account.fiscal.position"].create(
            {"name": "Intra-EU B2B", "company_id": self.company_2.id}
        )
        company = Partner.create(
            {
                "name": "Tatra Logistics s.r.o.",
                "is_company": True,
                "vat": "SK2020000015",
                "street": "Hlavna 1",
                "city": "Kosice",
                "country_id": self.env.ref("base.sk").id,
                "credit_limit": 5000.0,
            }
        )
        company.with_company(self.company_2).property_account_position_id = fiscal_position
        leads = self._qualified(2, vat="SK2020000015")
        self.env["lead_pipeline.lead.contact"].create(
            {"lead_id": leads[0].id, "name": "Second Person", "email": "second@tatra.example"}
        )
        wizard = self._wizard(leads, user=self.user_salesman)
        self.assertEqual(set(wizard.line_ids.mapped("company_action")), {"link"})
        self.assertEqual(wizard.line_ids.partner_id, company)
        wizard.action_convert()
        self.env.invalidate_all()

        reference = Partner.create({"name": "Reference", "parent_id": company.id})
        contacts = company.child_ids - reference
        self.assertEqual(sorted(contacts.mapped("name")), ["Person 0", "Person 1", "Second Person"])
        fnames = Partner._commercial_fields() + Partner._address_fields()
        for contact in contacts:
            for fname in fnames:
                with self.subTest(contact=contact.name, field=fname):
                    self.assertEqual(contact[fname], reference[fname])
            other = contact.with_company(self.company_2)
            self.assertEqual(other.property_account_position_id, fiscal_position)
        self.assertEqual(contacts.mapped("vat"), ["SK2020000015"] * 3)
        self.assertEqual(contacts.mapped("city"), ["Kosice"] * 3)
        self.assertEqual(contacts.mapped("credit_limit"), [5000.0] * 3)

    def test_new_companies_contacts_synced_in_batch(self):
        """200 leads of 200 new companies with their addresses: each contact
        carries its company's address and VAT; the company's own address is
        not overwritten by its first contact's."""
        leads = self._qualified(200)
        for idx, lead in enumerate(leads):
            lead.write(
                {
                    "partner_name": f"New Company {idx}",
                    "street": f"Street {idx}",
                    "city": "Bratislava",
                    "country_id": self.env.ref("base.sk").id,
                }
            )
        self._convert(leads)
        for idx, lead in enumerate(leads):
            contact = lead.partner_id
            company = contact.parent_id
            self.assertEqual(company.name, f"New Company {idx}")
            self.assertEqual((company.street, contact.street), (f"Street {idx}",) * 2)
            self.assertEqual(contact.commercial_partner_id, company)
            self.assertEqual(contact.country_id, company.country_id)
        # the note each company gets, logged for the batch in one statement
        # as Odoo's _message_log_batch logs it
        company = leads[5].partner_id.parent_id
        note = company.message_ids.filtered(lambda message: "Converted from lead" in message.body)
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.user_salesman.partner_id)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(note.message_type, "notification")
        self.assertIn("Lead 5", note.body)
        self.assertIn("Original request:<br>", note.body)


def _renamed(value):
    """The other batch's outcome in this batch's names."""
    if isinstance(value, tuple):
        return tuple(_renamed(item) for item in value)
    if isinstance(value, str):
        return value.replace("other", "person").replace("Other Company", "Batch Company")
    return value
