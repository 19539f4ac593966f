"""The only place where lead_pipeline writes Odoo's mail tables in SQL.

For batches of hundreds of records (Route Again, the retry job, big imports),
the ORM's work per message and per follower costs more than the routing
itself; these functions write the very rows the ORM would, in one statement
each. Each names the Odoo code it mirrors, and a test compares its rows with
the ORM's, field for field (tests/test_routing.py,
``test_bulk_notes_are_what_message_log_batch_writes`` and
``test_bulk_followers_are_what_odoo_auto_subscribes``): when Odoo changes
what those methods write, the tests say so.

=================================  ============================================
function                           mirrors (Odoo 18.0)
=================================  ============================================
``insert_notes``                   ``mail.thread._message_log_batch`` (one
                                   internal note per record, no notification)
``insert_auto_followers``          ``mail.thread._message_auto_subscribe`` on a
                                   write of ``user_id`` and ``team_id``
                                   (``_message_auto_subscribe_followers`` and
                                   the team's followers through
                                   ``_get_auto_subscription_subtypes``)
``copy_history``                   ``mail.message.copy`` and
                                   ``ir.attachment.copy`` (same stored file),
                                   for a conversion's history: no
                                   notification, no follower
=================================  ============================================
"""

from collections import defaultdict

from odoo import fields
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id

# the history a conversion copies: notes, logged and received e-mails, and
# done activities (kept by Odoo as messages with an activity type); tracking
# and system notifications describe the lead, not the customer
HISTORY_TYPES = ("comment", "email", "email_outgoing")


def insert_notes(records, bodies):
    """One internal note per record of ``records`` ({record id: Markup body,
    already escaped}), as ``_message_log_batch`` writes it: the current
    user's partner as author, the note subtype, no notification, no
    follower."""
    if not bodies:
        return
    env = records.env
    author_id, email_from = records._message_compute_author(raise_on_email=False)
    now = fields.Datetime.now()
    res_ids = list(bodies)
    env.cr.execute(
        SQL(
            """
            INSERT INTO mail_message (
                model, res_id, body, message_type, subtype_id, is_internal,
                author_id, email_from, reply_to, message_id, email_add_signature,
                date, create_uid, write_uid, create_date, write_date
            )
            SELECT %(model)s, note.res_id, note.body, 'notification', %(subtype)s,
                   TRUE, %(author)s, %(email_from)s, %(reply_to)s, %(message_id)s,
                   FALSE, %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM unnest(%(res_ids)s::int[], %(bodies)s::text[]) AS note(res_id, body)
            """,
            model=records._name,
            subtype=env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            author=author_id,
            email_from=email_from,
            reply_to=env["mail.thread"]._notify_get_reply_to(default=email_from)[False],
            message_id=generate_tracking_message_id("message-notify"),
            now=now,
            uid=env.uid,
            res_ids=res_ids,
            bodies=[str(bodies[res_id]) for res_id in res_ids],
        )
    )
    records.browse(res_ids).invalidate_recordset(
        ["message_ids", "message_needaction", "message_needaction_counter"]
    )


def insert_auto_followers(records, by_target):
    """Add the followers that Odoo's auto-subscription adds when a write sets
    ``user_id`` and ``team_id``, in one INSERT for the whole batch (the ORM
    creates followers one by one): the salesperson with the default subtypes,
    and the team's followers with the subtypes their team subscription
    implies; existing followers are left as they are. ``by_target`` maps
    (user id, team id) to record ids of ``records``' model."""
    env = records.env
    Followers = env["mail.followers"].sudo()
    child_ids, default_ids, internal_ids, parent, relation = env[
        "mail.message.subtype"
    ]._get_auto_subscription_subtypes(records._name)
    team_ids = [team_id for _user_id, team_id in by_target if team_id]
    team_partners = defaultdict(dict)  # team id: {partner id: subtype ids}
    if team_ids and "team_id" in relation.get("crm.team", ()):
        for (
            _follower_id,
            team_id,
            partner_id,
            subtype_ids,
            share,
            active,
        ) in Followers._get_subscription_data(
            [("crm.team", team_ids)], None, include_pshare=True, include_active=True
        ):
            implied = [parent[sid] for sid in subtype_ids if parent.get(sid)]
            implied += [sid for sid in subtype_ids if sid not in parent and sid in child_ids]
            if partner_id and active:
                team_partners[team_id][partner_id] = set(implied) - (
                    set(internal_ids) if share else set()
                )
    salespeople = {
        user_id: records._message_auto_subscribe_followers({"user_id": user_id}, default_ids)
        for user_id in {user_id for user_id, _team_id in by_target}
    }
    res_ids, partner_ids, subtypes = [], [], []
    for (user_id, team_id), target_ids in by_target.items():
        partners = dict(team_partners.get(team_id, {}))
        for partner_id, subtype_ids, _template in salespeople[user_id]:
            partners.setdefault(partner_id, subtype_ids)
        for partner_id, subtype_ids in partners.items():
            res_ids += target_ids
            partner_ids += [partner_id] * len(target_ids)
            subtypes += [sorted(subtype_ids)] * len(target_ids)
    if not res_ids:
        return
    Followers.flush_model()
    env.cr.execute(
        SQL(
            """
            WITH wanted AS (
                SELECT * FROM unnest(%(res_ids)s::int[], %(partner_ids)s::int[],
                                     %(subtypes)s::text[])
                    AS wanted(res_id, partner_id, subtype_ids)
            ), added AS (
                INSERT INTO mail_followers (res_model, res_id, partner_id)
                SELECT %(model)s, res_id, partner_id FROM wanted
                ON CONFLICT DO NOTHING
                RETURNING id, res_id, partner_id
            )
            INSERT INTO mail_followers_mail_message_subtype_rel
                   (mail_followers_id, mail_message_subtype_id)
            SELECT added.id, unnest(wanted.subtype_ids::int[])
              FROM added JOIN wanted USING (res_id, partner_id)
            """,
            model=records._name,
            res_ids=res_ids,
            partner_ids=partner_ids,
            subtypes=["{" + ",".join(map(str, ids)) + "}" for ids in subtypes],
        )
    )
    Followers.invalidate_model()
    records.browse(res_ids).invalidate_recordset(
        ["message_follower_ids", "message_partner_ids", "message_is_follower"]
    )


def mark_conversion_messages(env, lead_by_partner):
    """Mark every message on the partners a conversion just created (their
    creation log, the conversion's note) as written by that conversion
    ({partner id: lead id}), so that undoing it tells them from messages
    others wrote since. Our own column, on Odoo's table: one UPDATE."""
    if not lead_by_partner:
        return
    env["mail.message"].flush_model()
    env.cr.execute(
        SQL(
            """
            UPDATE mail_message message
               SET lead_pipeline_origin_lead_id = origin.lead_id
              FROM unnest(%(partners)s::int[], %(leads)s::int[]) AS origin(partner_id, lead_id)
             WHERE message.model = 'res.partner' AND message.res_id = origin.partner_id
               AND message.lead_pipeline_origin_lead_id IS NULL
            """,
            partners=list(lead_by_partner),
            leads=list(lead_by_partner.values()),
        )
    )
    env["mail.message"].invalidate_model(["lead_pipeline_origin_lead_id"])


def _copied_columns(model, overridden):
    """The stored columns of ``model`` that a copy takes as they are."""
    return [
        fname
        for fname, field in model._fields.items()
        if field.store and field.column_type and fname != "id" and fname not in overridden
    ]


def copy_history(env, source_model, targets):
    """Copy the history of records of ``source_model`` onto partners, oldest
    first, authors and dates kept: ``targets`` is a list of (source id,
    partner id, origin lead id). Attachments are copied as new rows on the
    partner pointing at the same stored file (same ``store_fname`` and
    checksum), and each copied message is linked to the copies of its
    attachments. The copies are marked as the conversion's own (origin lead),
    get a Message-Id of their own (a reply to the lead's e-mail still goes to
    the lead), and notify no one: no notification, mail or follower. One
    statement for the whole batch."""
    if not targets:
        return
    Message, Attachment = env["mail.message"], env["ir.attachment"]
    Message.flush_model()
    Attachment.flush_model()
    message_columns = _copied_columns(
        Message,
        {"model", "res_id", "message_id", "parent_id", "record_name", "record_company_id",
         "record_alias_domain_id", "lead_pipeline_origin_lead_id", "pinned_at"},
    )  # fmt: skip
    attachment_columns = _copied_columns(
        Attachment, {"res_model", "res_id", "access_token", "lead_pipeline_origin_lead_id"}
    )

    def columns(names, alias=None):
        return SQL(", ").join(
            SQL.identifier(alias, name) if alias else SQL.identifier(name) for name in names
        )

    stamp = generate_tracking_message_id("lead-history")  # <stamp-lead-history@host>
    env.cr.execute(
        SQL(
            """
            WITH targets AS (
                SELECT * FROM unnest(%(sources)s::int[], %(partners)s::int[], %(leads)s::int[])
                    AS t(source_id, partner_id, lead_id)
            ), src_msg AS MATERIALIZED (
                SELECT message.id AS old_id, t.partner_id, t.lead_id
                  FROM targets t
                  JOIN mail_message message
                    ON message.model = %(model)s AND message.res_id = t.source_id
                 WHERE message.message_type IN %(types)s
                    OR message.mail_activity_type_id IS NOT NULL
                 ORDER BY message.date, message.id, t.partner_id
            ), new_msg AS MATERIALIZED (
                SELECT old_id, partner_id, lead_id, nextval('mail_message_id_seq') AS new_id
                  FROM src_msg
            ), src_att AS MATERIALIZED (
                SELECT attachment.id AS old_id, t.partner_id, t.lead_id
                  FROM targets t
                  JOIN ir_attachment attachment
                    ON attachment.res_model = %(model)s AND attachment.res_id = t.source_id
                   AND attachment.res_field IS NULL
                 ORDER BY attachment.id, t.partner_id
            ), new_att AS MATERIALIZED (
                SELECT old_id, partner_id, lead_id, nextval('ir_attachment_id_seq') AS new_id
                  FROM src_att
            ), ins_att AS (
                INSERT INTO ir_attachment
                       (id, res_model, res_id, lead_pipeline_origin_lead_id, %(att_columns)s)
                SELECT new_att.new_id, 'res.partner', new_att.partner_id, new_att.lead_id,
                       %(att_source_columns)s
                  FROM new_att JOIN ir_attachment src ON src.id = new_att.old_id
            ), ins_msg AS (
                INSERT INTO mail_message
                       (id, model, res_id, message_id, lead_pipeline_origin_lead_id,
                        %(msg_columns)s)
                SELECT new_msg.new_id, 'res.partner', new_msg.partner_id,
                       '<' || new_msg.new_id || '.' || substr(%(stamp)s, 2),
                       new_msg.lead_id, %(msg_source_columns)s
                  FROM new_msg JOIN mail_message src ON src.id = new_msg.old_id
            )
            INSERT INTO message_attachment_rel (message_id, attachment_id)
            SELECT new_msg.new_id, new_att.new_id
              FROM new_msg
              JOIN message_attachment_rel rel ON rel.message_id = new_msg.old_id
              JOIN new_att ON new_att.old_id = rel.attachment_id
                          AND new_att.partner_id = new_msg.partner_id
            """,
            sources=[source_id for source_id, _partner, _lead in targets],
            partners=[partner_id for _source, partner_id, _lead in targets],
            leads=[lead_id for _source, _partner, lead_id in targets],
            model=source_model,
            types=HISTORY_TYPES,
            att_columns=columns(attachment_columns),
            att_source_columns=columns(attachment_columns, "src"),
            msg_columns=columns(message_columns),
            msg_source_columns=columns(message_columns, "src"),
            stamp=stamp,
        )
    )
    Message.invalidate_model()
    Attachment.invalidate_model()
    env["res.partner"].browse(
        [partner_id for _source, partner_id, _lead in targets]
    ).invalidate_recordset(["message_ids"])
