import json

from markupsafe import Markup, escape

from odoo.http import request
from odoo.tools import email_normalize

from odoo.addons.lead_pipeline.models.internal import intake_channel, scoped, scoped_value
from odoo.addons.website_crm.controllers.website_form import WebsiteForm

#: what the contact form answers for every accepted request: the same
#: whatever the database holds (a record id would tell a visitor that an
#: address is a customer's, and how many leads there are)
PUBLIC_ANSWER = {"id": True}


class LeadPipelineWebsiteForm(WebsiteForm):
    """Odoo's website contact form is one more intake channel: the policy may
    attach the request to an existing lead or customer instead of creating a
    lead (flag and reject happen in crm.lead.create, as for every channel).
    Its answer never names nor numbers an existing record."""

    def _handle_website_form(self, model_name, **kwargs):
        if model_name != "crm.lead":
            return super()._handle_website_form(model_name, **kwargs)
        # what insert_record decided, for insert_attachment in the same post
        with scoped(
            lead_pipeline_website_attached=set(),
            lead_pipeline_website_files=bool(request.httprequest.files),
        ):
            answer = super()._handle_website_form(model_name, **kwargs)
        try:
            result = json.loads(answer)
        except (TypeError, ValueError):
            return answer
        if isinstance(result, dict) and "id" in result:
            # the thank-you page reads the last record from the session
            request.session.pop("form_builder_id", None)
            request.session.pop("form_builder_model_model", None)
            return json.dumps(PUBLIC_ANSWER)
        return answer

    def insert_record(self, request, model, values, custom, meta=None):
        with intake_channel("website_form"):
            if model.sudo().model == "crm.lead":
                # the company website_crm gives the lead, known before matching:
                # a request is matched within its website's company only
                values.setdefault("company_id", request.website.company_id.id)
                handled, record_id = self._lead_pipeline_intake_request(request, values, custom)
                if handled:
                    return record_id
            # a lead: website_crm links it to the logged-in customer as natively
            return super().insert_record(request, model, values, custom, meta=meta)

    def _lead_pipeline_intake_request(self, request, values, custom):
        """(True, id) when the policy attaches the request to an existing
        record (the id of that record, never shown to the visitor), (True, 0)
        when it refuses an anonymous visitor's request (answered as any
        other), or (False, None) for a lead to create."""
        if values.get("partner_id"):
            return False, None
        Lead = request.env["crm.lead"].sudo()
        known = self._lead_pipeline_logged_partner(values)
        vals = {"type": "lead", **values, **({"partner_id": known.id} if known else {})}
        decision = Lead._lead_pipeline_intake_decisions([vals], "website_form")[0]
        if not decision or decision[1] == "batch":
            return False, None
        action, _kind, record, _reason = decision
        if action == "reject" and not known:
            # the visitor gets the answer of any accepted request: a refusal
            # would tell them the address is already known
            return True, 0
        # files never go onto an existing record: a request with files
        # becomes a new lead (flagged), which keeps them
        if action == "attach" and not scoped_value("lead_pipeline_website_files"):
            target = record.commercial_partner_id if record._name == "res.partner" else record
            self._lead_pipeline_attach(target, values, custom)
            return True, target.id
        return False, None

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
        attached = scoped_value("lead_pipeline_website_attached")
        if attached is not None:
            attached.add(target.id)

    def insert_attachment(self, model, id_record, files):
        # a request posted on an existing record leaves no file anywhere
        # (none come with it: see _lead_pipeline_intake_request)
        if id_record in (scoped_value("lead_pipeline_website_attached") or ()):
            return None
        return super().insert_attachment(model, id_record, files)
