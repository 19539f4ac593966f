import { registry } from "@web/core/registry";

// A salesperson opens two leads in a status with a deadline and a single
// allowed move: the one past its deadline shows it in red, the one in time
// does not; the status bar offers the current status and the allowed move.
function statusBar(leadName) {
    return [
        {
            content: "the lead's form is open",
            trigger: `.o_breadcrumb:contains('${leadName}')`,
        },
        {
            content: "the allowed move is offered",
            trigger: ".o_statusbar_status button:contains('Deadline Qualified')",
        },
        {
            content: "the current status is shown",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Deadline Called')",
        },
        {
            content: "a status not allowed from here is not",
            trigger: ".o_statusbar_status:not(:has(button:contains('Deadline New')))",
        },
    ];
}

registry.category("web_tour.tours").add("lead_pipeline_deadline_overdue", {
    steps: () => [
        ...statusBar("Late Lead"),
        {
            content: "past its deadline: in red",
            trigger: ".o_form_view .o_field_widget[name=lead_deadline].text-danger",
        },
    ],
});

registry.category("web_tour.tours").add("lead_pipeline_deadline_in_time", {
    steps: () => [
        ...statusBar("Timely Lead"),
        {
            content: "in time: the deadline shown, not in red",
            trigger: ".o_form_view .o_field_widget[name=lead_deadline]:not(.text-danger)",
        },
    ],
});
