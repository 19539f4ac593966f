import { registry } from "@web/core/registry";

// An admin creates a routing rule, checks it with the dry run, then types a
// new lead and finds it routed, with the explanation on its Routing tab.
registry.category("web_tour.tours").add("lead_pipeline_routing_rule", {
    url: "/odoo/crm",
    steps: () => [
        {
            trigger: "[data-menu-xmlid='crm.crm_menu_config']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='lead_pipeline.menu_routing_rule']",
            run: "click",
        },
        {
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] input",
            run: "edit Tour Rule",
        },
        {
            trigger: ".o_field_widget[name=strategy] select",
            run: 'select "fixed"',
        },
        {
            trigger: ".o_field_widget[name=fixed_user_id] input",
            run: "edit Tour Router",
        },
        {
            trigger: ".o-autocomplete--dropdown-item:contains('Tour Router')",
            run: "click",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            trigger: ".o_form_saved",
        },
        {
            content: "check the rule with the dry run",
            trigger: "[data-menu-xmlid='crm.crm_menu_config']",
            run: "click",
        },
        {
            trigger: "[data-menu-xmlid='lead_pipeline.menu_routing_dry_run']",
            run: "click",
        },
        {
            trigger: ".modal button[name=action_run]",
            run: "click",
        },
        {
            content: "the dry run says where the unassigned lead would go",
            trigger: ".modal .o_field_widget[name=line_ids] tr:contains('Tour Unassigned'):contains('Tour Router')",
        },
        {
            trigger: ".modal .o_field_widget[name=summary]:contains('would be routed')",
        },
        {
            trigger: ".modal-footer button:contains('Close')",
            run: "click",
        },
        {
            content: "type a new lead",
            trigger: "[data-menu-xmlid='crm.crm_menu_leads']",
            run: "click",
        },
        {
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=name] textarea",
            run: "edit Tour Typed Lead",
        },
        {
            trigger: ".o_field_widget[name=email_from] input",
            run: "edit typed@tour-routing.example",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "the lead went to the rule's salesperson",
            trigger: ".o_form_saved .o_field_widget[name=user_id]:contains('Tour Router'), .o_form_saved .o_field_widget[name=user_id] input:value('Tour Router')",
        },
        {
            content: "the Routing button opens the lead's routing log",
            trigger: "button[name=action_lead_pipeline_open_routing_log]",
            run: "click",
        },
        {
            content: "and the explanation says why",
            trigger: ".o_list_view td:contains('Routed by rule Tour Rule to Tour Router')",
        },
    ],
});
