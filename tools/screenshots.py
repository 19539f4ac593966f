"""Screenshots of the running demo for the readme fragments (a developer
tool, not part of the tests): `make run`, then
`python3 tools/screenshots.py http://localhost:8069 [name ...]` (every
screenshot without names; `--list` names them). Needs Playwright's Python
package and Debian's chromium (no browser download); Playwright may live in a
virtualenv of its own, as the script does not import Odoo."""

import base64
import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "lead_pipeline" / "static" / "description"
#: the upper part of the page, for short lists
TOP = {"x": 0, "y": 0, "width": 1400, "height": 360}
PAGES = [
    ("lead_types", "/odoo/action-lead_pipeline.lead_type_action_overview", ".o_kanban_record"),
    ("pipeline", "/odoo/action-lead_pipeline.crm_lead_action_pipeline", ".o_kanban_record"),
    ("routing_rules", "/odoo/action-lead_pipeline.routing_rule_action", ".o_list_renderer"),
    ("absences", "/odoo/action-lead_pipeline.absence_action", ".o_data_row"),
    ("analysis", "/odoo/action-lead_pipeline.report_action", ".o_pivot"),
    ("time_in_status", "/odoo/action-lead_pipeline.status_report_action", ".o_pivot"),
]


def shoot_page(page, base, name, path, ready):
    page.goto(base + path)
    page.wait_for_selector(ready, timeout=20000)
    if name == "routing_rules":  # the demo's rules are archived
        page.click(".o_searchview_dropdown_toggler")
        page.click(".o_filter_menu .o_menu_item:has-text('Archived')")
        page.wait_for_selector(".o_data_row")
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / f"{name}.png"))


def shoot_lead_form(page, base):
    """A lead's form, on its qualification tab."""
    page.goto(base + "/odoo/action-lead_pipeline.crm_lead_action_pipeline")
    page.click(".o_kanban_record:has-text('Ural Machinery')")
    page.wait_for_selector(".o_form_view")
    page.click(".o_notebook .nav-link:has-text('Qualification')")
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "lead_form.png"))


def shoot_hot_prospects(page, base):
    """The customers under the Hot Prospects filter (Filters menu of the
    customers' search)."""
    page.goto(base + "/odoo/action-contacts.action_contacts")
    page.wait_for_selector(".o_kanban_record")
    page.click(".o_searchview_dropdown_toggler")
    page.click(".o_filter_menu .o_menu_item:has-text('Hot Prospects')")
    page.wait_for_selector(".o_searchview_facet:has-text('Hot Prospects')")
    page.keyboard.press("Escape")  # close the menu: the facet names the filter
    page.wait_for_function(
        "document.querySelectorAll('.o_kanban_record:not(.o_kanban_ghost)').length < 10"
    )
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "hot_prospects.png"), clip=TOP)


def shoot_quick_entry(page, base):
    """Quick entry of someone asking for an offer now (nothing is saved)."""
    page.goto(base + "/odoo/action-lead_pipeline.crm_lead_action_pipeline")
    page.wait_for_selector(".o_kanban_record")
    page.click(".o_main_navbar .dropdown-toggle:has-text('Lead Pipeline')")
    page.click(".dropdown-item:has-text('Quick Entry')")
    dialog = ".modal .o_form_view"
    page.wait_for_selector(dialog)
    page.fill(f"{dialog} div[name=partner_name] input", "Vltava Interiors s.r.o.")
    page.fill(f"{dialog} div[name=contact_name] input", "Eva Dvořáková")
    page.fill(f"{dialog} div[name=email] input", "eva@vltava-interiors.example")
    page.click(f"{dialog} div[name=entry_channel] label:has-text('Phone Call')")
    page.click(f"{dialog} div[name=as_customer] input")
    page.fill(f"{dialog} div[name=note] textarea", "Wants an offer for 40 office chairs by Friday.")
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "quick_entry.png"))
    page.click(".modal .btn-secondary:has-text('Cancel')")


def call(page, base, model, method, args, **kwargs):
    """A JSON-RPC call in the browser's session, as the web client makes it."""
    payload = {"model": model, "method": method, "args": args, "kwargs": kwargs}
    response = page.request.post(
        f"{base}/web/dataset/call_kw/{model}/{method}",
        data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": payload}),
        headers={"Content-Type": "application/json"},
    )
    result = response.json()
    if "error" in result:
        raise RuntimeError(result["error"]["data"]["message"])
    return result["result"]


def shoot_customer_chatter(page, base):
    """The customer's chatter after conversion: the lead's note with its
    attachment and its done call, carried over oldest first. A qualified demo
    lead gets that history first, then is converted with the convert form's
    proposal."""
    lead_ids = call(
        page,
        base,
        "crm.lead",
        "search",
        [
            [
                ("name", "=", "Partnership proposal"),
                ("partner_name", "=", "Baltic Timber Ltd"),
                ("type", "=", "lead"),
                ("lead_status_id.category", "=", "qualified"),
            ]
        ],
        limit=1,
    )
    if not lead_ids:
        sys.exit("customer_chatter: the qualified demo lead of Baltic Timber is gone (converted?)")
    lead_id = lead_ids[0]
    uid = call(page, base, "res.users", "search", [[("login", "=", "admin")]])[0]
    model_id = call(page, base, "ir.model", "search", [[("model", "=", "crm.lead")]])[0]
    call_type = call(page, base, "mail.activity.type", "search", [[("category", "=", "phonecall")]])
    activity = call(
        page,
        base,
        "mail.activity",
        "create",
        [
            {
                "res_model_id": model_id,
                "res_id": lead_id,
                "activity_type_id": call_type[0] if call_type else False,
                "summary": "Volumes for next season",
                "user_id": uid,
            }
        ],
    )
    call(
        page,
        base,
        "mail.activity",
        "action_feedback",
        [[activity]],
        feedback="Eva confirms they want to resell our licences in Slovakia from March.",
    )
    attachment = call(
        page,
        base,
        "ir.attachment",
        "create",
        [
            {
                "name": "licence_requirements.txt",
                "mimetype": "text/plain",
                "datas": base64.b64encode(
                    b"Reseller terms: 20 % margin, support in Slovak"
                ).decode(),
                "res_model": "crm.lead",
                "res_id": lead_id,
            }
        ],
    )
    call(
        page,
        base,
        "crm.lead",
        "message_post",
        [[lead_id]],
        body="Their conditions for the partnership offer, as sent after the call.",
        message_type="comment",
        subtype_xmlid="mail.mt_note",
        attachment_ids=[attachment],
    )
    context = {"active_model": "crm.lead", "active_ids": [lead_id]}
    wizard = call(page, base, "lead_pipeline.convert.wizard", "create", [{}], context=context)
    call(page, base, "lead_pipeline.convert.wizard", "action_convert", [[wizard]], context=context)
    partner = call(page, base, "crm.lead", "read", [[lead_id], ["partner_id"]])[0]["partner_id"]
    company = call(page, base, "res.partner", "read", [[partner[0]], ["commercial_partner_id"]])
    page.set_viewport_size({"width": 1920, "height": 1000})  # the chatter beside the form
    page.goto(f"{base}/odoo/contacts/{company[0]['commercial_partner_id'][0]}")
    page.wait_for_selector(".o-mail-Message:has-text('partnership offer')")
    page.wait_for_timeout(800)
    page.screenshot(path=str(OUT / "customer_chatter.png"))
    page.set_viewport_size({"width": 1400, "height": 820})


SHOTS = {
    **{
        name: (lambda page, base, args=(name, path, ready): shoot_page(page, base, *args))
        for name, path, ready in PAGES
    },
    "lead_form": shoot_lead_form,
    "hot_prospects": shoot_hot_prospects,
    "quick_entry": shoot_quick_entry,
    "customer_chatter": shoot_customer_chatter,
}


def main(base, names):
    unknown = set(names) - set(SHOTS)
    if unknown:
        sys.exit(f"unknown screenshots: {', '.join(sorted(unknown))}; known: {', '.join(SHOTS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 820})
        page.goto(f"{base}/web/login")
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", "admin")
        page.click(".oe_login_form button[type=submit]")
        page.wait_for_selector(".o_main_navbar")
        for name in names or SHOTS:
            SHOTS[name](page, base)
            print(OUT / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    if "--list" in sys.argv:
        print("\n".join(SHOTS))
        sys.exit(0)
    main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8069", sys.argv[2:])
