"""Intake: the door a lead comes in by, the intake policy against the
matching engine, the mail gateway and imports."""

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools import (
    SQL,
    email_normalize,
    parse_contact_from_email,
)

from ..controllers.rpc import EXTERNAL_API_CALL
from ..logic.intake import PUBLIC_CHANNELS, decide, public_action
from ..logic.matching import KEY_ORDER, group_rows
from .internal import current_channel, intake_channel, scoped, scoped_value
from .match_mixin import phone_e164
from .utm_source import CHANNEL_SOURCES

#: the web client's calls that save a lead a person typed in
TYPED_IN_METHODS = frozenset({"web_save", "create", "name_create"})


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    lead_duplicate_of_id = fields.Many2one(
        "crm.lead", "Possible Duplicate Of", index="btree_not_null", copy=False, readonly=True
    )
    lead_duplicate_partner_id = fields.Many2one(
        "res.partner", "Existing Customer", index="btree_not_null", copy=False, readonly=True
    )
    lead_web_form_id = fields.Many2one(
        "lead_pipeline.web.form", "Web Form", index="btree_not_null", copy=False, readonly=True
    )
    lead_consent_text = fields.Text("Consent Given To", copy=False, readonly=True)
    lead_consent_date = fields.Datetime("Consent Date", copy=False, readonly=True)

    @api.model
    def _lead_pipeline_intake_channel(self):
        """The door a lead comes in by, or None for leads created by code
        (other addons, crons, tests), which intake leaves alone."""
        # set by the addon's code for the door it serves (web form, mail
        # gateway, import, quick entry); never read from the client's context
        channel = current_channel()
        if channel:
            return channel
        if EXTERNAL_API_CALL.get():
            return "api"
        if request:
            if request.httprequest.path.startswith("/website/form"):
                return "website_form"  # Odoo's own website contact form
            if self._lead_pipeline_typed_in_web_client():
                return "api"
        return None

    @api.model
    def _lead_pipeline_typed_in_web_client(self):
        """Whether this request is the web client saving a lead form or a
        quick create; leads other code creates during a request (an event's
        registration, lead mining) are code, not typed in."""
        if not request or not request.httprequest.path.startswith("/web/dataset/call_kw"):
            return False
        params = request.params if isinstance(request.params, dict) else {}
        return params.get("model") == self._name and params.get("method") in TYPED_IN_METHODS

    @api.model
    def get_import_templates(self):
        """Odoo's templates plus one for leads with their type and contact."""
        return [
            *super().get_import_templates(),
            {
                "label": self.env._("Import Template for Lead Pipeline Leads"),
                "template": "/lead_pipeline/static/xls/lead_pipeline_leads.csv",
            },
        ]

    @api.model
    def _lead_pipeline_vals_keys(self, vals):
        country = self.env["res.country"].browse(vals.get("country_id") or [])
        keys = self._match_keys_from(
            vat=vals.get("vat"),
            email=vals.get("email_from"),
            phone=vals.get("phone") or vals.get("mobile"),
            company_name=vals.get("partner_name"),
            country=country,
        )
        return {key_type: keys[f"match_{key_type}"] or None for key_type in KEY_ORDER}

    @api.model
    def _lead_pipeline_intake_decisions(self, vals_list, channel):
        """Per values: None (a lead to create as is) or (action, kind,
        record or row index, reason), kind being customer, lead or batch.
        Whole batch: one search per key type and model, one for policies."""
        default_type = self.default_get(["type"]).get("type")
        rows = [
            index
            for index, vals in enumerate(vals_list)
            if vals.get("type", default_type) in self._lead_pipeline_intake_types()
            and not vals.get("partner_id")
        ]
        decisions = [None] * len(vals_list)
        if not rows:
            return decisions
        keys = [self._lead_pipeline_vals_keys(vals_list[index]) for index in rows]
        customers, open_leads = self._lead_pipeline_intake_matches(vals_list, rows, keys, channel)
        groups = group_rows(keys)
        policies = self.env["lead_pipeline.intake.policy"].sudo()._policy_map()
        default_type_id = self.env["lead_pipeline.lead.type"]._get_default_type().id
        for position, index in enumerate(rows):
            type_id = vals_list[index].get("lead_type_id") or default_type_id
            # someone already in the base weighs more than an open lead
            found = next(
                (
                    (match, scope, kind)
                    for match, scope, kind in (
                        (customers[position], "customer", "customer"),
                        (open_leads[position], "open_lead", "lead"),
                    )
                    if match
                ),
                None,
            )
            if found:
                (key_type, _value, records), scope, kind = found
                decisions[index] = (
                    public_action(decide(policies, type_id, channel, scope), channel, key_type),
                    kind,
                    records[0],
                    self.env["lead_pipeline.matcher"]._reason(key_type, records[0]),
                )
            elif groups[position] != position:
                first = rows[groups[position]]
                decisions[index] = (
                    decide(policies, type_id, channel, "open_lead"),
                    "batch",
                    first,
                    self.env._("same person or company as row %(row)s", row=first + 1),
                )
        return decisions

    @api.model
    def _lead_pipeline_intake_matches(self, vals_list, rows, keys, channel):
        """(customers, open leads) matched per row. On a public door, only
        within the company the request is for (and records shared by all
        companies): one request never lands on another company's record.
        One search per key type and company."""
        Matcher = self.env["lead_pipeline.matcher"]
        if channel not in PUBLIC_CHANNELS:
            return Matcher._find_partners(keys), Matcher._find_open_leads(keys)
        by_company = {}
        for position, index in enumerate(rows):
            company_id = vals_list[index].get("company_id") or self.env.company.id
            by_company.setdefault(company_id, []).append(position)
        customers, open_leads = [None] * len(rows), [None] * len(rows)
        for company_id, positions in by_company.items():
            domain = [("company_id", "in", [company_id, False])]
            subset = [keys[position] for position in positions]
            found_customers = Matcher._find_partners(subset, domain=domain)
            found_leads = Matcher._find_open_leads(subset, domain=domain)
            for offset, position in enumerate(positions):
                customers[position] = found_customers[offset]
                open_leads[position] = found_leads[offset]
        return customers, open_leads

    @api.model
    def _lead_pipeline_channel_source(self, channel):
        """The lead source of a door (e-mail alias: E-mail, a phone call keyed
        in with quick entry: Phone Call), or an empty recordset."""
        key = CHANNEL_SOURCES.get(channel)
        if not key:
            return self.env["utm.source"]
        return (
            self.env.ref(f"lead_pipeline.utm_source_{key}", raise_if_not_found=False)
            or self.env["utm.source"]
        )

    @api.model
    def _lead_pipeline_intake_check(self, vals_list, channel):
        """Refuse (reject) or mark (flag) the values before they are created;
        returns the flags to finish once the leads exist. Values that name no
        source get the door's own."""
        source = self._lead_pipeline_channel_source(channel)
        if source:
            for vals in vals_list:
                if not vals.get("source_id"):
                    vals["source_id"] = source.id
        decisions = self._lead_pipeline_intake_decisions(vals_list, channel)
        errors = [
            self.env._(
                "Row %(row)s (%(name)s): %(reason)s.",
                row=index + 1,
                name=vals_list[index].get("name") or vals_list[index].get("email_from") or "",
                reason=decision[3],
            )
            for index, decision in enumerate(decisions)
            if decision and decision[0] == "reject"
        ]
        if errors and channel in PUBLIC_CHANNELS:
            # a visitor learns nothing of the base: no record named, no reason
            raise ValidationError(self.env._("The intake policy refuses this request."))
        if errors:
            raise ValidationError(
                self.env._(
                    "These leads are for someone already in the base or already an open "
                    "lead, and the intake policy refuses them:\n%s",
                    "\n".join(errors),
                )
            )
        tag = self.env.ref("lead_pipeline.crm_tag_possible_duplicate", raise_if_not_found=False)
        flags = {}
        for index, decision in enumerate(decisions):
            # a public request the door did not attach (files came with it, say)
            # is a lead like a flagged one
            attached_elsewhere = decision and decision[0] == "attach" and channel in PUBLIC_CHANNELS
            if not decision or (decision[0] != "flag" and not attached_elsewhere):
                continue
            _action, kind, record, reason = decision
            vals = vals_list[index]
            if tag:
                vals["tag_ids"] = [*(vals.get("tag_ids") or []), (4, tag.id)]
            if kind == "customer":
                vals["lead_duplicate_partner_id"] = record.id
            elif kind == "lead":
                vals["lead_duplicate_of_id"] = record.id
            flags[index] = (kind, record, reason)
        return flags

    def _lead_pipeline_intake_flagged(self, flags):
        """Link in-batch duplicates to the first lead of their group and give
        the owners of the existing records an activity, in batch."""
        leads = list(self)
        pairs = [
            (leads[index].id, leads[record].id)
            for index, (kind, record, _reason) in flags.items()
            if kind == "batch"
        ]
        if pairs:
            # the leads were just created in this transaction, and nothing
            # computes from this bookkeeping field: one UPDATE for the batch,
            # not one write per group of duplicates
            duplicate_ids, first_ids = zip(*pairs, strict=True)
            self.env.cr.execute(
                SQL(
                    """UPDATE crm_lead SET lead_duplicate_of_id = batch.first_id
                         FROM unnest(%s::int[], %s::int[]) AS batch(id, first_id)
                        WHERE crm_lead.id = batch.id""",
                    list(duplicate_ids),
                    list(first_ids),
                )
            )
            self.browse(duplicate_ids).invalidate_recordset(["lead_duplicate_of_id"])
        targets = self.env["crm.lead"]
        partners = self.env["res.partner"]
        notes = {}
        for index, (kind, record, reason) in flags.items():
            existing = leads[record] if kind == "batch" else record
            notes.setdefault((existing._name, existing.id), []).append(
                self.env._("%(lead)s: %(reason)s", lead=leads[index].display_name, reason=reason)
            )
            if existing._name == "crm.lead":
                targets |= existing
            else:
                partners |= existing
        for records in (targets, partners):
            records._lead_pipeline_schedule_owner_activity(
                self.env._("Possible duplicate leads came in"),
                notes={record.id: notes[(record._name, record.id)] for record in records},
            )

    @api.model
    def _lead_pipeline_attach_target(self, vals_list, channel):
        """Per values: the existing lead or customer the policy attaches the
        request to, or None."""
        decisions = self._lead_pipeline_intake_decisions(vals_list, channel)
        targets = []
        for decision in decisions:
            if decision and decision[0] == "attach" and decision[1] != "batch":
                record = decision[2]
                targets.append(
                    record.commercial_partner_id if record._name == "res.partner" else record
                )
            else:
                targets.append(None)
        return targets

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """Mail alias intake: the lead keeps the original message as its
        request; a mail from a person only names the lead's contact; a mail
        from someone the intake policy attaches creates no lead."""
        custom_values = dict(custom_values or {})
        if not msg_dict.get("author_id") and "contact_name" not in custom_values:
            name = parse_contact_from_email(msg_dict.get("from") or "")[0]
            if name:
                custom_values["contact_name"] = name
        if msg_dict.get("body") and "description" not in custom_values:
            custom_values["description"] = msg_dict["body"]
        # the mail channel within Odoo's mail gateway (and for code calling
        # it); message_new is public, and a client calling it outside the
        # gateway is an API client like any other
        attached = scoped_value("lead_pipeline_gateway_attached")
        channel = "mail"
        if attached is None and (request or EXTERNAL_API_CALL.get()):
            channel = self._lead_pipeline_intake_channel()
        target = None
        if channel:
            target = self._lead_pipeline_attach_target(
                [
                    {
                        "email_from": msg_dict.get("email_from") or msg_dict.get("from"),
                        **custom_values,
                    }
                ],
                channel,
            )[0]
        if target:
            target._lead_pipeline_schedule_owner_activity(
                self.env._(
                    "New request by e-mail: %(subject)s", subject=msg_dict.get("subject") or ""
                )
            )
            if attached is not None:
                # the gateway posts the message on the record message_new
                # returns: as a message, not as a creation
                attached.add((target._name, target.id))
            return target
        with intake_channel(channel):
            return super().message_new(msg_dict, custom_values=custom_values)

    def _creation_subtype(self):
        attached = scoped_value("lead_pipeline_gateway_attached")
        if attached and (self._name, self.id) in attached:
            return self.env.ref("mail.mt_comment")
        return super()._creation_subtype()

    @api.model
    def load(self, fields, data):
        """Import intake: rows with no way to reach the person, with a wrong
        e-mail address, or refused by the intake policy are left out and
        reported as warnings with their row number (an error would roll the
        whole import back); phones are normalised; the rest imports."""
        # an import from a client (Odoo's import dialog, or load over RPC) is
        # the import door; load run by code (data files) is no door
        channel = "import" if (request or EXTERNAL_API_CALL.get()) else None
        if not data:
            return super().load(fields, data)
        if not self.env.context.get("import_file"):
            # import_file only adds the row checks below; the door is the same
            with intake_channel(channel), scoped(lead_pipeline_load=True):
                return super().load(fields, data)
        # the import dialog sends the rest of the file with its batch size:
        # check only this batch's rows (not the whole rest, once per batch)
        end = self._lead_pipeline_import_batch_end(fields, data)
        kept, warnings = self._lead_pipeline_check_import_rows(fields, data[:end])
        with intake_channel(channel), scoped(lead_pipeline_load=True):
            result = super().load(fields, [data[index] for index in kept])
        # where the dialog goes on, in the rows it sent, not in the rows kept
        nextrow = result.get("nextrow")
        if nextrow and nextrow < len(kept):
            result["nextrow"] = kept[nextrow]
        else:
            result["nextrow"] = end if end < len(data) else 0
        for message in result.get("messages", []):
            for key in ("from", "to"):
                if "rows" in message and message["rows"].get(key) is not None:
                    message["rows"][key] = kept[min(message["rows"][key], len(kept) - 1)]
            if isinstance(message.get("record"), int) and kept:
                message["record"] = kept[min(message["record"], len(kept) - 1)]
        result["messages"] = warnings + result.get("messages", [])
        return result

    @api.model
    def _lead_pipeline_import_batch_end(self, fields, data):
        """End of the rows ``load`` imports in this call: the import dialog's
        batch size (``_import_limit``), with the one2many lines of the last
        record, as Odoo's ``_extract_records`` counts them."""
        limit = self.env.context.get("_import_limit")
        if not limit or limit >= len(data):
            return len(data)
        sub_lines = {
            position
            for position, path in enumerate(fields)
            if self._fields.get(path.split("/")[0]) is not None
            and self._fields[path.split("/")[0]].type == "one2many"
        }
        end = limit
        while end < len(data) and self._lead_pipeline_import_sub_line(data[end], sub_lines):
            end += 1
        return end

    @api.model
    def _lead_pipeline_import_sub_line(self, row, sub_lines):
        """Whether ``row`` only carries one2many lines of the record above."""
        return any(row[position] for position in sub_lines if position < len(row)) and not any(
            cell for position, cell in enumerate(row) if position not in sub_lines
        )

    @api.model
    def _lead_pipeline_check_import_rows(self, fields, data):
        column = {name: position for position, name in enumerate(fields)}
        country = self.env.company.country_id

        def cell(row, *names):
            for name in names:
                if name in column and column[name] < len(row) and row[column[name]]:
                    return str(row[column[name]]).strip()
            return ""

        warnings, candidates = [], []
        for index, row in enumerate(data):
            email = cell(row, "email_from")
            phones = [cell(row, "phone"), cell(row, "mobile")]
            problem = None
            if not email and not any(phones):
                problem = self.env._("no e-mail address and no phone number")
            elif email and not email_normalize(email, strict=False):
                problem = self.env._("%(email)s is not a valid e-mail address", email=email)
            if problem:
                warnings.append(self._lead_pipeline_import_warning(index, problem))
                continue
            for fname in ("phone", "mobile"):
                value = cell(row, fname)
                if value:
                    formatted = phone_e164(value, country)
                    if formatted:
                        row[column[fname]] = formatted
            candidates.append(index)
        type_ids = self._lead_pipeline_import_types(fields, data, candidates)
        vals_list = [
            {
                "type": "lead",
                "name": cell(data[index], "name"),
                "email_from": cell(data[index], "email_from"),
                "phone": cell(data[index], "phone") or cell(data[index], "mobile"),
                "vat": cell(data[index], "vat"),
                "partner_name": cell(data[index], "partner_name"),
                "lead_type_id": type_ids.get(index),
            }
            for index in candidates
        ]
        decisions = self._lead_pipeline_intake_decisions(vals_list, "import")
        kept = []
        for index, decision in zip(candidates, decisions, strict=True):
            if decision and decision[0] == "reject":
                warnings.append(self._lead_pipeline_import_warning(index, decision[3]))
            else:
                kept.append(index)
        return kept, warnings

    @api.model
    def _lead_pipeline_import_types(self, fields, data, indexes):
        """Lead type per row when the file names one (by external id or name)."""
        Type = self.env["lead_pipeline.lead.type"]
        result = {}
        for fname in ("lead_type_id/id", "lead_type_id"):
            if fname not in fields:
                continue
            position = fields.index(fname)
            values = {data[index][position] for index in indexes if data[index][position]}
            if fname.endswith("/id"):
                found = {value: self.env.ref(value, raise_if_not_found=False) for value in values}
            else:
                types = Type.search([("name", "in", list(values))])
                found = {t.name: t for t in types}
            for index in indexes:
                record = found.get(data[index][position])
                if record:
                    result[index] = record.id
        return result

    @api.model
    def _lead_pipeline_import_warning(self, index, problem):
        return {
            "type": "warning",
            "message": self.env._(
                "Row %(row)s not imported: %(problem)s.", row=index + 1, problem=problem
            ),
            "rows": {"from": index, "to": index},
            "record": index,
        }
