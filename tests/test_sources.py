"""Lead sources as companies name them, seeded by looking each one up
before creating it; the door a lead comes in by gives its source (e-mail
alias: E-mail, a phone call keyed in with quick entry: Phone Call) unless
its values name another."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.lead_pipeline.models.utm_source import LEAD_SOURCES

from .common import Door, LeadPipelineCase

#: the list companies use, as the issue gives it, by xml id
COMPANY_LIST = {
    "contact form": "contact_form",
    "external database": "external_database",
    "conference or trade fair": "trade_fair",
    "direct contact": "direct_contact",
    "contact started by phone": "phone_call",
    "contact started by e-mail": "email",
    "contact started at the office": "office_visit",
    "referral": "referral",
    "campaign": "marketing_campaign",
}


@tagged("post_install", "-at_install", "lead_pipeline")
class TestSources(LeadPipelineCase):
    def _source(self, key):
        return self.env.ref(f"lead_pipeline.utm_source_{key}")

    def test_every_source_companies_use_is_seeded(self):
        for label, key in COMPANY_LIST.items():
            with self.subTest(source=label):
                self.assertEqual(self._source(key).name, LEAD_SOURCES[key])
        self.assertEqual(self._source("phone_call").name, "Phone Call")
        self.assertEqual(self._source("email").name, "E-mail")

    def test_seeding_uses_a_source_that_already_exists(self):
        """A database that already has a source of that name keeps it (the
        name is unique: a second one would be renamed "Phone Call [2]")."""
        Source = self.env["utm.source"]
        IrModelData = self.env["ir.model.data"]
        for key in ("phone_call", "email"):
            source = self._source(key)
            IrModelData.search(
                [("module", "=", "lead_pipeline"), ("name", "=", f"utm_source_{key}")]
            ).unlink()
            source.unlink()
        own_phone = Source.create({"name": "Phone Call"})
        count = Source.search_count([])
        Source._lead_pipeline_ensure_sources()
        self.assertEqual(self._source("phone_call"), own_phone)
        self.assertEqual(self._source("email").name, "E-mail")
        self.assertEqual(Source.search_count([]), count + 1, "only the e-mail source was missing")
        self.assertFalse(Source.search([("name", "like", "[")]), "nothing renamed")
        Source._lead_pipeline_ensure_sources()  # again: nothing changes
        self.assertEqual(Source.search_count([]), count + 1)

    def test_renamed_source_is_kept_not_seeded_again(self):
        Source = self.env["utm.source"]
        self._source("phone_call").name = "Telephone"
        count = Source.search_count([])
        Source._lead_pipeline_ensure_sources()
        self.assertEqual(Source.search_count([]), count)
        self.assertEqual(self._source("phone_call").name, "Telephone")
        lead = Door(self.Lead, "phone").create(
            [{"name": "Renamed", "type": "lead", "email_from": "renamed@src.example"}]
        )
        self.assertEqual(lead.source_id.name, "Telephone")

    def test_phone_and_mail_doors_give_their_source_unless_values_name_one(self):
        referral = self._source("referral")
        for channel, key in (("phone", "phone_call"), ("mail", "email")):
            with self.subTest(channel=channel):
                leads = Door(self.Lead, channel).create(
                    [
                        {"name": "Door 1", "type": "lead", "email_from": f"a.{channel}@src.example"},
                        {"name": "Door 2", "type": "lead", "email_from": f"b.{channel}@src.example",
                         "source_id": referral.id},
                    ]
                )  # fmt: skip
                self.assertEqual(leads.mapped("source_id"), self._source(key) | referral)
        # other doors and code keep what the values say, nothing when they say nothing
        for channel in ("api", None):
            with self.subTest(channel=channel):
                lead = Door(self.Lead, channel).create(
                    [{"name": "Other", "type": "lead", "email_from": f"{channel}@src.example"}]
                )
                self.assertFalse(lead.source_id)

    def test_lead_from_the_mail_alias_gets_the_email_source(self):
        alias_domain = self.env["mail.alias.domain"].create({"name": "sources.example"})
        team = self.env["crm.team"].create(
            {
                "name": "Sources",
                "use_leads": True,
                "alias_name": "offers",
                "alias_domain_id": alias_domain.id,
            }
        )
        raw = (
            "From: Nova Buyer <nova@fresh-src.example>\r\nTo: offers@sources.example\r\n"
            "Subject: Offer please\r\nMessage-ID: <offer-src-1@fresh-src.example>\r\n\r\n"
            "Ten units\r\n"
        )
        self.env["mail.thread"].message_process("crm.lead", raw)
        lead = self.Lead.search([("email_from", "ilike", "nova@fresh-src.example")])
        self.assertEqual(lead.team_id, team)
        self.assertEqual(lead.source_id, self._source("email"))

    def test_mail_alias_defaults_naming_a_source_win(self):
        referral = self._source("referral")
        lead = self.Lead.with_context(default_type="lead").message_new(
            {
                "subject": "Referred",
                "from": "ref@fresh-src.example",
                "email_from": "ref@fresh-src.example",
                "body": "<p>Sent by a friend</p>",
            },
            custom_values={"source_id": referral.id},
        )
        self.assertEqual(lead.source_id, referral)

    def test_phone_call_keyed_in_gets_the_phone_source(self):
        QuickEntry = self.env["lead_pipeline.quick.entry"].with_user(self.user_salesman)
        entry = QuickEntry.create(
            {"contact_name": "Caller", "phone": "+421 905 777 888", "entry_channel": "phone"}
        )
        self.assertEqual(entry.source_id, self._source("phone_call"))
        lead = self.Lead.browse(entry.action_create()["res_id"])
        self.assertEqual(lead.source_id, self._source("phone_call"))
        # the salesperson names another source: it stays
        entry = QuickEntry.create(
            {
                "contact_name": "Referred Caller",
                "phone": "+421 905 777 999",
                "entry_channel": "phone",
                "source_id": self._source("referral").id,
            }
        )
        lead = self.Lead.browse(entry.action_create()["res_id"])
        self.assertEqual(lead.source_id, self._source("referral"))
        # a business card keeps its own
        entry = QuickEntry.create({"contact_name": "Card", "email": "card@src.example"})
        lead = self.Lead.browse(entry.action_create()["res_id"])
        self.assertEqual(lead.source_id, self._source("business_card"))

    def test_phone_channel_has_its_own_intake_policy(self):
        customer = self.env["res.partner"].create(
            {"name": "Known Caller", "email": "caller@known-src.example"}
        )
        Phone = Door(self.Lead, "phone")
        vals = {"name": "Again", "type": "lead", "email_from": "caller@known-src.example"}
        with self.assertRaisesRegex(ValidationError, "same e-mail address"):
            Phone.create([dict(vals)])
        self.env["lead_pipeline.intake.policy"].create(
            {"channel": "phone", "scope": "customer", "action": "flag"}
        )
        lead = Phone.create([dict(vals)])
        self.assertEqual(lead.lead_duplicate_partner_id, customer)
        self.assertEqual(lead.source_id, self._source("phone_call"))
