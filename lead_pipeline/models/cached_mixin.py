from odoo import api, models, tools


class CachedMixin(models.AbstractModel):
    """Configuration that every lead screen reads (lead types, statuses) is
    kept in per-worker caches: the pipelines (``_pipeline_map`` of lead
    types) and the display names. Any create, unlink, translation or write of
    a field in ``_lead_pipeline_cached_fields`` clears them, in every worker
    (Odoo signals the cleared cache through the database)."""

    _name = "lead_pipeline.cached.mixin"
    _description = "Lead Pipeline Cached Configuration"

    #: the fields the caches are made of
    _lead_pipeline_cached_fields = frozenset({"name"})

    @api.model
    @tools.ormcache("lang")
    def _lead_pipeline_names(self, lang):
        """{id: name} of every record, archived ones included, in ``lang``."""
        records = (
            self.sudo()
            .with_context(active_test=False, lang=lang)
            .search_fetch([], [self._rec_name])
        )
        convert = self._fields[self._rec_name].convert_to_display_name
        return {record.id: convert(record[self._rec_name], record) for record in records}

    @api.depends(lambda self: (self._rec_name,))
    @api.depends_context("lang")
    def _compute_display_name(self):
        # a form's many2one shows the name: no query for it once cached
        names = self._lead_pipeline_names(self.env.lang or "en_US")
        convert = self._fields[self._rec_name].convert_to_display_name
        for record in self:
            # new records (onchange) have no id and may carry an edited name
            if record.id and record.id in names:
                record.display_name = names[record.id]
            else:
                record.display_name = convert(record[self._rec_name], record)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        res = super().write(vals)
        if self._lead_pipeline_cached_fields & set(vals):
            self.env.registry.clear_cache()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def _update_field_translations(self, field_name, translations, digest=None, source_lang=None):
        res = super()._update_field_translations(
            field_name, translations, digest=digest, source_lang=source_lang
        )
        if field_name in self._lead_pipeline_cached_fields:
            self.env.registry.clear_cache()
        return res
