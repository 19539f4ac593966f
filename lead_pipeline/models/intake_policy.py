from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..logic.intake import ATTACH_CHANNELS

CHANNEL_SELECTION = [
    ("import", "Import"),
    ("mail", "E-mail Alias"),
    ("web_form", "Web-to-Lead Form"),
    ("website_form", "Website Contact Form"),
    ("api", "API / Manual"),
    ("phone", "Phone Call (Quick Entry)"),
]


class IntakePolicy(models.Model):
    """What intake does, per lead type and channel, with a lead for someone
    already in the base (a customer) or already an open lead. Without a
    policy: customers are attached where the channel can, else rejected;
    open leads are flagged."""

    _name = "lead_pipeline.intake.policy"
    _description = "Lead Intake Policy"
    _order = "lead_type_id, channel, scope"

    lead_type_id = fields.Many2one(
        "lead_pipeline.lead.type", ondelete="cascade", help="Empty: every lead type."
    )
    company_id = fields.Many2one(related="lead_type_id.company_id", store=True)
    channel = fields.Selection(CHANNEL_SELECTION, required=True)
    scope = fields.Selection(
        [("customer", "Already in the Base"), ("open_lead", "Already an Open Lead")],
        string="When the Lead Is",
        required=True,
    )
    action = fields.Selection(
        [
            ("allow", "Allow"),
            ("flag", "Flag as Possible Duplicate"),
            ("reject", "Reject"),
            ("attach", "Attach to the Existing Record"),
        ],
        required=True,
        help="Flag: create the lead, link and tag it, and give the owner of the "
        "existing record an activity. Attach: no new lead, the request is posted "
        "on the existing record (e-mail alias and web forms only; on public forms "
        "only for the same e-mail address or phone number, and a request with "
        "files becomes a flagged lead). Public forms answer every visitor the same "
        "way, and name no existing record.",
    )

    _sql_constraints = [
        (
            "policy_uniq",
            "unique(lead_type_id, channel, scope)",
            "There is already a policy for this lead type, channel and case.",
        ),
    ]

    @api.constrains("action", "channel")
    def _check_attach_channel(self):
        for policy in self:
            if policy.action == "attach" and policy.channel not in ATTACH_CHANNELS:
                raise ValidationError(
                    self.env._(
                        "Only the e-mail alias and web forms can attach a request to an "
                        "existing record; choose Flag or Reject for %(channel)s.",
                        channel=dict(CHANNEL_SELECTION)[policy.channel],
                    )
                )

    @api.model
    def _policy_map(self):
        """{(type id or None, channel, scope): action} in one search."""
        return {
            (policy.lead_type_id.id or None, policy.channel, policy.scope): policy.action
            for policy in self.search([])
        }
