from odoo import models


class IrRule(models.Model):
    _inherit = "ir.rule"

    def _compute_domain_context_values(self):
        """Odoo caches rule domains per user; the substitute rule on leads
        names who is away now, so its cache entry must not outlive the start
        or the end of an absence: the key carries where now falls among them."""
        yield from super()._compute_domain_context_values()
        yield self.env["lead_pipeline.absence"]._lead_pipeline_period()
