"""Screenshots of the running demo for the readme fragments (a developer
tool, not part of the tests): `make run`, then
`python3 tools/screenshots.py http://localhost:8069`. Needs Playwright's
Python package and Debian's chromium (no browser download)."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "lead_pipeline" / "static" / "description"
PAGES = [
    ("lead_types", "/odoo/action-lead_pipeline.lead_type_action_overview", ".o_kanban_record"),
    ("pipeline", "/odoo/action-lead_pipeline.crm_lead_action_pipeline", ".o_kanban_record"),
    ("routing_rules", "/odoo/action-lead_pipeline.routing_rule_action", ".o_list_renderer"),
    ("absences", "/odoo/action-lead_pipeline.absence_action", ".o_data_row"),
    ("analysis", "/odoo/action-lead_pipeline.report_action", ".o_pivot"),
    ("time_in_status", "/odoo/action-lead_pipeline.status_report_action", ".o_pivot"),
]


def main(base):
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
        page.click("button[type=submit]")
        page.wait_for_selector(".o_main_navbar")
        for name, path, ready in PAGES:
            page.goto(base + path)
            page.wait_for_selector(ready, timeout=20000)
            if name == "routing_rules":  # the demo's rules are archived
                page.click(".o_searchview_dropdown_toggler")
                page.click(".o_filter_menu .o_menu_item:has-text('Archived')")
                page.wait_for_selector(".o_data_row")
            page.wait_for_timeout(800)
            page.screenshot(path=str(OUT / f"{name}.png"))
        # a lead's form, on its qualification tab
        page.goto(base + "/odoo/action-lead_pipeline.crm_lead_action_pipeline")
        page.click(".o_kanban_record:has-text('Ural Machinery')")
        page.wait_for_selector(".o_form_view")
        page.click(".o_notebook .nav-link:has-text('Qualification')")
        page.wait_for_timeout(800)
        page.screenshot(path=str(OUT / "lead_form.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://localhost:8069")
