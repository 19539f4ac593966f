from odoo import api, fields, models

COMPANY_ACTIONS = [
    ("create", "Create a new company"),
    ("link", "Link an existing company"),
    ("none", "No company (a person)"),
]
CONTACT_ACTIONS = [("create", "Create a new contact"), ("link", "Link an existing contact")]


class ConvertWizard(models.TransientModel):
    """The convert action's form: shows what converting the leads would make
    (``crm.lead._lead_pipeline_conversion_proposal``), lets the user change
    it, and converts through ``crm.lead._lead_pipeline_convert``."""

    _name = "lead_pipeline.convert.wizard"
    _description = "Convert Leads to Customers"

    line_ids = fields.One2many("lead_pipeline.convert.wizard.line", "wizard_id", string="Leads")
    contact_line_ids = fields.One2many(
        "lead_pipeline.convert.wizard.contact", "wizard_id", string="Contacts"
    )
    create_opportunity = fields.Boolean(
        help="The lead itself goes on as an opportunity in the pipeline, with its "
        "chatter, attachments and activities."
    )
    team_id = fields.Many2one("crm.team", string="Sales Team")
    user_id = fields.Many2one("res.users", string="Salesperson", domain="[('share', '=', False)]")
    any_status = fields.Boolean(
        "Convert Whatever the Status",
        groups="sales_team.group_sale_manager",
        help="Sales managers may convert leads whose status does not allow conversion.",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") != "crm.lead":
            return values
        leads = self.env["crm.lead"].browse(self.env.context.get("active_ids", []))
        proposal = leads._lead_pipeline_conversion_proposal()
        values.update(
            line_ids=[(0, 0, line) for line in proposal["lines"]],
            contact_line_ids=[(0, 0, line) for line in proposal["contact_lines"]],
        )
        return values

    def action_convert(self):
        self.ensure_one()
        manager = self.env.user.has_group("sales_team.group_sale_manager")
        leads = self.line_ids.lead_id._lead_pipeline_convert(
            lines=[
                {
                    "lead_id": line.lead_id.id,
                    "company_action": line.company_action,
                    "partner_id": line.partner_id.id,
                    "customer_id": line.customer_id.id,
                }
                for line in self.line_ids
            ],
            contact_lines=[
                {
                    "lead_id": line.lead_id.id,
                    "lead_contact_id": line.lead_contact_id.id,
                    "action": line.action,
                    "partner_id": line.partner_id.id,
                }
                for line in self.contact_line_ids
            ],
            create_opportunity=self.create_opportunity,
            user=self.user_id,
            team=self.team_id,
            enforce_status=not (manager and self.sudo().any_status),
        )
        if len(leads) == 1:
            if self.create_opportunity:
                return leads.redirect_lead_opportunity_view()
            return {
                "type": "ir.actions.act_window",
                "res_model": "res.partner",
                "res_id": leads.partner_id.commercial_partner_id.id,
                "view_mode": "form",
            }
        return {"type": "ir.actions.act_window_close"}


class ConvertWizardLine(models.TransientModel):
    _name = "lead_pipeline.convert.wizard.line"
    _description = "Convert Leads: Lead"

    wizard_id = fields.Many2one("lead_pipeline.convert.wizard", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    partner_name = fields.Char(related="lead_id.partner_name")
    company_action = fields.Selection(COMPANY_ACTIONS, required=True, default="create")
    partner_id = fields.Many2one(
        "res.partner", string="Company", domain="[('is_company', '=', True)]"
    )
    customer_id = fields.Many2one("res.partner", help="The customer already linked to the lead.")
    match_reason = fields.Char(readonly=True)


class ConvertWizardContact(models.TransientModel):
    _name = "lead_pipeline.convert.wizard.contact"
    _description = "Convert Leads: Contact Person"

    wizard_id = fields.Many2one("lead_pipeline.convert.wizard", required=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    lead_contact_id = fields.Many2one(
        "lead_pipeline.lead.contact", string="Contact Person", required=True, ondelete="cascade"
    )
    action = fields.Selection(CONTACT_ACTIONS, required=True, default="create")
    partner_id = fields.Many2one("res.partner", string="Existing Contact")
    match_reason = fields.Char(readonly=True)
