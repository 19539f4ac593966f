{
    "name": "Lead Pipeline - Time Off",
    "summary": "Approved time off counts as away for lead routing, without extra set-up",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-pipeline/lead_pipeline",
    "author": "lead_pipeline developers",
    "license": "LGPL-3",
    "depends": ["lead_pipeline", "hr_holidays"],
    "auto_install": True,
}
