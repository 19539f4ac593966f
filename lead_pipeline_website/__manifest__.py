{
    "name": "Lead Pipeline - Website",
    "summary": "Odoo's website contact form follows the lead intake policy",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-pipeline/lead_pipeline",
    "author": "lead_pipeline developers",
    "license": "LGPL-3",
    "depends": ["lead_pipeline", "website_crm"],
    "auto_install": True,
}
