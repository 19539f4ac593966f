import { registry } from "@web/core/registry";

// A salesperson converts a qualified lead from its form and finds the new
// customer with the lead's history.
registry.category("web_tour.tours").add("lead_pipeline_convert_lead", {
    steps: () => [
        {
            content: "the qualified lead offers the Convert button",
            trigger: ".o_form_view button[name=action_lead_pipeline_convert]",
            run: "click",
        },
        {
            content: "the wizard proposes a new company for the lead",
            trigger: ".modal .o_field_widget[name=line_ids] td:contains('Create a new company')",
        },
        {
            trigger: ".modal button[name=action_convert]",
            run: "click",
        },
        {
            content: "the customer opens, named as the lead's company",
            trigger: ".o_breadcrumb:contains('Tour Customer a.s.')",
        },
        {
            content: "its chatter carries the lead's original request",
            trigger: ".o-mail-Message:contains('Original request'):contains('Forty trucks to track')",
        },
        {
            content: "its contact person came along",
            trigger: ".o_form_view .o_kanban_record:contains('Tina Tourist')",
        },
    ],
});
