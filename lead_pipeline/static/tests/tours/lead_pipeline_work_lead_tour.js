import { registry } from "@web/core/registry";

// A salesperson works a lead through the kanban: drags it to the next
// status, answers its qualification criteria and qualifies it.
registry.category("web_tour.tours").add("lead_pipeline_work_lead", {
    url: "/odoo/crm",
    steps: () => [
        {
            trigger: "[data-menu-xmlid='lead_pipeline.menu_lead_pipeline']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='lead_pipeline.menu_crm_lead_pipeline']",
            run: "click",
        },
        {
            content: "drag the lead from its first status to the next",
            trigger: ".o_kanban_record:contains('Tour Working Lead')",
            run: "drag_and_drop (.o_kanban_group:has(.o_column_title:contains('Work Called')))",
        },
        {
            trigger: ".o_kanban_group:has(.o_column_title:contains('Work Called')) .o_kanban_record:contains('Tour Working Lead')",
            run: "click",
        },
        {
            trigger: ".o_notebook .nav-link:contains('Qualification')",
            run: "click",
        },
        {
            content: "answer each criterion: met",
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_data_row:contains('Budget') td[name=state]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Budget') .o_selection_badge[value='\"met\"']",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Budget') .o_selection_badge.active[value='\"met\"']",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_data_row:contains('Authority') td[name=state]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Authority') .o_selection_badge[value='\"met\"']",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Authority') .o_selection_badge.active[value='\"met\"']",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_data_row:contains('Need') td[name=state]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Need') .o_selection_badge[value='\"met\"']",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Need') .o_selection_badge.active[value='\"met\"']",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_data_row:contains('Timing') td[name=state]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Timing') .o_selection_badge[value='\"met\"']",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('Timing') .o_selection_badge.active[value='\"met\"']",
        },
        {
            content: "qualify it from the status bar",
            trigger: ".o_statusbar_status button:contains('Work Qualified')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Work Qualified')",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
