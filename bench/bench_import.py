"""The ``import`` part: a purchased list of leads through Odoo's import dialog.

The dialog (base_import's ``execute_import``) parses the file and calls
``crm.lead.load`` with the rows from ``skip`` to the end of the file, the
batch size as ``_import_limit`` (the dialog's default: 2,000 rows) and
``import_file`` in the context; it goes on from ``nextrow`` with a new request
(a new transaction) until ``load`` says there is nothing left. The bench does
the same, each batch one committed transaction, batches alternating between
the two databases. Parsing the file (identical on both sides) is left out of
the timing, so the ratio is the one of ``load``.
"""

import csv
import io
import resource
import tracemalloc
from contextlib import contextmanager

import bench as base
from odoo import api

#: the import dialog's default batch size (base_import/static/src/import_model.js)
DIALOG_LIMIT = base.bench_size(2000, 10)
#: the batch whose peak memory is measured in a short and a long file
MEMORY_LIMIT = base.bench_size(200, 5)
FIELDS = [
    "name",
    "partner_name",
    "contact_name",
    "email_from",
    "phone",
    "city",
    "country_id",
    "source_id",
    "tag_ids",
]


def import_rows(country_names, count):
    """A purchased list: companies with a few contact persons each, persons,
    1 row in 20 with no e-mail and no phone, 1 in 20 for someone already a
    customer, and 1 in 25 repeating an earlier row's person."""
    rows = []
    for idx in range(count):
        kind = idx % 20
        company = f"Import Company {idx // 3}" if idx % 10 < 6 else ""
        email = f"imp{idx}@{'co' + str(idx // 3) if company else 'mail'}.example"
        # phones as lists have them: international and national formats
        phone = f"+421 9{idx % 100:02d} {idx:06d}" if idx % 2 else f"09{idx % 100:02d} {idx:06d}"
        if kind == 7:
            email = phone = ""
        elif kind == 13:
            email = f"customer{idx // 20}@known.example"
        elif idx % 25 == 3 and idx >= 50:
            email = f"imp{idx - 50}@{'co' + str((idx - 50) // 3) if (idx - 50) % 10 < 6 else 'mail'}.example"
        rows.append(
            [
                f"Imported lead {idx}",
                company,
                f"Contact {idx}",
                email,
                phone,
                f"City {idx % 50}",
                country_names[idx % len(country_names)],
                base.SOURCES[idx % len(base.SOURCES)] if idx % 3 == 0 else "",
                f"Bench tag {idx % 4}" if idx % 7 == 0 else "",
            ]
        )
    return rows


def csv_text(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(FIELDS)
    writer.writerows(rows)
    return buffer.getvalue()


def parse(text, skip):
    """What base_import hands to ``load``: the file's rows from ``skip``,
    freshly parsed (``load`` may rewrite cells, as lead_pipeline does with
    phones)."""
    reader = csv.reader(io.StringIO(text))
    next(reader)
    return [row for index, row in enumerate(reader) if index >= skip]


def dialog_context(env, limit=DIALOG_LIMIT):
    """The context ``execute_import`` gives ``load``, with the dialog's
    ``tracking_disable`` (checked by default)."""
    return env["crm.lead"].with_context(
        import_file=True,
        name_create_enabled_fields={},
        import_set_empty_fields=[],
        import_skip_records=[],
        _import_limit=limit,
        tracking_disable=True,
    )


@contextmanager
def as_client(ours):
    """``load`` as the dialog's RPC call reaches it: in the lead_pipeline
    database the addon treats a client's load as the import door."""
    if not ours:
        yield
        return
    from odoo.addons.lead_pipeline.controllers.rpc import EXTERNAL_API_CALL

    token = EXTERNAL_API_CALL.set(True)
    try:
        yield
    finally:
        EXTERNAL_API_CALL.reset(token)


def import_setup(env, ours, customers):
    """Teams, rules and sources as the routing part has them (the 20 rules
    active in lead_pipeline), ``customers`` existing customers, and in
    lead_pipeline an explicit import policy: reject customers, flag open
    leads."""
    base.routing_setup(env, ours)
    env["res.partner"].create(
        [
            {"name": f"Known Customer {k}", "email": f"customer{k}@known.example"}
            for k in range(customers)
        ]
    )
    if ours:
        env["lead_pipeline.routing.rule"].search([("active", "=", False)]).write({"active": True})
        Policy = env["lead_pipeline.intake.policy"]
        for scope, action in (("customer", "reject"), ("open_lead", "flag")):
            policy = Policy.search(
                [("lead_type_id", "=", False), ("channel", "=", "import"), ("scope", "=", scope)]
            )
            if policy:
                policy.action = action
            else:
                Policy.create({"channel": "import", "scope": scope, "action": action})
    return [env.ref(f"base.{code}").name for code in base.COUNTRIES]


def peak_load_memory(side, ours, text, skip):
    """Peak Python memory (tracemalloc) of one batch at ``skip``, of
    MEMORY_LIMIT rows, rolled back: untimed, as tracemalloc slows the code
    it watches several times over."""
    rows = parse(text, skip)
    with side.registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env = env(user=env.ref("base.user_admin").id)
        tracemalloc.start()
        try:
            with as_client(ours):
                dialog_context(env, MEMORY_LIMIT).load(FIELDS, rows)
            env.flush_all()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            cr.rollback()


def bench_import(native_db, ours_db, count):
    native, ours = base.Side(native_db), base.Side(ours_db)
    names = None
    for side in (native, ours):
        with side.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            names = import_setup(env, side is ours, max(count // 20, 1))
    text = csv_text(import_rows(names, count))
    results = {native: [], ours: []}
    rss = []

    def batch(side, skip):
        rows = parse(text, skip)

        def call(env):
            with as_client(side is ours):
                results[side].append(dialog_context(env).load(FIELDS, rows))

        side.run(call)
        return results[side][-1]["nextrow"]

    skips = {native: 0, ours: 0}
    turn = 0
    while any(skip is not None for skip in skips.values()):
        order = (native, ours) if turn % 2 == 0 else (ours, native)
        for side in order:
            if skips[side] is None:
                continue
            nextrow = batch(side, skips[side])
            skips[side] = skips[side] + nextrow if nextrow else None
        turn += 1
        rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)

    def summary(side):
        messages = [m for result in results[side] for m in result["messages"]]
        refused = [m for m in messages if m.get("type") in ("warning", "error")]
        imported = sum(len(result["ids"] or []) for result in results[side])
        return imported, refused

    print()
    print(
        f"Import, {count:,}-row CSV through crm.lead.load in the import dialog's batches of "
        f"{DIALOG_LIMIT:,} (lead_pipeline: intake policy, 20 routing rules)"
    )
    header = f"{'operation':<38} {'native s':>9} {'lead_pipeline s':>16} {'ratio':>6} {'q/row native':>13} {'q/row ours':>11}"
    print(header)
    print("-" * len(header))
    label = f"import {count:,} rows"
    print(
        f"{label:<38} {native.seconds:>9.2f} {ours.seconds:>16.2f} "
        f"{ours.seconds / native.seconds:>6.2f} {native.queries / count:>13.3f} "
        f"{ours.queries / count:>11.3f}"
    )
    for side, name in ((native, "native"), (ours, "lead_pipeline")):
        imported, refused = summary(side)
        no_contact = sum("no e-mail address and no phone number" in m["message"] for m in refused)
        print(
            f"  {name}: {imported:,} imported, {len(refused):,} refused rows reported "
            f"({no_contact:,} without e-mail or phone, {len(refused) - no_contact:,} by the "
            f"intake policy or as errors), {len(results[side])} batches"
        )
    # peak memory of one batch, early in a file of half the length and in
    # the full one: what a batch holds must not depend on the file's length
    half_text = csv_text(import_rows(names, max(count // 2, 1)))
    memory = {
        side: [
            peak_load_memory(side, side is ours, half_text, 0),
            peak_load_memory(side, side is ours, text, 0),
        ]
        for side in (native, ours)
    }
    half, full = max(count // 2, 1), count
    for side, name in ((native, "native"), (ours, "lead_pipeline")):
        small, large = memory[side]
        print(
            f"  peak memory of a {MEMORY_LIMIT}-row batch, {name}: {small / 2**20:.1f} MB in a {half:,}-row file, "
            f"{large / 2**20:.1f} MB in a {full:,}-row file ({large / small:.2f}x)"
        )
    print(
        f"  process peak RSS: {rss[0] / 1024:.0f} MB after the first batch, "
        f"{rss[len(rss) // 2] / 1024:.0f} MB halfway, {rss[-1] / 1024:.0f} MB at the end"
    )
