from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression

from ..logic.transitions import StatusInfo

#: what the lead types' cached pipelines read of a status
STATUS_PIPELINE_FIELDS = frozenset(
    {"active", "sequence", "category", "allowed_next_ids", "type_ids", "company_id"}
)

CATEGORIES = [
    ("new", "New"),
    ("working", "Working"),
    ("qualified", "Qualified"),
    ("converted", "Converted"),
    ("disqualified", "Disqualified"),
]


class LeadStatus(models.Model):
    """A step of a lead pipeline, shaped by admins per lead type.

    Code reads ``category``, never ``name``: admins rename, translate and
    reorder statuses freely.
    """

    _name = "lead_pipeline.status"
    _inherit = ["lead_pipeline.cached.mixin"]
    _description = "Lead Status"
    _order = "sequence, id"
    # the pipelines (lead type's ``_pipeline_map``) and names are cached
    _lead_pipeline_cached_fields = STATUS_PIPELINE_FIELDS | {"name"}

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Folded in Pipeline",
        help="Folded statuses are shown collapsed in the pipeline kanban.",
    )
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share this status between companies.",
    )
    category = fields.Selection(
        CATEGORIES,
        required=True,
        default="working",
        help="What the status means to the application, whatever its name: "
        "new leads start in a 'new' status, conversion ends in 'converted', "
        "lost leads go to 'disqualified'.",
    )
    type_ids = fields.Many2many(
        "lead_pipeline.lead.type",
        "lead_pipeline_status_type_rel",
        "status_id",
        "type_id",
        string="Lead Types",
    )
    required_field_ids = fields.Many2many(
        "ir.model.fields",
        "lead_pipeline_status_required_field_rel",
        "status_id",
        "field_id",
        string="Required Fields",
        domain="[('model', '=', 'crm.lead'), ('store', '=', True), "
        "('ttype', 'not in', ('one2many', 'binary'))]",
        help="Fields a lead must have filled to enter this status.",
    )
    allowed_next_ids = fields.Many2many(
        "lead_pipeline.status",
        "lead_pipeline_status_transition_rel",
        "from_status_id",
        "to_status_id",
        string="Allowed Next Statuses",
        help="Statuses a lead may move to from this one. Empty: any status.",
    )
    reachable_from_id = fields.Many2one(
        "lead_pipeline.status",
        compute="_compute_reachable_from_id",
        search="_search_reachable_from_id",
        help="Technical: search the statuses a lead may move to from a status "
        "(its allowed next ones, or any when it names none), as the lead "
        "form's status bar does.",
    )
    require_qualification = fields.Boolean(
        string="All Criteria Met",
        help="Leads enter this status only when every qualification criterion of "
        "their type is met (types without a framework are not concerned).",
    )
    deadline_duration = fields.Float(
        "Maximum Time",
        help="How long a lead may stay in this status before its owner is reminded. 0: no limit.",
    )
    escalation_duration = fields.Float(
        "Escalate After",
        help="Time in the status after which the team leader (or the type's "
        "escalation user) is told. 0: no escalation.",
    )
    deadline_unit = fields.Selection(
        [("hours", "Hours"), ("days", "Days")], required=True, default="days"
    )
    deadline_working_time = fields.Boolean(
        "In Working Time",
        help="Count only the working time of the lead's company calendar (or of the "
        "current user's company for leads without a company).",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="E-mail on Entry",
        domain="[('model', '=', 'crm.lead')]",
        help="Sent to the lead's e-mail address when it enters this status, through "
        "the mail queue; blacklisted addresses are skipped.",
    )
    activity_plan_id = fields.Many2one(
        "mail.activity.plan",
        string="Activity Plan on Entry",
        domain="[('res_model', '=', 'crm.lead')]",
        help="Activities scheduled for the lead's owner when it enters this status.",
    )
    lead_count = fields.Integer(compute="_compute_lead_count")

    @api.constrains("deadline_duration", "escalation_duration")
    def _check_deadlines(self):
        for status in self:
            if status.deadline_duration < 0 or status.escalation_duration < 0:
                raise UserError(
                    self.env._("Status %(status)s: times cannot be negative.", status=status.name)
                )
            if (
                status.escalation_duration
                and status.deadline_duration
                and status.escalation_duration <= status.deadline_duration
            ):
                raise UserError(
                    self.env._(
                        "Status %(status)s: escalation must come after the maximum time.",
                        status=status.name,
                    )
                )

    @api.constrains("required_field_ids")
    def _check_required_field_ids(self):
        for status in self:
            wrong = status.required_field_ids.filtered(lambda f: f.model != "crm.lead")
            if wrong:
                raise UserError(
                    self.env._(
                        "Status %(status)s can only require fields of leads, not %(fields)s.",
                        status=status.name,
                        fields=", ".join(wrong.mapped("field_description")),
                    )
                )

    def _compute_reachable_from_id(self):
        self.reachable_from_id = False

    def _search_reachable_from_id(self, operator, value):
        # from the cached pipelines: the status bar's search costs no query
        if operator != "=" or not (value is False or value is None or type(value) is int):
            raise UserError(self.env._("Unsupported search on statuses reachable from a status."))
        allowed_next = self.env["lead_pipeline.lead.type"]._pipeline_map()[1]
        # a status the user may not read restricts nothing (tells nothing)
        readable = value and self.browse(value).exists()._filtered_access("read")
        next_ids = allowed_next.get(value) if readable else None
        return [("id", "in", next_ids)] if next_ids else expression.TRUE_DOMAIN

    def _compute_lead_count(self):
        counts = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [("lead_status_id", "in", self.ids)],
                ["lead_status_id"],
                ["__count"],
            )
        )
        for status in self:
            status.lead_count = counts.get(status, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        used = self.env["crm.lead"].sudo().with_context(active_test=False)
        used = used._read_group(
            [("lead_status_id", "in", self.ids)], ["lead_status_id"], ["__count"]
        )
        if used:
            raise UserError(
                self.env._(
                    "These statuses are used by leads and cannot be deleted; "
                    "archive them instead: %(statuses)s",
                    statuses=", ".join(f"{status.name} ({count})" for status, count in used),
                )
            )
        defaults = (
            self.env["lead_pipeline.lead.type"]
            .sudo()
            .with_context(active_test=False)
            .search([("default_status_id", "in", self.ids)])
        )
        if defaults:
            raise UserError(
                self.env._(
                    "These lead types start new leads in a status you are "
                    "deleting; choose another default status first: %(types)s",
                    types=", ".join(defaults.mapped("name")),
                )
            )

    def _status_info(self):
        """Plain snapshots for the decision logic, one per status. The
        required fields are ``ir.model.fields`` rows, which only
        administrators may read: their names and labels are read as superuser
        for this check alone, so that salespeople move their leads."""
        lead_fields = self.env["crm.lead"]._fields
        required = {status.id: status.sudo().required_field_ids for status in self}
        return {
            status.id: StatusInfo(
                id=status.id,
                name=status.name,
                category=status.category,
                sequence=status.sequence,
                allowed_next_ids=frozenset(status.allowed_next_ids.ids),
                required_fields=tuple(
                    (f.name, f.field_description)
                    for f in required[status.id]
                    if f.name in lead_fields
                ),
            )
            for status in self
        }
