"""What a conversion may touch is decided by the converting user's rights, not
by the lines a client sends: contact persons of other leads, existing
customers the user may not change, opportunities handed to portal users."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .test_access_roles import RolesCase


@tagged("post_install", "-at_install", "lead_pipeline")
class TestConversionTrust(RolesCase):
    def _qualified(self, owner, **values):
        lead = self._lead(owner, **values)
        lead.lead_status_id = self.status_test_call
        lead.lead_qualification_ids.write({"state": "met"})
        lead.lead_status_id = self.status_test_ready
        return lead

    def test_contact_line_of_an_unreadable_lead_is_refused(self):
        victim = self._lead(self.user_salesman, contact_name="Vera Victim")
        lead = self._qualified(self.user_leads_only)
        lines = [{"lead_id": lead.id, "company_action": "create"}]
        contact_lines = [
            {"lead_id": lead.id, "lead_contact_id": victim.lead_contact_ids.id, "action": "create"}
        ]
        with self.assertRaises(AccessError):
            self._as(self.user_leads_only, lead)._lead_pipeline_convert(lines, contact_lines)
        self.assertFalse(lead.lead_converted_date)
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Vera Victim")]))

    def test_contact_line_of_another_readable_lead_is_refused(self):
        other = self._lead(self.env["res.users"], contact_name="Otto Other")
        lead = self._qualified(self.user_salesman)
        partners = self.env["res.partner"].search_count([])
        lines = [{"lead_id": lead.id, "company_action": "create"}]
        for lead_id in (lead.id, other.id):
            contact_lines = [
                {
                    "lead_id": lead_id,
                    "lead_contact_id": other.lead_contact_ids.id,
                    "action": "create",
                }
            ]
            with (
                self.subTest(lead_id=lead_id),
                self.assertRaisesRegex(ValidationError, "not a contact person"),
            ):
                self._as(self.user_salesman, lead)._lead_pipeline_convert(lines, contact_lines)
        self.assertFalse(lead.lead_converted_date)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)

    def test_customer_the_user_may_not_change_is_linked_unmarked(self):
        self.lead_type.relationship = "supplier"
        supplier_tag = self.env.ref("lead_pipeline.partner_category_supplier")
        for user, marked in ((self.user_leads_only, False), (self.user_salesman, True)):
            with self.subTest(user=user.login):
                customer = self.env["res.partner"].create(
                    {"name": f"Big Customer of {user.login}", "is_company": True}
                )
                lead = self._qualified(user)
                lines = [{"lead_id": lead.id, "company_action": "link", "partner_id": customer.id}]
                self._as(user, lead)._lead_pipeline_convert(lines, [])
                self.assertEqual(lead.partner_id.commercial_partner_id, customer)
                self.assertEqual(supplier_tag in customer.category_id, marked)
                if "supplier_rank" in customer:
                    self.assertEqual(bool(customer.supplier_rank), marked)

    def test_opportunity_never_goes_to_a_portal_user(self):
        portal = self.env["res.users"].create(
            {
                "name": "Pia Portal",
                "login": "lp_trust_portal",
                "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
            }
        )
        lead = self._qualified(self.user_leads_only)
        with self.assertRaisesRegex(ValidationError, "not an internal user"):
            self._as(self.user_leads_only, lead)._lead_pipeline_convert(
                create_opportunity=True, user=portal
            )
        self.assertEqual(lead.type, "lead")
        self.assertFalse(lead.lead_converted_date)
