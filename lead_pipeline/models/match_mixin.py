from functools import lru_cache

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, email_normalize

from odoo.addons.phone_validation.tools import phone_validation

from ..logic.matching import KEY_ORDER, first_match, normalize_company_name, normalize_vat
from ..logic.transitions import OPEN_CATEGORIES

#: E.164 keys of phone numbers already parsed in this worker process:
#: {(number, country code, phone code): key or False}
_PHONE_KEYS = {}
_PHONE_KEYS_MAX = 50000
#: longer values are normalised but not cached
CACHED_LENGTH = 64
_MISSING = object()
#: the stored keys, in the order of ``_keys_of``
MATCH_FIELDS = ("match_vat", "match_email", "match_phone", "match_name")


def _phone_key(number, country_code, phone_code):
    """``number`` in E.164 for a country, or False. Parsing a phone number is
    the costliest step of matching, and one import batch meets the same
    number in its row check, its intake decisions and the stored keys of the
    lead and its contact: parsed once per worker process, not five times. A
    number already international does not depend on the country, and a key
    is its own key."""
    if not number:
        return False
    if isinstance(number, str) and number.startswith("+"):
        country_code = phone_code = None
    cache_key = (number, country_code, phone_code)
    key = _PHONE_KEYS.get(cache_key, _MISSING)
    if key is not _MISSING:
        return key
    try:
        key = phone_validation.phone_format(
            number, country_code, phone_code, force_format="E164", raise_exception=True
        )
    except UserError:
        key = False
    key = key if key and key.startswith("+") else False
    if not isinstance(number, str) or len(number) > CACHED_LENGTH:
        return key  # junk a web form was sent: parsed, never kept
    if len(_PHONE_KEYS) >= _PHONE_KEYS_MAX:
        _PHONE_KEYS.clear()
    _PHONE_KEYS[cache_key] = key
    if key:
        _PHONE_KEYS[key, None, None] = key
    return key


_email_key = lru_cache(maxsize=16384)(email_normalize)
_name_key = lru_cache(maxsize=16384)(normalize_company_name)


def _cacheable(value):
    return isinstance(value, str) and len(value) <= CACHED_LENGTH * 4


def _keys_of(raw, country_code, phone_code):
    """The keys of raw (VAT, e-mail, phone, company name) values."""
    vat, email, phone, company_name = raw
    return (
        normalize_vat(vat) or False,
        email_key(email),
        _phone_key(phone, country_code, phone_code),
        (
            _name_key(company_name)
            if _cacheable(company_name)
            else isinstance(company_name, str) and normalize_company_name(company_name)
        )
        or False,
    )


def email_key(email):
    """``email_normalize(email)``, kept for the values a batch repeats."""
    return (_email_key(email) if _cacheable(email) else email_normalize(email)) or False


def phone_e164(number, country):
    """``number`` in E.164 (for ``country``, a res.country), or False."""
    return _phone_key(number, country.code or None, country.phone_code or None)


class MatchMixin(models.AbstractModel):
    """Normalised keys stored and indexed on the records routing, conversion
    and intake recognise (leads and partners): exact key equality over an
    index, never a fuzzy search. Models define ``_compute_match_keys``."""

    _name = "lead_pipeline.match.mixin"
    _description = "Lead Pipeline Matching Keys"

    match_vat = fields.Char(
        "VAT Key", compute="_compute_match_keys", store=True, index="btree_not_null", copy=False
    )
    match_email = fields.Char(
        "E-mail Key", compute="_compute_match_keys", store=True, index="btree_not_null", copy=False
    )
    match_phone = fields.Char(
        "Phone Key", compute="_compute_match_keys", store=True, index="btree_not_null", copy=False
    )
    match_name = fields.Char(
        "Company Name Key",
        compute="_compute_match_keys",
        store=True,
        index="btree_not_null",
        copy=False,
    )

    def _compute_match_keys(self):
        raise NotImplementedError

    @api.model
    def _match_client_refused_fields(self):
        """Computed fields that decide who is recognised: no client sets
        them (they are computed, and a forged key would make intake refuse
        someone or miss a customer)."""
        return MATCH_FIELDS

    @api.model
    def _match_check_not_set(self, fnames, computed=None):
        """Refuse a client's create or write that sets those fields (or the
        ``computed`` ones given), naming them."""
        refused = set(fnames) & set(computed or self._match_client_refused_fields())
        if refused:
            labels = sorted(
                self._fields[fname].get_description(self.env)["string"] for fname in refused
            )
            raise UserError(
                self.env._(
                    "These fields are computed by Lead Pipeline and cannot be set: %(fields)s.",
                    fields=", ".join(labels),
                )
            )

    def _match_raw_values(self, vals_list):
        """For each creation's values, what ``_compute_match_keys`` reads on
        the record it creates: (VAT, e-mail, phone, company name, country
        id), or None where the values alone do not tell. Models override."""
        return [None] * len(vals_list)

    def _add_precomputed_values(self, vals_list):
        """Put the matching keys into the INSERT, computed from the creation's
        own values, instead of an UPDATE of every new row after it (one more
        round trip over wide, indexed rows in each import batch or intake).
        The keys stay computed fields: Odoo computes them again after the
        insert, as before, and writes them only where that value differs
        (a value the creation did not give, such as a lead's e-mail taken
        from its customer); any value passed for them is replaced (clients
        may not pass one: ``_match_check_not_set``)."""
        result = super()._add_precomputed_values(vals_list)
        raws = self._match_raw_values(vals_list)
        country_ids = {raw[4] for raw in raws if raw and type(raw[4]) is int and raw[4]}
        countries = (
            {
                country.id: (country.code or None, country.phone_code or None)
                for country in self.env["res.country"]
                .sudo()
                .search_fetch([("id", "in", list(country_ids))], ["code", "phone_code"])
            }
            if country_ids
            else {}
        )
        default = self.env.company.country_id
        default_codes = (default.code or None, default.phone_code or None)
        for vals, raw in zip(vals_list, raws, strict=True):
            if (
                raw is None
                or not all(value in (None, False) or isinstance(value, str) for value in raw[:4])
                or not (raw[4] in (None, False) or type(raw[4]) is int)
            ):
                # computed after the insert only, from what it stored
                for fname in MATCH_FIELDS:
                    vals.pop(fname, None)
                continue
            codes = countries.get(raw[4], default_codes)
            keys = _keys_of(tuple(value or None for value in raw[:4]), *codes)
            vals.update(zip(MATCH_FIELDS, keys, strict=True))
        return result

    def _match_keys_from(self, vat=None, email=None, phone=None, company_name=None, country=None):
        """The keys of one record from its raw values."""
        country = country or self.env.company.country_id
        keys = _keys_of(
            (vat or None, email or None, phone or None, company_name or None),
            country.code or None,
            country.phone_code or None,
        )
        return dict(zip(MATCH_FIELDS, keys, strict=True))

    def _match_keys(self):
        """Plain key dicts of the records, as the matcher takes them."""
        columns = [self.mapped(f"match_{key_type}") for key_type in KEY_ORDER]
        return [
            {key_type: value or None for key_type, value in zip(KEY_ORDER, values, strict=True)}
            for values in zip(*columns, strict=True)
        ]


class Matcher(models.AbstractModel):
    """The one matching engine: finds, for rows of keys, the partners or open
    leads that carry the same key, strongest key first, in one search per key
    type for the whole batch."""

    _name = "lead_pipeline.matcher"
    _description = "Lead Pipeline Matching Engine"

    @api.model
    def _find(self, model_name, rows_keys, domain=None, key_types=KEY_ORDER, order="id"):
        """For each row: (key type, value, [record]) or None.

        ``rows_keys`` is a list of {key type: value} dicts; the record is the
        first, in ``order``, of ``model_name`` within ``domain`` sharing that
        key. Only the first is read (``DISTINCT ON`` the key): a common
        company name may be shared by thousands of records, and reading them
        all would make every batch cost as much as the base is large.
        """
        Model = self.env[model_name]
        candidates = {}
        for key_type in key_types:
            values = {keys.get(key_type) for keys in rows_keys} - {None, False}
            if not values:
                continue
            fname = f"match_{key_type}"
            query = Model._search([(fname, "in", list(values)), *(domain or [])])
            order_by = Model._order_to_sql(order, query)  # may join: before FROM
            key = SQL.identifier(query.table, fname)
            rows = self.env.execute_query(
                SQL(
                    "SELECT DISTINCT ON (%s) %s, %s FROM %s WHERE %s ORDER BY %s, %s",
                    key,
                    key,
                    SQL.identifier(query.table, "id"),
                    query.from_clause,
                    query.where_clause,
                    key,
                    order_by,
                )
            )
            records = Model.browse([record_id for _value, record_id in rows])
            for (value, _record_id), record in zip(rows, records, strict=True):
                candidates[(key_type, value)] = [record]
        restricted = [{k: v for k, v in keys.items() if k in key_types} for keys in rows_keys]
        return [first_match(keys, candidates) for keys in restricted]

    @api.model
    def _company_domain(self, company_ids):
        """Records of these companies or shared: what code running as
        superuser (a public door) may match for a request of those companies;
        ``None``: no filter (the caller's record rules apply)."""
        if company_ids is None:
            return []
        return ["|", ("company_id", "=", False), ("company_id", "in", list(company_ids))]

    @api.model
    def _find_partners(
        self, rows_keys, companies_only=False, key_types=KEY_ORDER, domain=(), company_ids=None
    ):
        """Everyone already in the base: any active partner, company or person
        (within ``domain``, and of ``company_ids`` or shared, if given)."""
        domain = [*domain, *self._company_domain(company_ids)]
        domain = [*domain, ("is_company", "=", True)] if companies_only else domain
        return self._find("res.partner", rows_keys, domain, key_types, order="is_company desc, id")

    @api.model
    def _find_open_leads(
        self, rows_keys, exclude_ids=(), key_types=KEY_ORDER, domain=(), company_ids=None
    ):
        """Leads still being worked; with Odoo's Leads setting off, open
        opportunities (not won, not lost) too (within ``domain``, and of
        ``company_ids`` or shared, if given)."""
        domain = [*domain, *self._company_domain(company_ids)]
        open_domain = [("type", "=", "lead"), ("lead_status_category", "in", OPEN_CATEGORIES)]
        if "opportunity" in self.env["crm.lead"]._lead_pipeline_intake_types():
            open_domain = [
                "|",
                "&",
                *open_domain,
                "&",
                ("type", "=", "opportunity"),
                ("stage_id.is_won", "=", False),
            ]
        open_domain = [*open_domain, ("id", "not in", list(exclude_ids)), *domain]
        return self._find("crm.lead", rows_keys, open_domain, key_types)

    @api.model
    def _reason(self, key_type, record):
        labels = {
            "vat": self.env._("same VAT number"),
            "email": self.env._("same e-mail address"),
            "phone": self.env._("same phone number"),
            "name": self.env._("same company name"),
        }
        return self.env._(
            "%(record)s: %(reason)s", record=record.display_name, reason=labels[key_type]
        )


class MatchMixinActivity(models.AbstractModel):
    _inherit = "lead_pipeline.match.mixin"

    def _lead_pipeline_schedule_owner_activity(self, summary, notes=None):
        """A to-do for the owner (salesperson) of each record, in one create;
        records without an owner get none."""
        if not self or "user_id" not in self._fields:
            return self.env["mail.activity"]
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        vals_list = [
            {
                "res_model_id": model_id,
                "res_id": record.id,
                "activity_type_id": activity_type.id,
                "user_id": record.user_id.id,
                "summary": summary,
                "note": "<br/>".join(notes.get(record.id, [])) if notes else False,
            }
            for record in self
            if record.user_id
        ]
        return self.env["mail.activity"].sudo().create(vals_list)
