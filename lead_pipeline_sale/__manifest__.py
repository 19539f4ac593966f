{
    "name": "Lead Pipeline - Sales",
    "summary": "No quotation or order for a lead that was not converted",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-pipeline/lead_pipeline",
    "author": "lead_pipeline developers",
    "license": "LGPL-3",
    "depends": ["lead_pipeline", "sale_crm"],
    "auto_install": True,
}
