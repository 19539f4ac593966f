import hashlib
import hmac
import re
import secrets
import time

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import ValidationError

#: lead fields a public form may fill: plain text, never relations or flags
SAFE_FIELDS = (
    "contact_name",
    "partner_name",
    "email_from",
    "phone",
    "mobile",
    "function",
    "website",
    "street",
    "city",
    "zip",
    "vat",
    "name",
    "description",
)
#: what a new form accepts until its manager says otherwise
DEFAULT_FIELDS = ("name", "contact_name", "partner_name", "email_from", "phone", "description")
HARD_MAX_LENGTH = 10000
DEDUPE_WINDOW_SECONDS = 60
#: a form token is good for one post, this long after the page fetched it
TOKEN_MAX_AGE = 86400
_TOKEN = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{16,64})$")


def _default_fields(env, names):
    return env["ir.model.fields"].sudo().search([("model", "=", "crm.lead"), ("name", "in", names)])


class WebForm(models.Model):
    """A public web-to-lead form any website can post to, identified by a
    secret token: bounded input, bots kept out (honeypot, signed minimum fill
    time, CAPTCHA when configured), rate limits kept in PostgreSQL."""

    _name = "lead_pipeline.web.form"
    _description = "Web-to-Lead Form"
    _inherit = ["mail.thread"]

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    token = fields.Char(
        default=lambda self: secrets.token_urlsafe(24),
        required=True,
        copy=False,
        readonly=True,
        groups="sales_team.group_sale_manager",
    )
    lead_type_id = fields.Many2one("lead_pipeline.lead.type", required=True)
    team_id = fields.Many2one("crm.team", string="Sales Team")
    source_id = fields.Many2one("utm.source")
    medium_id = fields.Many2one("utm.medium")
    campaign_id = fields.Many2one("utm.campaign")
    field_ids = fields.Many2many(
        "ir.model.fields",
        "lead_pipeline_web_form_field_rel",
        "form_id",
        "field_id",
        string="Allowed Fields",
        domain=[("model", "=", "crm.lead"), ("name", "in", SAFE_FIELDS)],
        default=lambda self: _default_fields(self.env, DEFAULT_FIELDS),
    )
    required_field_ids = fields.Many2many(
        "ir.model.fields",
        "lead_pipeline_web_form_required_rel",
        "form_id",
        "field_id",
        string="Required Fields",
        domain=[("model", "=", "crm.lead"), ("name", "in", SAFE_FIELDS)],
        default=lambda self: _default_fields(self.env, ("email_from",)),
    )
    max_length = fields.Integer(
        "Maximum Field Length", default=500, help="Longest value accepted in any field."
    )
    max_body_bytes = fields.Integer("Maximum Request Size (bytes)", default=16384)
    min_fill_seconds = fields.Integer(
        "Minimum Fill Time (s)",
        default=3,
        help="Posts sent sooner after the page loaded are refused: people take time to type.",
    )
    rate_limit_ip = fields.Integer("Posts per Address per Hour", default=20)
    rate_limit_form = fields.Integer("Posts per Form per Hour", default=1000)
    consent_required = fields.Boolean()
    consent_text = fields.Text(
        translate=True, default="I agree that my data is used to answer my request."
    )
    redirect_url = fields.Char(help="Where a browser posting the form goes afterwards.")
    lang = fields.Selection(
        "_lang_get",
        string="Language",
        help="Language of the answers to posts (error messages, auto-reply). "
        "Empty: the visitor's browser language, among the installed ones.",
    )
    auto_reply_template_id = fields.Many2one(
        "mail.template",
        domain=[("model", "=", "crm.lead")],
        string="Auto-reply",
        default=lambda self: self.env.ref(
            "lead_pipeline.mail_template_web_form_auto_reply", raise_if_not_found=False
        ),
        help="Sent at most once a day to an address, whatever the form, and never when "
        "the CAPTCHA fails. Do not repeat what the visitor typed: anyone can post "
        "anybody's address.",
    )
    snippet = fields.Text(compute="_compute_snippet", groups="sales_team.group_sale_manager")
    lead_count = fields.Integer(compute="_compute_lead_count")

    _sql_constraints = [("token_uniq", "unique(token)", "Form tokens must be unique.")]

    @api.constrains("max_length", "max_body_bytes", "min_fill_seconds", "rate_limit_ip")
    def _check_bounds(self):
        for form in self:
            if not 1 <= form.max_length <= HARD_MAX_LENGTH:
                raise ValidationError(
                    self.env._(
                        "The maximum field length must be between 1 and %s.", HARD_MAX_LENGTH
                    )
                )
            if not 256 <= form.max_body_bytes <= 1024 * 1024:
                raise ValidationError(
                    self.env._("The maximum request size must be between 256 bytes and 1 MiB.")
                )
            if form.min_fill_seconds < 0 or form.rate_limit_ip < 1 or form.rate_limit_form < 1:
                raise ValidationError(
                    self.env._("Fill time and rate limits cannot be negative or zero.")
                )

    @api.model
    def _lang_get(self):
        return self.env["res.lang"].get_installed()

    @api.constrains("field_ids", "required_field_ids")
    def _check_required_allowed(self):
        # sudo: reading what ir.model.fields says of the chosen fields, which
        # sales managers may pick but not read
        for form in self.sudo():
            if not form.field_ids:
                raise ValidationError(
                    self.env._("The form %s must accept at least one field.", form.name)
                )
            unsafe = (form.field_ids | form.required_field_ids).filtered(
                lambda field: field.model != "crm.lead" or field.name not in SAFE_FIELDS
            )
            if unsafe:
                raise ValidationError(
                    self.env._(
                        "A public form cannot fill these fields: %s",
                        ", ".join(unsafe.mapped("field_description")),
                    )
                )
            extra = form.required_field_ids - form.field_ids
            if extra:
                raise ValidationError(
                    self.env._(
                        "Required fields must also be allowed: %s",
                        ", ".join(extra.mapped("field_description")),
                    )
                )

    def _compute_lead_count(self):
        counts = dict(
            self.env["crm.lead"]._read_group(
                [("lead_web_form_id", "in", self.ids)], ["lead_web_form_id"], ["__count"]
            )
        )
        for form in self:
            form.lead_count = counts.get(form, 0)

    @api.depends("token", "field_ids", "required_field_ids", "consent_required", "consent_text")
    def _compute_snippet(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        for form in self:
            url = f"{base_url}/lead_pipeline/form/{form.token}"
            inputs = "\n".join(
                f"  <label>{escape(field.field_description)}"
                f'<input name="{field.name}"{" required" if field in form.required_field_ids else ""}'
                f' maxlength="{form.max_length}"/></label>'
                for field in form.field_ids
            )
            consent = (
                f'\n  <label><input type="checkbox" name="consent" value="1" required/>'
                f" {escape(form.consent_text or '')}</label>"
                if form.consent_required
                else ""
            )
            form.snippet = Markup(
                f'<form method="post" action="{url}" id="lead-form-{form.id}">\n'
                f"{inputs}{consent}\n"
                '  <input name="_hp" style="display:none" tabindex="-1" autocomplete="off"/>\n'
                '  <input type="hidden" name="_ts"/><input type="hidden" name="_sig"/>\n'
                '  <button type="submit">Send</button>\n</form>\n'
                "<script>\n"
                f"fetch('{url}/ts').then(r => r.json()).then(d => {{\n"
                f"  const f = document.getElementById('lead-form-{form.id}');\n"
                "  f._ts.value = d.ts; f._sig.value = d.sig;\n});\n</script>"
            )

    def action_regenerate_token(self):
        for form in self:
            form.sudo().token = secrets.token_urlsafe(24)

    # -- form tokens: the page fetches one when it loads, a post spends it ---

    def _sign(self, ts):
        self.ensure_one()
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        message = f"{self.sudo().token}:{ts}".encode()
        return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

    def _timestamp(self, now=None):
        """A token for one post: the time it was issued and a random nonce,
        signed. The post is refused before the minimum fill time, after a
        day, and when the nonce was already spent."""
        ts = f"{int(now or time.time())}.{secrets.token_urlsafe(16)}"
        return {"ts": ts, "sig": self._sign(ts)}

    def _check_timestamp(self, ts, sig, now=None):
        """None when the token is genuine and the post came at least the
        minimum fill time after it was issued (and within a day), else the
        reason, in the environment's language."""
        self.ensure_one()
        invalid = self.env._("The form has no valid timestamp; reload the page.")
        if not isinstance(ts, str) or not isinstance(sig, str):
            return invalid
        match = _TOKEN.match(ts)
        if not match or not hmac.compare_digest(self._sign(ts), sig):
            return invalid
        age = (now or time.time()) - int(match.group(1))
        if age < self.min_fill_seconds:
            return self.env._("The form was sent too quickly; please try again.")
        if age > TOKEN_MAX_AGE:
            return self.env._("The form is too old; reload the page.")
        return None


class WebFormSubmission(models.Model):
    """Insert-only rows in PostgreSQL, no hot counter row for concurrent
    requests to collide on: one per post (rate limits count them over a
    window), and unique keys for what may happen once: an identical repeat
    within half a minute (two keys over offset time buckets), a form token
    spent, an auto-reply to an address on a day."""

    _name = "lead_pipeline.web.form.submission"
    _description = "Web-to-Lead Form Post"
    _log_access = False

    form_id = fields.Many2one(
        "lead_pipeline.web.form", required=True, ondelete="cascade", index=True
    )
    kind = fields.Selection(
        [
            ("post", "Post"),
            ("repeat", "Repeat Key"),
            ("token", "Spent Token"),
            ("reply", "Auto-reply"),
        ],
        required=True,
        default="post",
    )
    ip = fields.Char(index=True)
    refused = fields.Boolean(help="Refused by the per-address limit: not counted for the form.")
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    dedupe_a = fields.Char()
    dedupe_b = fields.Char()

    _sql_constraints = [
        ("dedupe_a_uniq", "unique(dedupe_a)", "Duplicate post."),
        ("dedupe_b_uniq", "unique(dedupe_b)", "Duplicate post."),
    ]

    @api.model
    def _record(self, form, ip):
        """Insert the post's row and return the counts of the window,
        including it: (posts from this address, posts to this form). A post
        over the per-address limit is marked refused and does not count for
        the form: one address cannot close a form for everyone."""
        self.env.cr.execute(
            """
            WITH window_posts AS (
                SELECT count(*) FILTER (WHERE ip = %(ip)s) AS from_ip,
                       count(*) FILTER (WHERE NOT coalesce(refused, false)) AS to_form
                  FROM lead_pipeline_web_form_submission
                 WHERE form_id = %(form)s AND kind = 'post'
                   AND date > (now() AT TIME ZONE 'UTC') - interval '1 hour'
            ), inserted AS (
                INSERT INTO lead_pipeline_web_form_submission (form_id, kind, ip, date, refused)
                SELECT %(form)s, 'post', %(ip)s, now() AT TIME ZONE 'UTC',
                       from_ip + 1 > %(ip_limit)s
                  FROM window_posts
                RETURNING refused
            )
            SELECT from_ip + 1, to_form + (CASE WHEN inserted.refused THEN 0 ELSE 1 END)
              FROM window_posts, inserted
            """,
            {"form": form.id, "ip": ip, "ip_limit": form.rate_limit_ip},
        )
        return self.env.cr.fetchone()

    def _claim_key(self, form, kind, key):
        """True the first time ``key`` is claimed (a unique key, not a
        read-then-write check), False afterwards."""
        self.env.cr.execute(
            """
            INSERT INTO lead_pipeline_web_form_submission (form_id, kind, date, dedupe_a)
            VALUES (%s, %s, now() AT TIME ZONE 'UTC', %s)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            (form.id, kind, key),
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _claim(self, form, payload, now=None):
        """True the first time this exact payload is posted within the
        window; False for a repeat (double click)."""
        now = int(now or time.time())
        digest = hashlib.sha256(f"{form.id}:{payload}".encode()).hexdigest()
        keys = (
            f"{digest}:a:{now // DEDUPE_WINDOW_SECONDS}",
            f"{digest}:b:{(now + DEDUPE_WINDOW_SECONDS // 2) // DEDUPE_WINDOW_SECONDS}",
        )
        self.env.cr.execute(
            """
            INSERT INTO lead_pipeline_web_form_submission (form_id, kind, date, dedupe_a, dedupe_b)
            VALUES (%s, 'repeat', now() AT TIME ZONE 'UTC', %s, %s)
            ON CONFLICT DO NOTHING
            RETURNING id
            """,
            (form.id, *keys),
        )
        return bool(self.env.cr.fetchone())

    @api.model
    def _spend_token(self, form, ts):
        """True the first time the form token ``ts`` is used; a token is
        good for one post, so fetching one cannot skip the fill time twice."""
        return self._claim_key(form, "token", f"token:{form.id}:{ts}")

    @api.model
    def _claim_auto_reply(self, form, email):
        """True when no auto-reply went to ``email`` today (UTC), from any
        form: a public form must not let anyone mail a third party at will."""
        day = fields.Date.to_string(fields.Datetime.now())
        return self._claim_key(form, "reply", f"reply:{day}:{email}")

    @api.autovacuum
    def _gc_old_posts(self):
        self.env.cr.execute(
            "DELETE FROM lead_pipeline_web_form_submission "
            "WHERE date < (now() AT TIME ZONE 'UTC') - interval '2 days'"
        )
