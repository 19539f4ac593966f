{
    "name": "Lead Pipeline",
    "summary": "Lead types, configurable lead statuses and contact persons, "
    "kept apart from customers until conversion",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/lead-pipeline/lead_pipeline",
    "author": "lead_pipeline developers",
    "license": "LGPL-3",
    "depends": ["crm"],
    "external_dependencies": {"python": ["phonenumbers"]},
    "data": [
        "security/lead_pipeline_security.xml",
        "security/ir.model.access.csv",
        "data/utm_source_data.xml",
        "data/lead_status_data.xml",
        "data/lead_type_data.xml",
        "data/crm_tag_data.xml",
        "views/lead_status_views.xml",
        "views/lead_type_views.xml",
        "views/lead_contact_views.xml",
        "views/status_history_views.xml",
        "views/crm_lead_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_partner_views.xml",
        "views/intake_policy_views.xml",
        "wizards/convert_wizard_views.xml",
        "views/lead_pipeline_menus.xml",
    ],
    "demo": [
        "demo/lead_pipeline_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "lead_pipeline/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
}
