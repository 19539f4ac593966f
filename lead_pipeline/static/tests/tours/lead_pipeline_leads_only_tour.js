import { registry } from "@web/core/registry";

// A Leads Only user (marketing) opens their Leads app, works a lead through
// its status bar on Odoo's lead form (no quotations there), and finds its
// contact persons.
registry.category("web_tour.tours").add("lead_pipeline_leads_only", {
    url: "/odoo",
    steps: () => [
        {
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "the Leads app is theirs; Odoo's CRM app is not shown",
            trigger: ".o-dropdown--menu:has(.o_app[data-menu-xmlid='lead_pipeline.menu_leads_only_root']):not(:has(.o_app[data-menu-xmlid='crm.crm_menu_root']))",
        },
        {
            trigger: ".o_app[data-menu-xmlid='lead_pipeline.menu_leads_only_root']",
            run: "click",
        },
        {
            trigger: ".o_kanban_record:contains('Marketing Lead')",
            run: "click",
        },
        {
            content: "the lead form opens, without the quotations of sales",
            trigger: ".o_form_view:not(:has(button[name=action_view_sale_quotation]))",
        },
        {
            trigger: ".o_statusbar_status button:contains('Mkt Called')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Mkt Called')",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            trigger: "[data-menu-xmlid='lead_pipeline.menu_leads_only_contacts']",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_data_row:contains('Mia Marketing')",
        },
    ],
});
