{
    "name": "Lead Pipeline - SMS",
    "summary": "Send an SMS template when a lead enters a status",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-pipeline/lead_pipeline",
    "author": "lead_pipeline developers",
    "license": "LGPL-3",
    "depends": ["lead_pipeline", "sms"],
    "data": ["views/lead_status_views.xml"],
    "auto_install": True,
}
