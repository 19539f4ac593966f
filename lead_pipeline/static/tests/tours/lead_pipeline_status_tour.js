import { registry } from "@web/core/registry";

// Drag a lead to a status whose required field is empty, read the error,
// fill the field in the form and enter the status from the status bar.
registry.category("web_tour.tours").add("lead_pipeline_status_required_field", {
    url: "/odoo/action-lead_pipeline.crm_lead_action_pipeline",
    steps: () => [
        {
            content: "drag the lead to the status that needs a company name",
            trigger: ".o_kanban_record:contains('Tour Lead')",
            run: "drag_and_drop (.o_kanban_group:has(.o_column_title:contains('Tour Qualified')))",
        },
        {
            content: "the error names the missing field",
            trigger: ".modal-body:contains('fill in Company Name to enter status Tour Qualified')",
        },
        {
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "the lead stayed where it was",
            trigger: ".o_kanban_group:has(.o_column_title:contains('Tour Called')) .o_kanban_record:contains('Tour Lead')",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=partner_name] input",
            run: "edit Tour Company s.r.o.",
        },
        {
            content: "enter the status from the status bar",
            trigger: ".o_statusbar_status button:contains('Tour Qualified')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Tour Qualified')",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
    ],
});
