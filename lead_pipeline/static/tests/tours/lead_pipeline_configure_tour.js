import { registry } from "@web/core/registry";

// An admin adds a status to a lead type's pipeline, one that requires a field
// to be entered, from the type's form.
registry.category("web_tour.tours").add("lead_pipeline_configure_type", {
    url: "/odoo/crm",
    steps: () => [
        {
            trigger: "[data-menu-xmlid='crm.crm_menu_config']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='lead_pipeline.menu_lead_type']",
            run: "click",
        },
        {
            trigger: ".o_data_row:contains('Tour Partners') td[name=name]",
            run: "click",
        },
        {
            content: "add a status to the type's pipeline",
            trigger: ".o_field_widget[name=status_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            trigger: ".modal .o_create_button",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit Tour Screening",
        },
        {
            trigger: ".modal .o_field_widget[name=category] select",
            run: 'select "working"',
        },
        {
            content: "leads enter this status only with a website",
            trigger: ".modal .o_field_widget[name=required_field_ids] input",
            run: "edit Website",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Website')",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=required_field_ids] .o_tag:contains('Website')",
        },
        {
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=status_ids] .o_data_row:contains('Tour Screening')",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
    ],
});
