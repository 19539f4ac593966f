"""Contact persons of a lead, mirrored with its contact fields, and replies
to the lead's own addresses without creating a partner."""

from odoo import api, fields, models

from .internal import internal_create, internal_write, scoped_value
from .lead_contact import MIRRORED_FIELDS

LEAD_MIRRORED_FIELDS = {lead: contact for contact, lead in MIRRORED_FIELDS.items()}


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    lead_contact_ids = fields.One2many(
        "lead_pipeline.lead.contact", "lead_id", string="Contact Persons"
    )
    lead_contact_count = fields.Integer(
        compute="_compute_lead_contact_count", store=True, string="Contact Persons Count"
    )

    @api.depends("lead_contact_ids")
    def _compute_lead_contact_count(self):
        for lead in self:
            lead.lead_contact_count = len(lead.lead_contact_ids)

    def _lead_contact_values(self):
        """Values of the primary contact as the lead shows them; none when
        the lead names no person, or is already linked to a customer (that
        customer is its contact)."""
        self.ensure_one()
        name = self.contact_name
        if not name or self.partner_id:
            return {}
        values = {
            contact_field: self[lead_field] or False
            for lead_field, contact_field in LEAD_MIRRORED_FIELDS.items()
        }
        values["name"] = name
        values["lang"] = self.lang_id.code or False
        return values

    def _lead_contact_create_from_lead(self, leads):
        """Business-card rule at creation: a company only gives a lead, a
        company and a person a lead with that person as contact, a person
        only a lead for that person, with the person as contact."""
        vals_list = []
        for lead in leads:
            if lead.type != "lead":
                continue
            values = lead._lead_contact_values()
            if values:
                vals_list.append({**values, "lead_id": lead.id, "primary": True})
        if vals_list:
            internal_create(
                self.env["lead_pipeline.lead.contact"].sudo(), vals_list, mirroring=True
            )

    def _lead_contact_sync_from_lead(self):
        leads = self.filtered(lambda lead: lead.type == "lead")
        if not leads:
            return
        Contact = self.env["lead_pipeline.lead.contact"].sudo()
        primaries = {
            contact.lead_id.id: contact
            for contact in Contact.search([("lead_id", "in", leads.ids), ("primary", "=", True)])
        }
        missing = self.browse()
        for lead in leads:
            contact = primaries.get(lead.id)
            if not contact:
                missing |= lead
                continue
            values = {
                contact_field: lead[lead_field] or False
                for lead_field, contact_field in LEAD_MIRRORED_FIELDS.items()
                if contact[contact_field] != (lead[lead_field] or False)
            }
            if values.get("name") is False:
                values.pop("name")  # a contact keeps its name
            if values:
                internal_write(contact, values, mirroring=True)
        if missing:
            self._lead_contact_create_from_lead(missing)

    def _lead_pipeline_own_emails(self):
        """Normalized addresses of the lead and its contact persons."""
        self.ensure_one()
        emails = {self.email_normalized} | set(self.lead_contact_ids.mapped("email_normalized"))
        return {email for email in emails if email}

    def _message_post_after_hook(self, message, msg_vals):
        # set by the mail controller for this very lead, after keeping only the
        # lead's own addresses; never for an internal note
        direct = scoped_value("lead_pipeline_email_to")
        email_to = direct and direct[0] == (self._name, self.id) and direct[1]
        if email_to and self.type == "lead" and not message.is_internal:
            # crm's hook would link a partner created from the recipient; the
            # lead has none, so the message goes out to the addresses as such
            self.env["mail.mail"].sudo().create(
                self._prepare_lead_direct_mail_values(message, email_to)
            )
        return super()._message_post_after_hook(message, msg_vals)

    def _prepare_lead_direct_mail_values(self, message, email_to):
        self.ensure_one()
        return {
            "mail_message_id": message.id,
            "email_to": ",".join(email_to),
            "body_html": message.body,
            "auto_delete": True,
            "model": self._name,
            "res_id": self.id,
        }
