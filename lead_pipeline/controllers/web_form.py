import html
import json
import logging
import re

from odoo import fields, http
from odoo.exceptions import UserError, ValidationError
from odoo.http import request
from odoo.tools import email_normalize

from ..models.internal import intake_channel, internal_create
from ..models.web_form import HARD_MAX_LENGTH

_logger = logging.getLogger(__name__)

#: refused before anything is parsed, whatever a form allows
ABSOLUTE_MAX_BODY = 1024 * 1024
_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>?")


def strip_html(value):
    """Plain text of a posted value: scripts and styles dropped whole, other
    tags removed, entities decoded, and whatever decoding revealed removed too."""
    text = _TAG.sub("", _SCRIPT.sub("", value))
    return _TAG.sub("", html.unescape(text))


class WebFormController(http.Controller):
    """Public web-to-lead endpoint: any site may post to it (token-based, no
    session). It validates and bounds everything, answers the same way for
    new and known senders, in the form's (or the browser's) language, and
    never answers 500 nor logs a traceback for what a visitor sent."""

    def _json(self, status, payload):
        return request.make_response(
            json.dumps(payload),
            headers=[("Content-Type", "application/json"), ("Cache-Control", "no-store")],
            status=status,
        )

    def _errors(self, status, *errors):
        return self._json(status, {"status": "error", "errors": list(errors)})

    def _env(self, form=None):
        """The environment the answer is written in: the form's language,
        else the best of the browser's among the installed ones."""
        installed = [code for code, _name in request.env["res.lang"].get_installed()]
        lang = form.lang if form and form.lang in installed else None
        if not lang:
            accepted = request.httprequest.accept_languages
            best = accepted.best_match([code.replace("_", "-") for code in installed])
            lang = best.replace("-", "_") if best else "en_US"
        return request.env(context=dict(request.env.context, lang=lang))

    def _get_form(self, token):
        if not isinstance(token, str) or len(token) > 128:
            return request.env["lead_pipeline.web.form"]
        return (
            request.env["lead_pipeline.web.form"]
            .sudo()
            .search([("token", "=", token), ("active", "=", True)], limit=1)
        )

    @http.route(
        "/lead_pipeline/form/<string:token>/ts",
        type="http",
        auth="public",
        methods=["GET"],
        cors="*",
        csrf=False,
        save_session=False,
    )
    def form_timestamp(self, token, **kwargs):
        form = self._get_form(token)
        if not form:
            return self._errors(404, self._env()._("Unknown form."))
        return self._json(200, form._timestamp())

    @http.route(
        "/lead_pipeline/form/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        cors="*",
        csrf=False,
        save_session=False,
        # Odoo parses form bodies before the controller runs: the size limit
        # has to be the request's own, refused before a byte is parsed
        max_content_length=ABSOLUTE_MAX_BODY,
    )
    def form_submit(self, token, **kwargs):
        form = request.env["lead_pipeline.web.form"]
        try:
            with request.env.cr.savepoint():
                form, refusal = self._admit(token)
            if refusal:
                return refusal
            # the post's rate-limit row stays, whatever happens to the post
            with request.env.cr.savepoint():
                return self._submit(form)
        except Exception as error:  # the endpoint never answers 500
            # one line: a visitor's garbage is no reason for a traceback
            _logger.warning(
                "lead_pipeline web form %s: refused a request (%s)",
                token[:8],
                type(error).__name__,
            )
            return self._errors(400, self._env(form)._("The request could not be processed."))

    def _admit(self, token):
        """(form, None) for a post to process, or (form, the answer) for a post
        refused on its size or the rate limits; the post is counted here."""
        httprequest = request.httprequest
        length = httprequest.content_length
        form = self._get_form(token)
        env = self._env(form)
        if length is not None and length > ABSOLUTE_MAX_BODY:
            return form, self._errors(413, env._("The request is too large."))
        if not form:
            return form, self._errors(404, env._("Unknown form."))
        if length is None or length > form.max_body_bytes:
            return form, self._errors(413, env._("The request is too large."))
        ip = httprequest.remote_addr or ""
        posts_from_ip, posts_to_form = (
            request.env["lead_pipeline.web.form.submission"].sudo()._record(form, ip)
        )
        if posts_from_ip > form.rate_limit_ip or posts_to_form > form.rate_limit_form:
            return form, self._errors(429, env._("Too many requests; please try again later."))
        return form, None

    def _submit(self, form):
        env = self._env(form)
        form = form.with_env(form.env(context=dict(form.env.context, lang=env.lang)))
        data = self._read_payload(request.httprequest)
        if data is None:
            _logger.warning("lead_pipeline web form %s: refused a malformed body", form.id)
            return self._errors(400, env._("The request body is not a form or a JSON object."))
        if data.get("_hp"):
            return self._accepted(form)  # a bot filled the honeypot: say nothing
        reason = form._check_timestamp(data.get("_ts"), data.get("_sig"))
        if reason:
            return self._errors(400, reason)
        values, errors = self._validate(env, form, data)
        if errors:
            return self._errors(400, *errors)
        if not self._verify_captcha(data):
            return self._errors(400, env._("The CAPTCHA check failed; please try again."))
        payload = json.dumps(values, sort_keys=True)
        Submission = request.env["lead_pipeline.web.form.submission"].sudo()
        if not Submission._claim(form, payload):
            return self._accepted(form)  # the same post again: a double click
        if not Submission._spend_token(form, data["_ts"]):
            return self._errors(400, env._("The form has no valid timestamp; reload the page."))
        self._create_lead(form, values)
        return self._accepted(form)

    def _read_payload(self, httprequest):
        """A flat dict of strings (and the consent flag), or None."""
        if httprequest.mimetype == "application/json":
            try:
                data = json.loads(httprequest.get_data(cache=False, as_text=True) or "null")
            except (ValueError, RecursionError):
                return None  # not JSON, or nested deeper than the parser goes
            if not isinstance(data, dict):
                return None
            return data
        if httprequest.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if httprequest.files:
                return None
            return {key: values[-1] for key, values in httprequest.form.lists()}
        return None

    def _validate(self, env, form, data):
        errors = []
        values = {}
        allowed = {field.name: field for field in form.field_ids}
        max_length = form.max_length
        for name, value in data.items():
            if not isinstance(name, str) or name.startswith("_") or name == "consent":
                continue
            if name not in allowed:
                continue  # fields the form does not take are ignored
            if value is None:
                continue
            if not isinstance(value, str):
                errors.append(env._("%(field)s: a text value is expected.", field=name))
                continue
            if len(value) > min(max_length, HARD_MAX_LENGTH) * 4:
                errors.append(
                    env._("%(field)s: longer than %(max)s characters.", field=name, max=max_length)
                )
                continue
            text = strip_html(value) if ("<" in value or "&" in value) else value
            text = text.strip()
            if len(text) > max_length:
                errors.append(
                    env._("%(field)s: longer than %(max)s characters.", field=name, max=max_length)
                )
                continue
            if text:
                values[name] = text
        for field in form.required_field_ids:
            if not values.get(field.name):
                errors.append(env._("%(field)s: required.", field=field.name))
        email = values.get("email_from")
        if email and not email_normalize(email, strict=True):
            errors.append(env._("email_from: not a valid e-mail address."))
        consent = data.get("consent")
        if form.consent_required and consent not in (True, "1", "on", "true", "yes"):
            errors.append(env._("consent: required."))
        if not values and not errors:
            errors.append(env._("The form was sent empty."))
        return values, errors

    def _verify_captcha(self, data):
        """Odoo's reCAPTCHA (and the Turnstile module, which extends the same
        method) when one is installed and configured: True for a human. The
        check answers False for a bot and raises for a missing or broken
        token; both refuse. A JSON post carries its token in the body."""
        ir_http = request.env["ir.http"]
        if not hasattr(ir_http, "_verify_request_recaptcha_token"):
            return True
        params = request.params if isinstance(request.params, dict) else {}
        for key in ("recaptcha_token_response", "turnstile_captcha"):
            if isinstance(data.get(key), str) and key not in params:
                params[key] = data[key]
        try:
            return bool(ir_http._verify_request_recaptcha_token("lead_pipeline_form"))
        except (UserError, ValidationError):
            return False

    def _create_lead(self, form, values):
        Lead = request.env["crm.lead"].sudo().with_context(default_type="lead")
        # what the form accepts never includes what the addon keeps itself
        bookkeeping = {
            *Lead._lead_pipeline_bookkeeping_fields(),
            *Lead._match_client_refused_fields(),
            "lead_status_category",
        }
        vals = {
            **{fname: value for fname, value in values.items() if fname not in bookkeeping},
            "type": "lead",
            "name": values.get("name")
            or values.get("partner_name")
            or values.get("contact_name")
            or values.get("email_from"),
            "lead_type_id": form.lead_type_id.id,
            "team_id": form.team_id.id,
            "source_id": form.source_id.id,
            "medium_id": form.medium_id.id,
            "campaign_id": form.campaign_id.id,
            "lead_web_form_id": form.id,
            # intake matches within this company only: a public door never
            # reaches another company's customers
            "company_id": form.company_id.id or request.env.company.id,
            "user_id": False,
        }
        if form.lang:
            vals["lang_id"] = request.env["res.lang"]._get_data(code=form.lang).id
        if form.consent_required:
            vals.update(
                lead_consent_text=form.consent_text, lead_consent_date=fields.Datetime.now()
            )
        with intake_channel("web_form"):
            return self._create_or_attach(form, Lead, vals)

    def _create_or_attach(self, form, Lead, vals):
        target = Lead._lead_pipeline_attach_target([vals], "web_form")[0]
        if target:
            target.message_post(
                body=request.env._(
                    "Request through web form %(form)s: %(request)s",
                    form=form.name,
                    request=vals.get("description") or vals["name"],
                ),
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            )
            target._lead_pipeline_schedule_owner_activity(
                request.env._("New request through web form %(form)s", form=form.name)
            )
            return target
        try:
            lead = internal_create(Lead, [vals], bookkeeping=True)
        except (UserError, ValidationError):
            return None  # refused by the intake policy: the sender learns nothing
        self._auto_reply(form, lead)
        return lead

    def _auto_reply(self, form, lead):
        """At most one auto-reply a day to an address, counted in the
        database (any worker, any form)."""
        email = email_normalize(lead.email_from)
        if not form.auto_reply_template_id or not email:
            return
        if request.env["lead_pipeline.web.form.submission"].sudo()._claim_auto_reply(form, email):
            form.auto_reply_template_id.sudo().send_mail(lead.id, force_send=False)

    def _accepted(self, form):
        if form.redirect_url and request.httprequest.mimetype != "application/json":
            return request.redirect(form.redirect_url, local=False)
        return self._json(200, {"status": "ok"})
