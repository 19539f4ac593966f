from markupsafe import Markup, escape

from odoo.http import request

from odoo.addons.website_crm.controllers.website_form import WebsiteForm


class LeadPipelineWebsiteForm(WebsiteForm):
    """Odoo's website contact form is one more intake channel: the policy may
    attach the request to an existing lead or customer instead of creating a
    lead (flag and reject happen in crm.lead.create, as for every channel)."""

    def insert_record(self, request, model, values, custom, meta=None):
        if model.sudo().model == "crm.lead" and not values.get("partner_id"):
            Lead = request.env["crm.lead"].sudo().with_context(lead_pipeline_channel="website_form")
            target = Lead._lead_pipeline_attach_target(
                [{"type": "lead", **values}], "website_form"
            )[0]
            if target:
                self._lead_pipeline_attach(target, values, custom)
                return target.id
        return super().insert_record(request, model, values, custom, meta=meta)

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
        request.update_context(lead_pipeline_attached=(target._name, target.id))

    def insert_attachment(self, model, id_record, files):
        attached = request.env.context.get("lead_pipeline_attached")
        if attached and attached[1] == id_record and model.sudo().model == "crm.lead":
            model = request.env["ir.model"].sudo()._get(attached[0])
        return super().insert_attachment(model, id_record, files)
