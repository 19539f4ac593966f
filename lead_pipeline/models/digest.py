from odoo import fields, models
from odoo.exceptions import AccessError


class Digest(models.Model):
    _inherit = "digest.digest"

    kpi_lead_pipeline_new = fields.Boolean("New Leads (Lead Pipeline)")
    kpi_lead_pipeline_new_value = fields.Integer(compute="_compute_kpi_lead_pipeline_new_value")
    kpi_lead_pipeline_converted = fields.Boolean("Converted Leads")
    kpi_lead_pipeline_converted_value = fields.Integer(
        compute="_compute_kpi_lead_pipeline_converted_value"
    )

    def _check_lead_pipeline_access(self):
        if not self.env.user.has_group("sales_team.group_sale_salesman"):
            raise AccessError(
                self.env._("Do not have access, skip this data for user's digest email")
            )

    def _compute_kpi_lead_pipeline_new_value(self):
        self._check_lead_pipeline_access()
        self._calculate_company_based_kpi(
            "crm.lead",
            "kpi_lead_pipeline_new_value",
            additional_domain=[
                ("lead_type_id", "!=", False),
                ("active", "in", [True, False]),
            ],
        )

    def _compute_kpi_lead_pipeline_converted_value(self):
        self._check_lead_pipeline_access()
        self._calculate_company_based_kpi(
            "crm.lead",
            "kpi_lead_pipeline_converted_value",
            date_field="lead_converted_date",
            additional_domain=[
                ("lead_converted_date", "!=", False),
                ("active", "in", [True, False]),
            ],
        )

    def _compute_kpis_actions(self, company, user):
        res = super()._compute_kpis_actions(company, user)
        menu = self.env.ref("crm.crm_menu_root").id
        res["kpi_lead_pipeline_new"] = f"lead_pipeline.crm_lead_action_pipeline?menu_id={menu}"
        res["kpi_lead_pipeline_converted"] = f"lead_pipeline.report_action?menu_id={menu}"
        return res
