from odoo import api, models

#: xml id suffix -> name of the lead sources every database gets
LEAD_SOURCES = {
    "contact_form": "Contact Form",
    "external_database": "External Database",
    "trade_fair": "Conference or Trade Fair",
    "direct_contact": "Direct Contact",
    "office_visit": "Office Visit",
    "referral": "Referral",
    "marketing_campaign": "Marketing Campaign",
    "business_card": "Business Card",
    "social_media": "Social Media",
    "chat": "Chat",
    "phone_call": "Phone Call",
    "email": "E-mail",
}

#: the source a lead gets from the door it came in by, when its values name none
CHANNEL_SOURCES = {
    "mail": "email",
    "phone": "phone_call",
}


class UtmSource(models.Model):
    _inherit = "utm.source"

    @api.model
    def _lead_pipeline_ensure_sources(self):
        """Seed the lead sources, looking each one up first: by its xml id
        (an admin may have renamed it), else by name (UTM source names are
        unique and a duplicate would be silently renamed). Each gets an xml
        id so that data, demo files and the intake doors can refer to it."""
        IrModelData = self.env["ir.model.data"].sudo()
        xmlids = IrModelData.search(
            [("module", "=", "lead_pipeline"), ("model", "=", "utm.source")]
        )
        alive = set(self.browse(xmlids.mapped("res_id")).exists().ids)
        linked = {data.name[len("utm_source_") :] for data in xmlids if data.res_id in alive}
        wanted = {key: name for key, name in LEAD_SOURCES.items() if key not in linked}
        if not wanted:
            return
        existing = {
            source.name: source
            for source in self.with_context(active_test=False).search(
                [("name", "in", list(wanted.values()))]
            )
        }
        missing = [name for name in wanted.values() if name not in existing]
        for source in self.create([{"name": name} for name in missing]):
            existing[source.name] = source
        # an xml id left pointing to a deleted source is pointed anew
        IrModelData.search(
            [
                ("module", "=", "lead_pipeline"),
                ("model", "=", "utm.source"),
                ("name", "in", [f"utm_source_{key}" for key in wanted]),
            ]
        ).unlink()
        IrModelData.create(
            [
                {
                    "module": "lead_pipeline",
                    "name": f"utm_source_{key}",
                    "model": "utm.source",
                    "res_id": existing[name].id,
                    "noupdate": True,
                }
                for key, name in wanted.items()
            ]
        )
