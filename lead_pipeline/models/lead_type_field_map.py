from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..logic.conversion import NOT_TRAVELLING, field_fits


def field_shape(env, model, fname):
    """A field as :func:`field_fits` reads it."""
    field = env[model]._fields[fname]
    shape = {"type": field.type, "comodel": field.comodel_name}
    if field.type == "selection":
        shape["selection"] = [key for key, _label in field._description_selection(env)]
    return shape


def field_choices(env, model, writable=False):
    """The stored fields of ``model`` a mapping may name, by label."""
    fields_ = env[model]._fields.values()
    return sorted(
        (
            (field.name, f"{field._description_string(env)} ({field.name})")
            for field in fields_
            if field.store
            and field.type not in NOT_TRAVELLING
            and not field.automatic
            and not (writable and (field.readonly or field.compute))
        ),
        key=lambda choice: choice[1].lower(),
    )


class LeadTypeFieldMap(models.Model):
    """A lead field that conversion copies into a partner field of another
    name, for leads of one type (fields of the same name and a fitting type
    travel without a line). Fields are named, not linked to
    ``ir.model.fields``, which only administrators may read."""

    _name = "lead_pipeline.lead.type.field.map"
    _description = "Lead Type: Field Carried at Conversion"
    _order = "type_id, id"

    type_id = fields.Many2one(
        "lead_pipeline.lead.type", string="Lead Type", required=True, ondelete="cascade", index=True
    )
    lead_field = fields.Selection(selection="_selection_lead_field", required=True)
    partner_field = fields.Selection(
        selection="_selection_partner_field", string="Customer Field", required=True
    )

    _sql_constraints = [
        (
            "partner_field_uniq",
            "unique(type_id, partner_field)",
            "A customer field receives at most one lead field per lead type.",
        ),
    ]

    @api.model
    def _selection_lead_field(self):
        return field_choices(self.env, "crm.lead")

    @api.model
    def _selection_partner_field(self):
        return field_choices(self.env, "res.partner", writable=True)

    @api.constrains("lead_field", "partner_field")
    def _check_field_types(self):
        Lead, Partner = self.env["crm.lead"], self.env["res.partner"]
        for line in self:
            lead_field = Lead._fields[line.lead_field]
            partner_field = Partner._fields[line.partner_field]
            if not field_fits(
                field_shape(self.env, Lead._name, line.lead_field),
                field_shape(self.env, Partner._name, line.partner_field),
            ):
                raise ValidationError(
                    self.env._(
                        "The lead field %(lead_field)s (%(lead_type)s) does not fit the "
                        "customer field %(partner_field)s (%(partner_type)s).",
                        lead_field=lead_field._description_string(self.env),
                        lead_type=lead_field.type,
                        partner_field=partner_field._description_string(self.env),
                        partner_type=partner_field.type,
                    )
                )
