import csv
import io
from ast import literal_eval

from odoo import api, fields, models
from odoo.exceptions import UserError

DRY_RUN_LIMIT = 2000
#: a pasted sample is routed in memory, row by row: keep it small
SAMPLE_LIMIT = 200
SAMPLE_TYPES = frozenset(
    {"char", "text", "html", "integer", "float", "monetary", "boolean", "selection"}
    | {"many2one", "many2many", "date", "datetime"}
)
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "x"})


class RoutingDryRun(models.TransientModel):
    """Where would these leads go under the current rules? Nothing is
    written: no salesperson, no log, no round-robin turn taken."""

    _name = "lead_pipeline.routing.dry.run"
    _description = "Routing Dry Run"

    source = fields.Selection(
        [("domain", "Existing Leads"), ("sample", "Pasted Sample")],
        default="domain",
        required=True,
        help="Check existing leads picked by a filter, or leads that do not exist yet, "
        "pasted as CSV lines.",
    )
    sample = fields.Text(
        help="CSV with a header row of lead fields, by label or technical name, e.g.\n"
        "Opportunity,Email,Country,Source,Tags\n"
        "Acme roof,anna@acme.example,Slovakia,Website,Roofing",
    )
    domain = fields.Char(
        "Leads",
        default="[('type', '=', 'lead')]",
        required=True,
        help="The existing leads to route on paper.",
    )
    include_inactive_rules = fields.Boolean(
        "Include Archived Rules",
        help="Check rules that are not enabled yet, as if they were.",
    )
    line_ids = fields.One2many("lead_pipeline.routing.dry.run.line", "wizard_id", readonly=True)
    summary = fields.Text(readonly=True)

    def _leads_from_domain(self):
        try:
            domain = literal_eval(self.domain or "[]")
            leads = self.env["crm.lead"].search(domain, limit=DRY_RUN_LIMIT + 1)
        except Exception as error:
            raise UserError(
                self.env._("The leads to check are not a valid domain: %(error)s", error=error)
            ) from error
        if len(leads) > DRY_RUN_LIMIT:
            raise UserError(
                self.env._(
                    "A dry run checks at most %(limit)s leads: narrow the domain.",
                    limit=DRY_RUN_LIMIT,
                )
            )
        return leads

    def _leads_from_sample(self):
        """Leads in memory (never saved) from the pasted CSV."""
        text = (self.sample or "").strip()
        if not text:
            raise UserError(self.env._("Paste a sample: a header row, then one lead per line."))
        try:
            dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = [
            row
            for row in csv.reader(io.StringIO(text), dialect)
            if any(cell.strip() for cell in row)
        ]
        header, rows = rows[0], rows[1:]
        if not rows:
            raise UserError(self.env._("The sample has a header row but no lead."))
        if len(rows) > SAMPLE_LIMIT:
            raise UserError(
                self.env._(
                    "A pasted sample holds at most %(limit)s leads; this one has %(count)s.",
                    limit=SAMPLE_LIMIT,
                    count=len(rows),
                )
            )
        columns = self._sample_columns(header)
        resolved = self._sample_resolve(columns, rows)
        Lead = self.env["crm.lead"]
        leads = Lead
        errors = []
        for number, row in enumerate(rows, start=2):
            vals = {"type": "lead"}
            for index, field in enumerate(columns):
                cell = row[index].strip() if index < len(row) else ""
                if not cell:
                    continue
                try:
                    vals[field.name] = self._sample_value(field, cell, resolved)
                except ValueError as error:
                    errors.append(
                        self.env._(
                            "Line %(line)s, %(field)s: %(error)s",
                            line=number,
                            field=field.string,
                            error=error,
                        )
                    )
            leads |= Lead.new(vals)
        if errors:
            raise UserError("\n".join(errors[:20]))
        return leads

    def _sample_columns(self, header):
        """The crm.lead field of each header cell, by technical name or label."""
        Lead = self.env["crm.lead"]
        by_label = {}
        settable = [
            field
            for field in Lead._fields.values()
            if field.type in SAMPLE_TYPES
            and not field.readonly
            and (field.store or field.inverse)
            and not field.name.startswith("lead_pipeline_")
        ]
        for field in sorted(settable, key=lambda field: not field.store):
            by_label.setdefault(field.name, field)
            by_label.setdefault(field._description_string(self.env).lower(), field)
            by_label.setdefault(field.string.lower(), field)  # English labels too
        columns, unknown = [], []
        for cell in header:
            field = by_label.get(cell.strip()) or by_label.get(cell.strip().lower())
            if field is None:
                unknown.append(cell.strip())
            columns.append(field)
        if unknown:
            raise UserError(
                self.env._(
                    "The sample's header names no lead field that a sample can set: "
                    "%(columns)s. Use field labels or technical names (Email, country_id...).",
                    columns=", ".join(unknown),
                )
            )
        return columns

    def _sample_resolve(self, columns, rows):
        """{(model, name): record id} for the related records the sample names,
        one name search per distinct name (a sample holds a few hundred)."""
        resolved = {}
        for index, field in enumerate(columns):
            if field.type not in ("many2one", "many2many"):
                continue
            names = set()
            for row in rows:
                cell = row[index].strip() if index < len(row) else ""
                parts = cell.split(",") if field.type == "many2many" else [cell]
                names.update(part.strip() for part in parts if part.strip())
            Comodel = self.env[field.comodel_name]
            for name in names:
                found = Comodel.name_search(name, operator="=", limit=2)
                if len(found) != 1:
                    found = Comodel.name_search(name, operator="ilike", limit=2)
                if len(found) == 1:
                    resolved[(field.comodel_name, name)] = found[0][0]
        return resolved

    def _sample_value(self, field, cell, resolved):
        if field.type in ("many2one", "many2many"):
            names = (
                [part.strip() for part in cell.split(",")] if field.type == "many2many" else [cell]
            )
            ids = []
            for name in names:
                if (field.comodel_name, name) not in resolved:
                    raise ValueError(self.env._("no single match for “%(name)s”", name=name))
                ids.append(resolved[(field.comodel_name, name)])
            return ids[0] if field.type == "many2one" else [(6, 0, ids)]
        if field.type in ("integer", "float", "monetary"):
            try:
                number = float(cell.replace(" ", ""))
            except ValueError:
                raise ValueError(self.env._("“%(cell)s” is not a number", cell=cell)) from None
            return int(number) if field.type == "integer" else number
        if field.type == "boolean":
            return cell.lower() in TRUE_WORDS
        if field.type == "selection":
            for value, label in field._description_selection(self.env):
                if cell.lower() in (str(value).lower(), str(label).lower()):
                    return value
            raise ValueError(self.env._("“%(cell)s” is not one of the choices", cell=cell))
        if field.type in ("date", "datetime"):
            try:
                return field.to_date(cell) if field.type == "date" else field.to_datetime(cell)
            except ValueError:
                raise ValueError(self.env._("“%(cell)s” is not a date", cell=cell)) from None
        return cell

    def action_run(self):
        self.ensure_one()
        sample = self.source == "sample"
        leads = self._leads_from_sample() if sample else self._leads_from_domain()
        plan = leads._lead_pipeline_routing_plan(
            "create", force=True, dry_run=True, inactive_rules=self.include_inactive_rules
        )
        placed = {lead.id: (rule, user, explanation) for lead, rule, user, explanation in plan}
        lines = [(5, 0, 0)]
        for lead in leads:
            rule, user, explanation = placed.get(lead.id, (None, None, None))
            lines.append(
                (
                    0,
                    0,
                    {
                        "lead_id": False if sample else lead.id,
                        "sample_name": lead.name or lead.email_from or lead.partner_name
                        if sample
                        else False,
                        "current_user_id": False if sample else lead.user_id.id,
                        "rule_id": rule.id if rule else False,
                        "user_id": user.id if user else False,
                        "explanation": explanation or self.env._("No rule takes this lead."),
                    },
                )
            )
        self.write(
            {
                "line_ids": lines,
                "summary": self.env._(
                    "%(placed)s of %(total)s leads would be routed.",
                    placed=len([1 for *_rest, user, _e in plan if user]),
                    total=len(leads),
                ),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Routing Dry Run"),
        }

    @api.model
    def action_open(self):
        return self.env["ir.actions.act_window"]._for_xml_id("lead_pipeline.routing_dry_run_action")


class RoutingDryRunLine(models.TransientModel):
    _name = "lead_pipeline.routing.dry.run.line"
    _description = "Routing Dry Run Line"

    wizard_id = fields.Many2one("lead_pipeline.routing.dry.run", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", readonly=True)
    sample_name = fields.Char("Sample Lead", readonly=True)
    current_user_id = fields.Many2one("res.users", string="Salesperson Now", readonly=True)
    rule_id = fields.Many2one("lead_pipeline.routing.rule", readonly=True)
    user_id = fields.Many2one("res.users", string="Would Go To", readonly=True)
    explanation = fields.Text(readonly=True)
