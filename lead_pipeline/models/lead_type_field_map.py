from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..logic.conversion import field_fits


def field_shape(env, model, fname):
    """A field as :func:`field_fits` reads it."""
    field = env[model]._fields[fname]
    shape = {"type": field.type, "comodel": field.comodel_name}
    if field.type == "selection":
        shape["selection"] = [key for key, _label in field._description_selection(env)]
    return shape


class LeadTypeFieldMap(models.Model):
    """A lead field that conversion copies into a partner field of another
    name, for leads of one type (fields of the same name and a fitting type
    travel without a line)."""

    _name = "lead_pipeline.lead.type.field.map"
    _description = "Lead Type: Field Carried at Conversion"
    _order = "type_id, id"

    type_id = fields.Many2one(
        "lead_pipeline.lead.type", required=True, ondelete="cascade", index=True
    )
    lead_field_id = fields.Many2one(
        "ir.model.fields",
        string="Lead Field",
        required=True,
        ondelete="cascade",
        domain="[('model', '=', 'crm.lead'), ('store', '=', True), "
        "('ttype', 'not in', ('one2many', 'many2one_reference', 'properties'))]",
    )
    partner_field_id = fields.Many2one(
        "ir.model.fields",
        string="Customer Field",
        required=True,
        ondelete="cascade",
        domain="[('model', '=', 'res.partner'), ('store', '=', True), ('readonly', '=', False), "
        "('ttype', 'not in', ('one2many', 'many2one_reference', 'properties'))]",
    )

    _sql_constraints = [
        (
            "partner_field_uniq",
            "unique(type_id, partner_field_id)",
            "A customer field receives at most one lead field per lead type.",
        ),
    ]

    @api.constrains("lead_field_id", "partner_field_id")
    def _check_field_types(self):
        for line in self:
            lead_field, partner_field = line.lead_field_id, line.partner_field_id
            if lead_field.model != "crm.lead" or partner_field.model != "res.partner":
                raise ValidationError(
                    self.env._("Map a field of the lead to a field of the customer.")
                )
            if lead_field.name not in self.env["crm.lead"]._fields or (
                partner_field.name not in self.env["res.partner"]._fields
            ):
                raise ValidationError(
                    self.env._("The field %(field)s no longer exists.", field=lead_field.name)
                )
            if not field_fits(
                field_shape(self.env, "crm.lead", lead_field.name),
                field_shape(self.env, "res.partner", partner_field.name),
            ):
                raise ValidationError(
                    self.env._(
                        "The lead field %(lead_field)s (%(lead_type)s) does not fit the "
                        "customer field %(partner_field)s (%(partner_type)s).",
                        lead_field=lead_field.field_description,
                        lead_type=lead_field.ttype,
                        partner_field=partner_field.field_description,
                        partner_type=partner_field.ttype,
                    )
                )
