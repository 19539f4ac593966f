"""Native Odoo vs lead_pipeline, same machine, same run, as ratios.

Each operation runs in both databases in alternating batches, so that drift
of the machine (caches, other load) touches both sides alike. Every batch is
one committed transaction, as a web request or an import chunk would be.
"""

import os
import sys
import time

import odoo
from odoo import api
from odoo.modules.registry import Registry

#: LP_BENCH_SIZE=tiny: every part at a few dozen records, to check that the
#: bench runs (make test), not to time anything
TINY = os.environ.get("LP_BENCH_SIZE") == "tiny"


def bench_size(full, tiny, env_var=None):
    """``full`` records, ``tiny`` with LP_BENCH_SIZE=tiny, or ``env_var``'s value."""
    if env_var and os.environ.get(env_var):
        return int(os.environ[env_var])
    return tiny if TINY else full


LEADS = bench_size(5000, 20)
BATCH = bench_size(500, 10)


def lead_values(offset, count):
    return [
        {
            "name": f"Bench lead {idx}",
            "type": "lead",
            "contact_name": f"Person {idx}",
            "partner_name": f"Company {idx % 997}",
            "email_from": f"person{idx}@company{idx % 997}.example",
            "phone": f"+421 2 {idx:08d}",
            "user_id": False,
        }
        for idx in range(offset, offset + count)
    ]


class Side:
    def __init__(self, db_name):
        self.registry = Registry(db_name)
        self.seconds = 0.0
        self.queries = 0

    def run(self, func):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env = env(user=env.ref("base.user_admin").id)
            start_queries = cr.sql_log_count
            start = time.perf_counter()
            func(env)
            env.flush_all()
            cr.commit()
            self.seconds += time.perf_counter() - start
            self.queries += cr.sql_log_count - start_queries


def bench_create(native, ours):
    for offset in range(0, LEADS, BATCH):
        for side in (native, ours) if offset // BATCH % 2 == 0 else (ours, native):
            side.run(lambda env, offset=offset: env["crm.lead"].create(lead_values(offset, BATCH)))
    return LEADS


CONVERT = bench_size(500, 20)


def convert_values(env, offset):
    """500 leads of 250 companies, each company with two leads."""
    values = lead_values(offset, CONVERT)
    for idx, vals in enumerate(values):
        vals["partner_name"] = f"Convert Company {idx // 2}"
        vals["email_from"] = f"buyer{offset + idx}@convert{idx // 2}.example"
    if "lead_pipeline.status" in env:
        qualified = env.ref("lead_pipeline.status_qualified")
        for vals in values:
            vals["lead_status_id"] = qualified.id
    return values


def convert_history(env, lead_ids):
    """Each lead's history, on both sides alike: a note with an attachment
    and a done activity (which lead_pipeline carries to the customer)."""
    attachments = env["ir.attachment"].create(
        [
            {
                "name": f"brief{lead_id}.txt",
                "raw": b"brief",
                "res_model": "crm.lead",
                "res_id": lead_id,
            }
            for lead_id in lead_ids
        ]
    )
    note = env.ref("mail.mt_note").id
    done = env.ref("mail.mt_activities").id
    call = env.ref("mail.mail_activity_data_call").id
    env["mail.message"].create(
        [
            values
            for lead_id, attachment in zip(lead_ids, attachments.ids, strict=True)
            for values in (
                {"model": "crm.lead", "res_id": lead_id, "body": "Called, wants a demo",
                 "message_type": "comment", "subtype_id": note,
                 "attachment_ids": [(6, 0, [attachment])]},
                {"model": "crm.lead", "res_id": lead_id, "body": "Demo went well",
                 "message_type": "notification", "subtype_id": done,
                 "mail_activity_type_id": call},
            )
        ]
    )  # fmt: skip


def bench_convert(native, ours):
    """Odoo's mass conversion wizard vs lead_pipeline's convert action, on
    the same 500 leads (created beforehand, outside the timing)."""
    lead_ids = {}
    for side in (native, ours):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            lead_ids[side] = env["crm.lead"].create(convert_values(env, 100000)).ids
            convert_history(env, lead_ids[side])

    def native_convert(env):
        wizard = (
            env["crm.lead2opportunity.partner.mass"]
            .with_context(active_model="crm.lead", active_ids=lead_ids[native])
            .create({"name": "convert", "action": "each_exist_or_create", "deduplicate": False})
        )
        wizard.action_mass_convert()

    def ours_convert(env):
        wizard = (
            env["lead_pipeline.convert.wizard"]
            .with_context(active_model="crm.lead", active_ids=lead_ids[ours])
            .create({"create_opportunity": True})
        )
        wizard.action_convert()

    native.run(native_convert)
    ours.run(ours_convert)
    return CONVERT


def populate(side, target):
    """Grow the base to ``target`` existing partners and leads (half each),
    inserted in bulk with their matching keys, as a long-lived database has."""
    with side.registry.cursor() as cr:
        cr.execute("SELECT count(*) FROM res_partner WHERE email LIKE 'base%%@existing.example'")
        have = cr.fetchone()[0] * 2
        missing = max(target - have, 0) // 2
        if not missing:
            return
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        lead_type = env["lead_pipeline.lead.type"]._get_default_type()
        status = lead_type._get_default_status()
        cr.execute(
            """
            INSERT INTO res_partner (name, email, match_email, match_name, active, is_company,
                                     type, create_date, write_date)
            SELECT 'Base Company ' || n, 'base' || n || '@existing.example',
                   'base' || n || '@existing.example', 'base company ' || n, true, true,
                   'contact', now(), now()
              FROM generate_series(%(start)s, %(stop)s) n;
            INSERT INTO crm_lead (name, type, active, email_from, email_normalized, match_email,
                                  match_name, lead_type_id, lead_status_id, lead_status_category,
                                  create_date, write_date)
            SELECT 'Base lead ' || n, 'lead', true, 'lead' || n || '@existing.example',
                   'lead' || n || '@existing.example', 'lead' || n || '@existing.example',
                   'base lead company ' || n, %(type)s, %(status)s, 'new', now(), now()
              FROM generate_series(%(start)s, %(stop)s) n;
            ANALYZE res_partner;
            ANALYZE crm_lead;
            """,
            {
                "start": have // 2,
                "stop": have // 2 + missing - 1,
                "type": lead_type.id,
                "status": status.id,
            },
        )


def _create_by(env, channel, vals_list):
    """Create as the door ``channel`` would (None: as code), as the addon's
    own code names it (lead_pipeline's internal contextvar, not the context)."""
    from odoo.addons.lead_pipeline.models.internal import intake_channel

    with intake_channel(channel):
        return env["crm.lead"].create(vals_list)


def bench_intake(db_name):
    """Creating leads with intake matching on (the API channel) against a base
    of 1,000 and of 100,000 existing partners and leads, each against plain
    creation (no channel) in the same database, in alternating batches."""
    rows = []
    offset = 500000
    for base_size in (bench_size(1000, 10), bench_size(100000, 20)):
        plain, matching = Side(db_name), Side(db_name)
        populate(plain, base_size)
        for start in range(0, LEADS, BATCH):
            order = (plain, matching) if start // BATCH % 2 == 0 else (matching, plain)
            for side in order:
                channel = "api" if side is matching else None
                offset += BATCH
                side.run(lambda env, o=offset, c=channel: _create_by(env, c, lead_values(o, BATCH)))
        rows.append((base_size, plain, matching))
    header = f"{'existing records':<18} {'plain s':>8} {'matching s':>11} {'overhead':>9} {'q/lead plain':>13} {'q/lead matching':>16}"
    print()
    print(f"Intake matching, {LEADS:,} leads in batches of {BATCH} (lead_pipeline database)")
    print(header)
    print("-" * len(header))
    for base_size, plain, matching in rows:
        print(
            f"{base_size:<18,} {plain.seconds:>8.2f} {matching.seconds:>11.2f} "
            f"{matching.seconds / plain.seconds:>9.2f} {plain.queries / LEADS:>13.3f} "
            f"{matching.queries / LEADS:>16.3f}"
        )
    small, large = rows[0][2], rows[1][2]
    print(f"per-lead matching time, 100k base / 1k base: {large.seconds / small.seconds:.2f}")


ROUTE = bench_size(5000, 20)
COUNTRIES = ["sk", "cz", "pl", "de", "at", "hu", "fr", "it", "es", "nl", "be", "ch"]
SOURCES = ["Newsletter", "Trade Fair", "Partner", "Webinar", "Cold List"]


def routing_setup(env, with_rules):
    """A realistic set-up: 3 teams of 4 salespeople; in lead_pipeline 20
    rules by country (the first ten countries), source and tag with
    round-robin, least-loaded and capacity strategies and a catch-all; in
    native Odoo the same teams with country domains and members whose
    monthly maximum is high enough that the native quota does not cap it.
    Set up once per database: a second call returns the same references."""
    if env["res.users"].search([("login", "=", "router0@bench.example")]):
        return {
            "countries": [env.ref(f"base.{code}").id for code in COUNTRIES],
            "sources": env["utm.source"].search([("name", "in", SOURCES)]).ids,
            "tags": env["crm.tag"].search([("name", "like", "Bench tag ")], order="id").ids,
        }
    countries = [env.ref(f"base.{code}") for code in COUNTRIES]
    sources = [
        env["utm.source"].search([("name", "=", name)], limit=1)
        or env["utm.source"].create({"name": name})
        for name in SOURCES
    ]
    tags = [env["crm.tag"].create({"name": f"Bench tag {i}"}) for i in range(4)]
    group = env.ref("sales_team.group_sale_salesman")
    users = env["res.users"].create(
        [
            {
                "name": f"Router {i}",
                "login": f"router{i}@bench.example",
                "groups_id": [(6, 0, group.ids)],
            }
            for i in range(12)
        ]
    )
    teams = env["crm.team"].create(
        [
            {
                "name": f"Bench team {t}",
                "use_leads": True,
                "assignment_domain": repr(
                    [("country_id", "in", [c.id for c in countries[t * 4 : t * 4 + 4]])]
                ),
                "crm_team_member_ids": [
                    (0, 0, {"user_id": user.id, "assignment_max": 30000})
                    for user in users[t * 4 : t * 4 + 4]
                ],
            }
            for t in range(3)
        ]
    )
    refs = {
        "countries": [c.id for c in countries],
        "sources": [r.id for r in sources],
        "tags": [t.id for t in tags],
    }
    if not with_rules:
        return refs
    strategies = ["round_robin", "least_loaded", "capacity"]
    rules = []
    for i, country in enumerate(countries[:10]):
        team = teams[i // 4 if i < 12 else 2]
        members = users[(i // 4) * 4 : (i // 4) * 4 + 4]
        rules.append(
            {
                "name": f"Country {country.code}",
                "sequence": i,
                "domain": repr([("country_id", "=", country.id), ("tag_ids", "=", False)]),
                "team_id": team.id,
                "strategy": strategies[i % 3],
                "owner_continuity": i == 0,
                "member_ids": [(0, 0, {"user_id": u.id, "max_open": 100000}) for u in members],
            }
        )
    for i, source in enumerate(sources):
        rules.append(
            {
                "name": f"Source {source.name}",
                "sequence": 20 + i,
                "domain": repr([("source_id", "=", source.id)]),
                "team_id": teams[i % 3].id,
                "strategy": "round_robin",
                "member_ids": [
                    (0, 0, {"user_id": u.id, "weight": 1 + j % 2})
                    for j, u in enumerate(users[i : i + 3])
                ],
            }
        )
    for i, tag in enumerate(tags):
        rules.append(
            {
                "name": f"Tag {tag.name}",
                "sequence": 30 + i,
                "domain": repr([("tag_ids", "in", tag.ids)]),
                "team_id": teams[i % 3].id,
                "strategy": "least_loaded",
                "member_ids": [(0, 0, {"user_id": u.id}) for u in users[i * 3 : i * 3 + 3]],
            }
        )
    rules.append(
        {
            "name": "Everything else",
            "sequence": 99,
            "team_id": teams[0].id,
            "strategy": "round_robin",
            "member_ids": [(0, 0, {"user_id": u.id}) for u in users],
        }
    )
    assert len(rules) == 20
    env["lead_pipeline.routing.rule"].create([{**rule, "active": False} for rule in rules])
    return refs


def routing_lead_values(refs, offset, count):
    values = lead_values(offset, count)
    for idx, vals in enumerate(values, start=offset):
        vals["country_id"] = refs["countries"][idx % len(COUNTRIES)]
        if idx % 3 == 0:
            vals["source_id"] = refs["sources"][idx % len(SOURCES)]
        if idx % 7 == 0:
            vals["tag_ids"] = [(6, 0, [refs["tags"][idx % 4]])]
    return values


def vacuum(side):
    """VACUUM ANALYZE the lead tables, outside any transaction, as a database
    in use has them after autovacuum. A transaction still open elsewhere (an
    autovacuum worker's) can keep VACUUM from marking the rows just written
    visible to all, which leaves index-only scans reading the table: then
    try again, a few times."""
    with side.registry.cursor() as cr:
        cr.commit()
        cr._cnx.autocommit = True  # pylint: disable=protected-access
        try:
            for table in ("crm_lead", "mail_message", "mail_followers"):
                for _attempt in range(5):
                    cr.execute(f"VACUUM ANALYZE {table}")
                    cr.execute(
                        "SELECT relallvisible >= 0.9 * relpages FROM pg_class WHERE relname = %s",
                        [table],
                    )
                    if cr.fetchone()[0]:
                        break
                    time.sleep(1)
        finally:
            cr._cnx.autocommit = False  # pylint: disable=protected-access


def set_rules(side, active):
    with side.registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        rules = env["lead_pipeline.routing.rule"].search([("active", "in", [True, False])])
        rules.write({"active": active})


def bench_routing(native_db, ours_db):
    """Routing 5,000 unassigned leads: native ``action_assign_leads`` against
    lead_pipeline's Route Again; creation with 20 rules against none; and
    10,000 against 5,000 leads routed in one call."""
    native, ours = Side(native_db), Side(ours_db)
    refs = {}
    for side, with_rules in ((native, False), (ours, True)):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            refs[side] = routing_setup(env, with_rules)
    offset = 800000
    leads = {}
    for side in (native, ours):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            leads[side] = env["crm.lead"].create(routing_lead_values(refs[side], offset, ROUTE)).ids
    native_result = {}

    def native_assign(env):
        teams = env["crm.team"].search([("name", "like", "Bench team")])
        before = (
            env["crm.lead"]
            .with_context(active_test=False)
            .search_count([("id", "in", leads[native])])
        )
        teams.action_assign_leads()
        env.flush_all()
        records = env["crm.lead"].with_context(active_test=False).browse(leads[native]).exists()
        native_result.update(
            assigned=len(records.filtered("user_id")),
            merged=before - len(records.filtered("active")),
            converted=len(records.filtered(lambda lead: lead.type == "opportunity")),
        )

    def ours_route(env):
        env["crm.lead"].browse(leads[ours]).action_lead_pipeline_route()

    set_rules(ours, True)
    native.run(native_assign)
    ours.run(ours_route)
    with ours.registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        ours_assigned = env["crm.lead"].search_count(
            [("id", "in", leads[ours]), ("user_id", "!=", False)]
        )

    # creation with the 20 rules active against plain creation, same database
    plain, routed = Side(ours_db), Side(ours_db)
    for start in range(0, ROUTE, BATCH):
        for side in (plain, routed) if start // BATCH % 2 == 0 else (routed, plain):
            set_rules(ours, side is routed)
            offset += BATCH
            side.run(
                lambda env, o=offset: env["crm.lead"].create(
                    routing_lead_values(refs[ours], o, BATCH)
                )
            )
    set_rules(ours, True)

    # linearity: 10,000 against 5,000 leads routed in one call; two rounds,
    # sizes alternating, each on a vacuumed table (the earlier parts leave
    # autovacuum work that would land on whichever run comes first), the
    # quicker run of each size kept: a run of a few seconds is easily slowed
    # by the machine, never sped up
    scale = {}
    for size in (ROUTE, 2 * ROUTE, ROUTE, 2 * ROUTE):
        set_rules(ours, False)
        with ours.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            offset += size
            ids = env["crm.lead"].create(routing_lead_values(refs[ours], offset, size)).ids
        set_rules(ours, True)
        vacuum(ours)
        side = Side(ours_db)
        side.run(lambda env, ids=ids: env["crm.lead"].browse(ids).action_lead_pipeline_route())
        if size not in scale or side.seconds < scale[size].seconds:
            scale[size] = side

    print()
    print(f"Routing, {ROUTE:,} unassigned leads, 3 teams, 12 salespeople, 20 rules")
    header = f"{'operation':<46} {'native s':>9} {'lead_pipeline s':>16} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    labels = {
        "route": f"route {ROUTE:,} (native action_assign_leads)",
        "create": f"create {ROUTE:,} with 20 rules / without rules",
        "scale": f"route {2 * ROUTE:,} / route {ROUTE:,} (one call each)",
    }
    print(
        f"{labels['route']:<46} {native.seconds:>9.2f} {ours.seconds:>16.2f} "
        f"{native.seconds / ours.seconds:>6.1f}x"
    )
    print(
        f"  native: {native_result['assigned']} assigned, {native_result['merged']} merged, "
        f"{native_result['converted']} converted; lead_pipeline: {ours_assigned} assigned, "
        f"0 merged, 0 converted"
    )
    print(
        f"  throughput: native {ROUTE / native.seconds:.0f} leads/s, "
        f"lead_pipeline {ROUTE / ours.seconds:.0f} leads/s"
    )
    print(
        f"{labels['create']:<46} {plain.seconds:>9.2f} {routed.seconds:>16.2f} "
        f"{routed.seconds / plain.seconds:>7.2f}"
    )
    print(
        f"{labels['scale']:<46} {scale[ROUTE].seconds:>9.2f} "
        f"{scale[2 * ROUTE].seconds:>16.2f} {scale[2 * ROUTE].seconds / scale[ROUTE].seconds:>7.2f}"
    )
    print(
        f"  (create row: plain s / with rules s; scale row: {ROUTE:,} s / {2 * ROUTE:,} s, "
        "quicker of two runs each)"
    )


REPORT_LEADS = bench_size(100000, 20)


def bench_report(db_name):
    """The analysis's main pivot on 100,000 leads against Odoo's own lead
    analysis (a pivot on crm.lead) grouped the same way, as the admin, in the
    same database, alternating 20 runs each."""
    side = Side(db_name)
    with side.registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        cr.execute("SELECT count(*) FROM crm_lead WHERE name LIKE 'Report lead %%'")
        missing = REPORT_LEADS - cr.fetchone()[0]
        users = env["res.users"].search([("share", "=", False)], limit=12).ids
        lead_type = env["lead_pipeline.lead.type"]._get_default_type()
        statuses = lead_type.status_ids
        if missing > 0:
            cr.execute(
                """
                INSERT INTO crm_lead (name, type, active, user_id, lead_type_id, lead_status_id,
                                      lead_status_category, expected_revenue, probability,
                                      create_date, write_date, lead_qualified_date,
                                      lead_converted_date)
                SELECT 'Report lead ' || n, 'lead', true, (%(users)s)[1 + n %% %(nusers)s],
                       %(type)s, (%(statuses)s)[1 + n %% %(nstatuses)s],
                       (%(categories)s)[1 + n %% %(nstatuses)s], n %% 1000, n %% 100,
                       now() - (n %% 730) * interval '1 day', now(),
                       now() - (n %% 700) * interval '1 day', NULL
                  FROM generate_series(1, %(count)s) n;
                ANALYZE crm_lead;
                """,
                {
                    "users": users,
                    "nusers": len(users),
                    "type": lead_type.id,
                    "statuses": statuses.ids,
                    "categories": statuses.mapped("category"),
                    "nstatuses": len(statuses),
                    "count": missing,
                },
            )
            cr.commit()
    groupby = ["user_id", "create_date:month"]
    runs = {"native": Side(db_name), "ours": Side(db_name)}

    def native(env):
        env["crm.lead"]._read_group(
            [("type", "=", "lead")], groupby, ["__count", "expected_revenue:sum", "probability:avg"]
        )

    def ours(env):
        env["lead_pipeline.report"]._read_group(
            [], groupby, ["__count", "conversion_rate:avg", "hours_to_qualify:avg"]
        )

    for attempt in range(20):
        order = ("native", "ours") if attempt % 2 == 0 else ("ours", "native")
        for name in order:
            runs[name].run(native if name == "native" else ours)
    print()
    print(
        f"Lead analysis pivot on {REPORT_LEADS:,}+ leads, grouped by salesperson and month, 20 runs"
    )
    header = f"{'report':<46} {'seconds':>9} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    print(f"{'Odoo lead analysis (crm.lead pivot)':<46} {runs['native'].seconds:>9.3f}")
    print(
        f"{'lead_pipeline analysis (lead_pipeline.report)':<46} {runs['ours'].seconds:>9.3f} "
        f"{runs['ours'].seconds / runs['native'].seconds:>7.2f}"
    )


def print_basics(rows):
    header = f"{'operation':<38} {'native s':>9} {'lead_pipeline s':>16} {'ratio':>6} {'q/lead native':>14} {'q/lead ours':>12}"
    print()
    print(header)
    print("-" * len(header))
    for label, native, ours, count in rows:
        print(
            f"{label:<38} {native.seconds:>9.2f} {ours.seconds:>16.2f} "
            f"{ours.seconds / native.seconds:>6.2f} {native.queries / count:>14.3f} "
            f"{ours.queries / count:>12.3f}"
        )
    print("\nratio = lead_pipeline seconds / native seconds (below 1: lead_pipeline is faster)")


def main():
    """``bench.py CONF NATIVE_DB OURS_DB [basic] [intake] [import] [ui] [routing]
    [report]``: the parts named, or all of them."""
    conf, native_db, ours_db = sys.argv[1:4]
    parts = set(sys.argv[4:]) or {"basic", "routing", "intake", "import", "ui", "report"}
    unknown = parts - {"basic", "routing", "intake", "import", "ui", "report"}
    if unknown:
        sys.exit(f"Unknown bench parts: {', '.join(sorted(unknown))}")
    odoo.tools.config.parse_config(["-c", conf, "--log-level=warn"])
    if "basic" in parts:
        rows = []
        for label, operation in [
            (f"create {LEADS:,} leads, batches of {BATCH}", bench_create),
            (f"convert {CONVERT} leads in one call", bench_convert),
        ]:
            native, ours = Side(native_db), Side(ours_db)
            rows.append((label, native, ours, operation(native, ours)))
        print_basics(rows)
    # intake first: routing adds tens of thousands of leads to the database,
    # which would blur intake's "1,000 existing records" case
    if "intake" in parts:
        bench_intake(ours_db)
    # import and ui before routing and report, which add leads to one side
    # only or unevenly
    if "import" in parts:
        from bench_import import bench_import

        bench_import(native_db, ours_db, bench_size(20000, 20, "LP_BENCH_IMPORT_ROWS"))
    if "ui" in parts:
        from bench_ui import bench_ui

        bench_ui(native_db, ours_db, bench_size(100000, 20, "LP_BENCH_UI_LEADS"))
    if "routing" in parts:
        bench_routing(native_db, ours_db)
    if "report" in parts:
        bench_report(ours_db)


if __name__ == "__main__":
    main()
