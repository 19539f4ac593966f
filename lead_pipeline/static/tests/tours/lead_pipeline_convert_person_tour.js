import { registry } from "@web/core/registry";

// A salesperson converts a B2C lead for one person and finds the lead's
// history (notes, e-mails, done activities, attachments) on the new person.
registry.category("web_tour.tours").add("lead_pipeline_convert_person", {
    steps: () => [
        {
            content: "the qualified lead offers the Convert button",
            trigger: ".o_form_view button[name=action_lead_pipeline_convert]",
            run: "click",
        },
        {
            content: "the wizard proposes a person, not a company, for a B2C lead",
            trigger: ".modal .o_field_widget[name=line_ids] td:contains('No company (a person)')",
        },
        {
            trigger: ".modal button[name=action_convert]",
            run: "click",
        },
        {
            content: "the new person opens",
            trigger: ".o_breadcrumb:contains('Petra Person')",
        },
        {
            content: "its chatter carries the salesperson's note from the lead",
            trigger: ".o-mail-Message:contains('Wants a quote for her flat')",
        },
        {
            content: "the done activity came along",
            trigger: ".o-mail-Message:contains('Measured the rooms')",
        },
        {
            content: "and the attachment",
            trigger: ".o-mail-AttachmentCard:contains('floorplan.txt')",
        },
    ],
});
