"""Native Odoo vs lead_pipeline, same machine, same run, as ratios.

Each operation runs in both databases in alternating batches, so that drift
of the machine (caches, other load) touches both sides alike. Every batch is
one committed transaction, as a web request or an import chunk would be.
"""

import sys
import time

import odoo
from odoo import api
from odoo.modules.registry import Registry

LEADS = 5000
BATCH = 500


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


CONVERT = 500


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


def bench_convert(native, ours):
    """Odoo's mass conversion wizard vs lead_pipeline's convert action, on
    the same 500 leads (created beforehand, outside the timing)."""
    lead_ids = {}
    for side in (native, ours):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            lead_ids[side] = env["crm.lead"].create(convert_values(env, 100000)).ids

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


def bench_intake(db_name):
    """Creating leads with intake matching on (the API channel) against a base
    of 1,000 and of 100,000 existing partners and leads, each against plain
    creation (no channel) in the same database, in alternating batches."""
    rows = []
    offset = 500000
    for size in (1000, 100000):
        plain, matching = Side(db_name), Side(db_name)
        populate(plain, size)
        for start in range(0, LEADS, BATCH):
            order = (plain, matching) if start // BATCH % 2 == 0 else (matching, plain)
            for side in order:
                channel = {"lead_pipeline_channel": "api"} if side is matching else {}
                offset += BATCH
                side.run(
                    lambda env, o=offset, c=channel: (
                        env["crm.lead"].with_context(**c).create(lead_values(o, BATCH))
                    )
                )
        rows.append((size, plain, matching))
    header = f"{'existing records':<18} {'plain s':>8} {'matching s':>11} {'overhead':>9} {'q/lead plain':>13} {'q/lead matching':>16}"
    print()
    print(f"Intake matching, {LEADS:,} leads in batches of {BATCH} (lead_pipeline database)")
    print(header)
    print("-" * len(header))
    for size, plain, matching in rows:
        print(
            f"{size:<18,} {plain.seconds:>8.2f} {matching.seconds:>11.2f} "
            f"{matching.seconds / plain.seconds:>9.2f} {plain.queries / LEADS:>13.3f} "
            f"{matching.queries / LEADS:>16.3f}"
        )
    small, large = rows[0][2], rows[1][2]
    print(f"per-lead matching time, 100k base / 1k base: {large.seconds / small.seconds:.2f}")


def main():
    conf, native_db, ours_db = sys.argv[1:4]
    odoo.tools.config.parse_config(["-c", conf, "--log-level=warn"])
    rows = []
    for label, operation in [
        (f"create {LEADS:,} leads, batches of {BATCH}", bench_create),
        (f"convert {CONVERT} leads in one call", bench_convert),
    ]:
        native, ours = Side(native_db), Side(ours_db)
        count = operation(native, ours)
        rows.append((label, native, ours, count))

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
    bench_intake(ours_db)


if __name__ == "__main__":
    main()
