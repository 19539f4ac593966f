import { registry } from "@web/core/registry";

function answerMet(criterion) {
    const row = `.o_field_widget[name=lead_qualification_ids] .o_data_row:contains('${criterion}')`;
    const selected = `.o_field_widget[name=lead_qualification_ids] .o_selected_row:contains('${criterion}')`;
    return [
        { trigger: `${row} td[name=state]`, run: "click" },
        { trigger: `${selected} .o_selection_badge[value='"met"']`, run: "click" },
        { trigger: `${selected} .o_selection_badge.active[value='"met"']` },
    ];
}

function addContact(name) {
    const list = ".o_field_widget[name=lead_contact_ids]";
    return [
        { trigger: `${list} .o_field_x2many_list_row_add a`, run: "click" },
        { trigger: `${list} .o_selected_row .o_field_widget[name=name] input`, run: `edit ${name}` },
        { trigger: `${list} .o_selected_row .o_field_widget[name=email] input`, run: `edit ${name.split(" ")[0].toLowerCase()}@day.example` },
    ];
}

// A salesperson's day, as that salesperson: a new lead with two contact
// persons, a checkpoint status that asks for a field (refused, then filled),
// the qualification answered, the lead qualified and converted.
registry.category("web_tour.tours").add("lead_pipeline_salesperson_day", {
    steps: () => [
        {
            trigger: ".o_form_view .o_field_widget[name=name] textarea",
            run: "edit Day Lead",
        },
        {
            trigger: ".o_notebook .nav-link:contains('Contact Persons')",
            run: "click",
        },
        ...addContact("Dora Day"),
        ...addContact("Dan Day"),
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "the first contact person is the lead's contact",
            trigger: ".o_form_view .o_field_widget[name=contact_name] input:value(Dora Day)",
        },
        {
            content: "the checkpoint asks for the company name",
            trigger: ".o_statusbar_status button:contains('Day Checkpoint')",
            run: "click",
        },
        {
            trigger: ".modal-body:contains('fill in Company Name to enter status Day Checkpoint')",
        },
        {
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=partner_name] input",
            run: "edit Day Company s.r.o.",
        },
        {
            content: "the move is still pending: save it with the field filled",
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Day Checkpoint')",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            trigger: ".o_notebook .nav-link:contains('Qualification')",
            run: "click",
        },
        ...answerMet("Budget"),
        ...answerMet("Authority"),
        ...answerMet("Need"),
        ...answerMet("Timing"),
        {
            content: "qualify it from the status bar",
            trigger: ".o_statusbar_status button:contains('Day Qualified')",
            run: "click",
        },
        {
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains('Day Qualified')",
        },
        {
            trigger: ".o_form_view .o_form_saved",
        },
        {
            content: "convert the qualified lead",
            trigger: ".o_form_view button[name=action_lead_pipeline_convert]",
            run: "click",
        },
        {
            trigger: ".modal .o_field_widget[name=line_ids] td:contains('Create a new company')",
        },
        {
            trigger: ".modal button[name=action_convert]",
            run: "click",
        },
        {
            content: "the new customer opens, with both contact persons",
            trigger: ".o_breadcrumb:contains('Day Company s.r.o.')",
        },
        {
            trigger: ".o_form_view .o_kanban_record:contains('Dan Day')",
        },
    ],
});
