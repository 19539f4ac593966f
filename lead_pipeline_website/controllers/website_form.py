from markupsafe import Markup, escape

from odoo.http import request
from odoo.tools import email_normalize

from odoo.addons.lead_pipeline.models.internal import intake_channel, scoped, scoped_value
from odoo.addons.website_crm.controllers.website_form import WebsiteForm


class LeadPipelineWebsiteForm(WebsiteForm):
    """Odoo's website contact form is one more intake channel: the policy may
    attach the request to an existing lead or customer instead of creating a
    lead (flag and reject happen in crm.lead.create, as for every channel)."""

    def _handle_website_form(self, model_name, **kwargs):
        # what insert_record decided, for insert_attachment in the same post
        with scoped(lead_pipeline_website_attached={}):
            return super()._handle_website_form(model_name, **kwargs)

    def insert_record(self, request, model, values, custom, meta=None):
        with intake_channel("website_form"):
            attached_id = self._lead_pipeline_attach_request(request, model, values, custom)
            if attached_id:
                return attached_id
            # a lead: website_crm links it to the logged-in customer as natively
            return super().insert_record(request, model, values, custom, meta=meta)

    def _lead_pipeline_attach_request(self, request, model, values, custom):
        """The id of the existing record the policy attaches the request to
        (posted there), or None for a lead to create."""
        if model.sudo().model == "crm.lead" and not values.get("partner_id"):
            Lead = request.env["crm.lead"].sudo()
            known = self._lead_pipeline_logged_partner(values)
            target = Lead._lead_pipeline_attach_target(
                [{"type": "lead", **values, **({"partner_id": known.id} if known else {})}],
                "website_form",
            )[0]
            if target:
                self._lead_pipeline_attach(target, values, custom)
                return target.id
        return None

    def _lead_pipeline_logged_partner(self, values):
        """The logged-in visitor's partner when the form carries their own
        e-mail address: the customer website_crm links the lead to, whom the
        policy judges the request for (see crm.lead in this module)."""
        user = request.env.user
        email = email_normalize(values.get("email_from"))
        if not email or user._is_public() or user.partner_id.email_normalized != email:
            return request.env["res.partner"]
        return user.partner_id.sudo()

    def _lead_pipeline_attach(self, target, values, custom):
        lines = [
            Markup("<b>%s</b>") % escape(values.get("name") or ""),
            escape(values.get("description") or ""),
            escape(custom or ""),
        ]
        target.message_post(
            body=Markup("<br/>").join(line for line in lines if line),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        target._lead_pipeline_schedule_owner_activity(
            request.env._("New request through the website contact form")
        )
        # files uploaded with the form go to the record the request went to
        attached = scoped_value("lead_pipeline_website_attached")
        if attached is not None:
            attached[target.id] = target._name

    def insert_attachment(self, model, id_record, files):
        attached = scoped_value("lead_pipeline_website_attached") or {}
        if id_record in attached and model.sudo().model == "crm.lead":
            model = request.env["ir.model"].sudo()._get(attached[id_record])
        return super().insert_attachment(model, id_record, files)
