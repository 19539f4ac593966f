from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

from .lead_status import CATEGORIES
from .qualification_criterion import FRAMEWORKS

#: what the cached pipelines (``_pipeline_map``) are made of
PIPELINE_FIELDS = frozenset({"active", "status_ids", "convert_status_ids", "company_id"})


class LeadType(models.Model):
    """A kind of lead (B2B prospect, reseller, supplier...).

    It decides the pipeline of statuses a lead follows and, later, how it
    converts.
    """

    _name = "lead_pipeline.lead.type"
    _inherit = ["lead_pipeline.cached.mixin"]
    _description = "Lead Type"
    _order = "sequence, id"
    _check_company_auto = True
    _lead_pipeline_cached_fields = PIPELINE_FIELDS | {"name"}

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Short unique code of the type within its company, for imports and the API.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share this type between companies.",
    )
    market = fields.Selection(
        [("b2b", "B2B"), ("b2c", "B2C")],
        required=True,
        default="b2b",
        help="B2B: selling to a business that builds on or resells what we sell. "
        "B2C: selling to the end consumer, who may be a person, a company or an "
        "institution. This is not the same as company versus person.",
    )
    relationship = fields.Selection(
        [
            ("customer", "Potential Customer"),
            ("partner", "Partner"),
            ("supplier", "Supplier"),
            ("reseller", "Reseller"),
            ("competitor", "Competitor Watch"),
        ],
        string="Relationship Sought",
        required=True,
        default="customer",
    )
    status_ids = fields.Many2many(
        "lead_pipeline.status",
        "lead_pipeline_status_type_rel",
        "type_id",
        "status_id",
        string="Statuses",
    )
    default_status_id = fields.Many2one(
        "lead_pipeline.status",
        check_company=True,
        help="Status of new leads of this type.",
    )
    convert_status_ids = fields.Many2many(
        "lead_pipeline.status",
        "lead_pipeline_type_convert_status_rel",
        "type_id",
        "status_id",
        string="Convertible From",
        help="Statuses from which leads of this type may be converted. "
        "Empty: the type's statuses of category Qualified.",
    )
    qualification_framework = fields.Selection(
        FRAMEWORKS,
        required=True,
        default="none",
        help="BANT: budget, authority, need, timing. CHAMP: challenges, authority, "
        "money, prioritization. Custom: the criteria listed on the type.",
    )
    qualification_criterion_ids = fields.One2many(
        "lead_pipeline.qualification.criterion", "lead_type_id", string="Custom Criteria"
    )
    escalation_user_id = fields.Many2one(
        "res.users",
        string="Escalate To",
        domain="[('share', '=', False)]",
        help="Told when a lead of this type overstays a status and its team has no leader.",
    )
    field_map_ids = fields.One2many(
        "lead_pipeline.lead.type.field.map",
        "type_id",
        string="Fields Carried at Conversion",
        help="Lead fields copied into customer fields of another name at conversion. "
        "Fields of the same name and a fitting type (custom x_ fields included) "
        "travel without a line.",
    )
    lead_ids = fields.One2many("crm.lead", "lead_type_id", string="Leads")
    lead_count = fields.Integer(compute="_compute_lead_counts")
    lead_count_new = fields.Integer(compute="_compute_lead_counts")
    lead_count_working = fields.Integer(compute="_compute_lead_counts")
    lead_count_qualified = fields.Integer(compute="_compute_lead_counts")
    lead_count_converted = fields.Integer(compute="_compute_lead_counts")
    lead_count_disqualified = fields.Integer(compute="_compute_lead_counts")

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique(code, company_id)",
            "The code of a lead type must be unique per company.",
        ),
    ]

    def _compute_lead_counts(self):
        """One grouped query for the whole overview, not one per card."""
        data = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [("lead_type_id", "in", self.ids), ("type", "=", "lead")],
                ["lead_type_id", "lead_status_category"],
                ["__count"],
            )
        )
        counts = {}
        for lead_type, category, count in data:
            counts.setdefault(lead_type.id, {})[category] = count
        for lead_type in self:
            by_category = counts.get(lead_type.id, {})
            for category, _label in CATEGORIES:
                lead_type[f"lead_count_{category}"] = by_category.get(category, 0)
            lead_type.lead_count = sum(
                count
                for category, count in by_category.items()
                if category not in ("converted", "disqualified")
            )

    @api.constrains("code", "company_id")
    def _check_code_unique(self):
        # the SQL constraint lets two shared types (no company) share a code
        for lead_type in self:
            duplicate = self.with_context(active_test=False).search_count(
                [
                    ("id", "!=", lead_type.id),
                    ("code", "=", lead_type.code),
                    ("company_id", "=", lead_type.company_id.id),
                ],
                limit=1,
            )
            if duplicate:
                raise ValidationError(
                    self.env._(
                        "Another lead type already uses the code %(code)s.",
                        code=lead_type.code,
                    )
                )

    @api.constrains("status_ids", "default_status_id")
    def _check_statuses(self):
        for lead_type in self:
            if (
                lead_type.default_status_id
                and lead_type.default_status_id not in lead_type.status_ids
            ):
                raise ValidationError(
                    self.env._(
                        "The default status %(status)s of lead type %(type)s must "
                        "be one of the type's own statuses.",
                        status=lead_type.default_status_id.name,
                        type=lead_type.name,
                    )
                )
            categories = set(lead_type.status_ids.mapped("category"))
            missing = [
                label
                for category, label in CATEGORIES
                if category in ("new", "converted") and category not in categories
            ]
            if missing:
                raise ValidationError(
                    self.env._(
                        "Lead type %(type)s needs at least one status of category %(categories)s.",
                        type=lead_type.name,
                        categories=self.env._(" and ").join(
                            dict(
                                self.env["lead_pipeline.status"]
                                ._fields["category"]
                                ._description_selection(self.env)
                            ).get(c, c)
                            for c in ("new", "converted")
                            if c not in categories
                        ),
                    )
                )

    @api.onchange("status_ids")
    def _onchange_status_ids(self):
        if self.default_status_id not in self.status_ids._origin:
            self.default_status_id = self._first_status("new")

    def _first_status(self, category):
        """The type's first status of a category, in the admin's order."""
        self.ensure_one()
        return self.status_ids.filtered(lambda s: s.category == category).sorted()[:1]

    @api.model
    @tools.ormcache()
    def _pipeline_map(self):
        """The pipelines as the lead form and cards need them, read once per
        worker until a type or a status changes (their ``create``, ``write``
        and ``unlink`` clear the cache): ({type id: (its active status ids,
        the ids it converts from)}, {status id: its allowed next ids})."""
        # whoever fills the cache: archived statuses never in a pipeline
        types = self.sudo().with_context(active_test=True).search([("active", "in", [True, False])])
        by_type = {
            lead_type.id: (
                tuple(lead_type.status_ids.ids),
                tuple(lead_type._get_convert_statuses().ids),
            )
            for lead_type in types
        }
        statuses = (
            self.env["lead_pipeline.status"]
            .sudo()
            .with_context(active_test=True)
            .search([("active", "in", [True, False])])
        )
        return by_type, {status.id: tuple(status.allowed_next_ids.ids) for status in statuses}

    def _get_convert_statuses(self):
        self.ensure_one()
        return self.convert_status_ids or self.status_ids.filtered(
            lambda status: status.category == "qualified"
        )

    def _get_default_status(self):
        self.ensure_one()
        return self.default_status_id or self._first_status("new")

    @api.model
    def _get_default_type(self, company=None):
        company = company or self.env.company
        return self.search(
            [("company_id", "in", [company.id, False])], order="sequence, id", limit=1
        )

    def action_open_pipeline(self):
        """The type's own pipeline: statuses differ from type to type."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "lead_pipeline.crm_lead_action_pipeline"
        )
        action["display_name"] = self.name
        action["domain"] = [("lead_type_id", "=", self.id), ("type", "=", "lead")]
        action["context"] = {
            "default_lead_type_id": self.id,
            "default_type": "lead",
            "lead_pipeline_type_id": self.id,
        }
        return action

    def action_open_statuses(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lead_pipeline.lead_status_action")
        action["domain"] = [("type_ids", "in", self.ids)]
        action["context"] = {"default_type_ids": [(6, 0, self.ids)]}
        return action

    def write(self, vals):
        res = super().write(vals)
        if "qualification_framework" in vals:
            self._qualification_sync_leads()
        return res

    def _qualification_sync_leads(self):
        """A type's leads answer its (new) framework's criteria."""
        self.env["crm.lead"].sudo().search(
            [("lead_type_id", "in", self.ids), ("type", "=", "lead")]
        )._lead_qualification_sync()

    def _qualification_criteria(self):
        """{type id: criteria} for these types, in one search."""
        Criterion = self.env["lead_pipeline.qualification.criterion"].sudo()
        used = self.filtered(lambda lead_type: lead_type.qualification_framework != "none")
        if not used:
            return {}
        criteria = Criterion.search(
            [
                "|",
                ("framework", "in", list(set(used.mapped("qualification_framework")) - {"custom"})),
                ("lead_type_id", "in", used.ids),
            ]
        )
        result = {}
        for lead_type in used:
            if lead_type.qualification_framework == "custom":
                result[lead_type.id] = criteria.filtered(lambda c, t=lead_type: c.lead_type_id == t)
            else:
                result[lead_type.id] = criteria.filtered(
                    lambda c, t=lead_type: c.framework == t.qualification_framework
                )
        return result
