"""The ``ui`` part: the calls the web client makes to draw the pipeline
screens on a large base, with the specification its views send.

The specification of each view is built from its arch as ``get_views``
returns it (the fields of the view, many2one as ``display_name``, tags with
their colour, inline lists with their own fields, optional columns hidden by
default left out of lists), as the web client's arch parsers do. A grouped
kanban is ``web_read_group`` (with the aggregates of the numeric fields it
shows, at most 10 open groups), ``read_progress_bar`` when the view has one,
and ``web_search_read`` of 40 cards for each unfolded column; a list is one
``web_search_read`` of 80 rows; a form is one ``web_read``.
"""

import statistics
import time
from functools import partial

from lxml import etree

import bench as base
from odoo import api

ROUNDS = base.bench_size(10, 2)
# screens drawn in a few milliseconds (a form, a list) vary by more than the
# difference measured: their median is taken over more runs
FAST_ROUNDS = base.bench_size(50, 2)
FAST_SCREENS = ("list", "form", "overview")
LEAD_DOMAIN = [("type", "=", "lead")]
KANBAN_LIMIT = 40
LIST_LIMIT = 80
OPEN_GROUP_LIMIT = 10


def _field_nodes(node):
    """The field nodes of a view, not descending into inline subviews."""
    for child in node:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "field":
            yield child
            continue
        yield from _field_nodes(child)


def view_spec(env, model, arch, view_type):
    fields = env[model].fields_get(attributes=["type", "relation"])
    spec = {}
    for node in _field_nodes(arch):
        name = node.get("name")
        if name not in fields:
            continue
        if view_type == "list" and node.get("optional") == "hide":
            continue
        field = fields[name]
        if field["type"] == "many2one":
            spec[name] = {"fields": {"display_name": {}}}
        elif field["type"] in ("one2many", "many2many"):
            subview = next(
                (c for c in node if isinstance(c.tag, str) and c.tag in ("list", "kanban")), None
            )
            if subview is not None:
                sub = view_spec(env, field["relation"], subview, "list")
                spec[name] = {"fields": sub, "limit": LIST_LIMIT if view_type == "form" else 40}
            elif node.get("widget") in ("many2many_tags", "many2many_tags_avatar"):
                sub = {"display_name": {}}
                if "color_field" in (node.get("options") or ""):
                    sub["color"] = {}
                spec[name] = {"fields": sub}
            else:
                spec[name] = {}
        else:
            spec.setdefault(name, {})
    if view_type == "form":
        spec["display_name"] = {}
    return spec


def load_view(env, model, xmlid, view_type):
    view = env.ref(xmlid)
    result = env[model].get_views([(view.id, view_type)])
    arch = etree.fromstring(result["views"][view_type]["arch"])
    return arch, view_spec(env, model, arch, view_type)


def kanban_screen(env, model, arch, spec, groupby):
    """Opening a grouped kanban of leads: the calls and how many."""
    domain = LEAD_DOMAIN
    Model = env[model].with_context(default_type="lead")
    fields = env[model].fields_get(attributes=["aggregator"])
    aggregates = [
        f"{name}:{fields[name]['aggregator']}"
        for name in spec
        if fields.get(name, {}).get("aggregator") and name != groupby
    ]
    result = Model.web_read_group(
        domain, aggregates, [groupby], limit=OPEN_GROUP_LIMIT, offset=0, orderby="", lazy=True
    )
    calls = 1
    progressbar = arch.find(".//progressbar")
    if progressbar is not None:
        Model.read_progress_bar(
            domain,
            groupby,
            {
                "field": progressbar.get("field"),
                "colors": progressbar.get("colors"),
                **(
                    {"sum_field": progressbar.get("sum_field")}
                    if progressbar.get("sum_field")
                    else {}
                ),
            },
        )
        calls += 1
    for group in result["groups"]:
        if group.get("__fold") or not group.get(groupby):
            continue
        Model.web_search_read(group["__domain"], spec, offset=0, limit=KANBAN_LIMIT)
        calls += 1
    return calls


def list_screen(env, model, spec, domain):
    env[model].web_search_read(domain, spec, offset=0, limit=LIST_LIMIT, count_limit=10001)
    return 1


def form_screen(env, model, spec, record_id):
    env[model].browse(record_id).web_read(spec)
    return 1


def overview_screen(env, model, spec):
    env[model].web_search_read([], spec, offset=0, limit=KANBAN_LIMIT, count_limit=10001)
    return 1


def populate(env, count, ours):
    """``count`` leads by bulk INSERT, the same ones in both databases, each
    in a CRM stage (native kanban) and, in lead_pipeline, in one of the
    statuses of one of the lead types (the Leads by Status kanban)."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM crm_lead WHERE name LIKE 'UI lead %%'")
    missing = count - cr.fetchone()[0]
    if missing <= 0:
        return
    users = env["res.users"].search([("share", "=", False)], order="id", limit=12).ids
    stages = env["crm.stage"].search([], order="sequence, id").ids
    tags = [
        env["crm.tag"].search([("name", "=", f"UI tag {i}")], limit=1).id
        or env["crm.tag"].create({"name": f"UI tag {i}", "color": i + 1}).id
        for i in range(4)
    ]
    params = {
        "count": missing,
        "users": users,
        "nusers": len(users),
        "stages": stages,
        "nstages": len(stages),
        "company": env.company.id,
    }
    extra_columns = extra_values = ""
    if ours:
        pairs = [
            (lead_type.id, status.id, status.category)
            for lead_type in env["lead_pipeline.lead.type"].search([])
            for status in lead_type.status_ids
        ]
        params.update(
            types=[p[0] for p in pairs],
            statuses=[p[1] for p in pairs],
            categories=[p[2] for p in pairs],
            npairs=len(pairs),
        )
        extra_columns = (
            ", lead_type_id, lead_status_id, lead_status_category, lead_status_date, "
            "lead_deadline, lead_qualification_score"
        )
        extra_values = (
            ", (%(types)s)[1 + n %% %(npairs)s], (%(statuses)s)[1 + n %% %(npairs)s], "
            "(%(categories)s)[1 + n %% %(npairs)s], now() - (n %% 60) * interval '1 day', "
            "now() - (n %% 60) * interval '1 day' + interval '30 days', 0"
        )
    cr.execute(
        f"""
        INSERT INTO crm_lead (name, type, active, user_id, stage_id, company_id, email_from,
                              email_normalized, phone, partner_name, contact_name, priority,
                              expected_revenue, probability, create_date, write_date,
                              date_last_stage_update, date_open{extra_columns})
        SELECT 'UI lead ' || n, 'lead', true, (%(users)s)[1 + n %% %(nusers)s],
               (%(stages)s)[1 + n %% %(nstages)s], %(company)s,
               'ui' || n || '@lead.example', 'ui' || n || '@lead.example',
               '+421 2 ' || lpad(n::text, 8, '0'), 'UI Company ' || (n %% 5000),
               'UI Person ' || n, (n %% 4)::text, n %% 1000, n %% 100,
               now() - (n %% 730) * interval '1 day', now(),
               now() - (n %% 60) * interval '1 day', now() - (n %% 730) * interval '1 day'
               {extra_values}
          FROM generate_series(1, %(count)s) n
        RETURNING id
        """,
        params,
    )
    ids = [row[0] for row in cr.fetchall()]
    cr.execute(
        """
        INSERT INTO crm_tag_rel (lead_id, tag_id)
        SELECT id, (%(tags)s)[1 + id %% 4] FROM unnest(%(ids)s) id WHERE id %% 7 = 0
        ON CONFLICT DO NOTHING;
        ANALYZE crm_lead;
        ANALYZE crm_tag_rel;
        """,
        {"tags": tags, "ids": ids},
    )


def bench_ui(native_db, ours_db, count):
    native, ours = base.Side(native_db), base.Side(ours_db)
    for side in (native, ours):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            populate(env, count, side is ours)
    base.vacuum(native)
    base.vacuum(ours)
    screens = {
        native: [
            ("kanban", "crm.crm_case_kanban_view_leads", "stage_id"),
            ("list", "crm.crm_case_tree_view_leads", None),
            ("form", "crm.crm_lead_view_form", None),
            ("overview", "sales_team.crm_team_view_kanban_dashboard", None),
        ],
        ours: [
            ("kanban", "lead_pipeline.crm_lead_view_kanban", "lead_status_id"),
            ("list", "crm.crm_case_tree_view_leads", None),
            ("form", "crm.crm_lead_view_form", None),
            ("overview", "lead_pipeline.lead_type_view_kanban", None),
        ],
    }
    calls = {}
    for side in (native, ours):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env = env(user=env.ref("base.user_admin").id)
            cr.execute(
                "SELECT id FROM crm_lead WHERE name LIKE 'UI lead %%' ORDER BY id DESC LIMIT 1"
            )
            lead_id = cr.fetchone()[0]
            for name, xmlid, groupby in screens[side]:
                model = "crm.team" if "crm_team" in xmlid else None
                model = model or ("lead_pipeline.lead.type" if "lead_type" in xmlid else "crm.lead")
                view_type = "list" if name == "list" else ("form" if name == "form" else "kanban")
                arch, spec = load_view(env, model, xmlid, view_type)
                if name == "kanban":
                    call = partial(
                        kanban_screen, model=model, arch=arch, spec=spec, groupby=groupby
                    )
                elif name == "list":
                    call = partial(list_screen, model=model, spec=spec, domain=LEAD_DOMAIN)
                elif name == "form":
                    call = partial(form_screen, model=model, spec=spec, record_id=lead_id)
                else:
                    call = partial(overview_screen, model=model, spec=spec)
                calls[side, name] = call

    names = ["kanban", "list", "form", "overview"]
    timings = {key: [] for key in calls}
    queries = {}
    ncalls = {}
    for round_ in range(FAST_ROUNDS + 1):
        for name in names:
            if round_ > ROUNDS and name not in FAST_SCREENS:
                continue
            order = (native, ours) if round_ % 2 == 0 else (ours, native)
            for side in order:
                with side.registry.cursor() as cr:
                    env = api.Environment(cr, api.SUPERUSER_ID, {})
                    env = env(user=env.ref("base.user_admin").id)
                    env.invalidate_all()
                    start_queries = cr.sql_log_count
                    start = time.perf_counter()
                    ncalls[side, name] = calls[side, name](env)
                    elapsed = time.perf_counter() - start
                    if round_:  # the first round warms the caches, as a session has
                        timings[side, name].append(elapsed)
                        queries[side, name] = cr.sql_log_count - start_queries
                    cr.rollback()
    labels = {
        "kanban": (
            "kanban grouped (Leads by Status / crm kanban)",
            "web_read_group + read_progress_bar + web_search_read per open column",
        ),
        "list": ("lead list (web_search_read, 80 rows)", ""),
        "form": ("lead form (web_read)", ""),
        "overview": ("Lead Types overview / Sales Teams dashboard", ""),
    }
    print()
    print(
        f"Pipeline screens on {count:,} leads, the web client's calls with its views' "
        f"specifications, median of {ROUNDS} runs (list, form and overview: {FAST_ROUNDS})"
    )
    header = (
        f"{'screen':<46} {'native s':>9} {'lead_pipeline s':>16} {'ratio':>6} "
        f"{'q/call native':>14} {'q/call ours':>12}"
    )
    print(header)
    print("-" * len(header))
    for name in names:
        native_s = statistics.median(timings[native, name])
        ours_s = statistics.median(timings[ours, name])
        print(
            f"{labels[name][0]:<46} {native_s:>9.3f} {ours_s:>16.3f} {ours_s / native_s:>6.2f} "
            f"{queries[native, name] / ncalls[native, name]:>14.1f} "
            f"{queries[ours, name] / ncalls[ours, name]:>12.1f}"
        )
        detail = (
            f"  {ncalls[native, name]} call(s) native, {ncalls[ours, name]} lead_pipeline; "
            f"queries per screen {queries[native, name]} native, {queries[ours, name]} lead_pipeline"
        )
        print(detail)
