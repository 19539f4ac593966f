"""Undoing a conversion while nothing was built on it: the lead goes back to
its status, and the customers the conversion created go only where nothing
else uses them."""

from psycopg2 import IntegrityError

from odoo import models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .internal import internal_write


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    def _lead_pipeline_undo_blockers(self):
        """Reasons a conversion cannot be undone; bridges add their own
        (quotations with the Sales app)."""
        self.ensure_one()
        reasons = []
        if not self.lead_converted_date:
            reasons.append(self.env._("%(lead)s was not converted.", lead=self.display_name))
        if self.type == "opportunity":
            first_stage = self._stage_find(team_id=self.team_id.id)
            if self.stage_id and first_stage and self.stage_id != first_stage:
                reasons.append(
                    self.env._(
                        "Opportunity %(lead)s has moved past its first stage.",
                        lead=self.display_name,
                    )
                )
        return reasons

    def action_lead_pipeline_undo_conversion(self):
        """Revert conversions while nothing was built on them yet."""
        if not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(self.env._("Only sales managers may undo a conversion."))
        reasons = [reason for lead in self for reason in lead._lead_pipeline_undo_blockers()]
        if reasons:
            raise UserError(self.env._("The conversion cannot be undone:\n%s", "\n".join(reasons)))
        history = self.env["lead_pipeline.status.history"].sudo()
        for lead in self:
            # only what this very conversion created: the bookkeeping field and
            # the partner's own record of its origin lead must agree
            created = lead.sudo().lead_created_partner_ids.filtered(
                lambda partner, lead=lead: partner.lead_pipeline_origin_lead_id == lead
            )
            previous = (
                history.search(
                    [("lead_id", "=", lead.id), ("to_status_category", "=", "converted")],
                    order="date desc, id desc",
                    limit=1,
                ).from_status_id
                or lead.lead_type_id._get_default_status()
            )
            linked = lead.sudo().lead_converted_partner_ids - created
            lead._lead_pipeline_take_back_activities(created)
            internal_write(
                lead,
                {
                    "type": "lead",
                    "partner_id": False,
                    "lead_status_id": previous.id,
                    "lead_converted_date": False,
                    "lead_converted_by_id": False,
                    "lead_converted_partner_ids": [(5, 0, 0)],
                    "lead_created_partner_ids": [(5, 0, 0)],
                },
                converting=True,
                force_status=True,
            )
            deleted, archived, kept = lead._lead_pipeline_remove_partners(created)
            lead._lead_pipeline_remove_history_copies(linked)
            lead._message_log(
                body=self.env._(
                    "Conversion undone: back to status %(status)s. Customers deleted: "
                    "%(deleted)s. Customers archived because other documents use them: "
                    "%(archived)s. Customers kept because other leads use them: %(kept)s.",
                    status=previous.name,
                    deleted=", ".join(deleted) or "-",
                    archived=", ".join(archived) or "-",
                    kept=", ".join(kept) or "-",
                )
            )
        return True

    def _lead_pipeline_remove_history_copies(self, partners):
        """The history the conversion copied onto customers it only linked
        (which stay) leaves with the conversion: its messages and
        attachments. The customers it created took theirs along."""
        self.ensure_one()
        if not partners:
            return
        origin = [
            ("model", "=", "res.partner"),
            ("res_id", "in", partners.ids),
            ("lead_pipeline_origin_lead_id", "=", self.id),
        ]
        self.env["mail.message"].sudo().search(origin).unlink()
        self.env["ir.attachment"].sudo().search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("lead_pipeline_origin_lead_id", "=", self.id),
            ]
        ).unlink()

    def _lead_pipeline_take_back_activities(self, partners):
        """The planned activities the conversion moved to its customers come
        back to the lead."""
        self.ensure_one()
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "res.partner"),
                    ("res_id", "in", partners.ids),
                    ("lead_pipeline_origin_lead_id", "=", self.id),
                ]
            )
        )
        if activities:
            activities.write(
                {
                    "res_model_id": self.env["ir.model"]._get_id(self._name),
                    "res_model": self._name,
                    "res_id": self.id,
                    "lead_pipeline_origin_lead_id": False,
                }
            )

    def _lead_pipeline_partner_users(self, partners):
        """{partner id: reason} for the partners something other than this
        lead's conversion uses: another lead (kept as they are), or a contact,
        message, follower or activity of their own (archived)."""
        self.ensure_one()
        if not partners:
            return {}, {}
        self.env.flush_all()
        ids = tuple(partners.ids)
        cr = self.env.cr
        other_leads = {}
        cr.execute(
            SQL(
                """
                SELECT partner_id FROM crm_lead WHERE partner_id IN %(ids)s AND id != %(lead)s
                UNION
                SELECT partner_id FROM lead_pipeline_lead_converted_partner_rel
                 WHERE partner_id IN %(ids)s AND lead_id != %(lead)s
                """,
                ids=ids,
                lead=self.id,
            )
        )
        for (partner_id,) in cr.fetchall():
            other_leads[partner_id] = self.env._("another lead")
        used = {}
        checks = [
            (
                SQL(
                    "SELECT parent_id FROM res_partner WHERE parent_id IN %s AND id NOT IN %s",
                    ids,
                    ids,
                ),
                self.env._("contacts of its own"),
            ),
            (
                SQL(
                    """SELECT res_id FROM mail_message
                        WHERE model = 'res.partner' AND res_id IN %s
                          AND lead_pipeline_origin_lead_id IS DISTINCT FROM %s
                       UNION
                       SELECT author_id FROM mail_message WHERE author_id IN %s""",
                    ids,
                    self.id,
                    ids,
                ),
                self.env._("messages"),
            ),
            (
                SQL(
                    """SELECT partner_id FROM mail_followers
                        WHERE partner_id IN %s
                          AND NOT (res_model = 'res.partner' AND res_id = partner_id)
                          AND NOT (res_model = 'crm.lead' AND res_id = %s)""",
                    ids,
                    self.id,
                ),
                self.env._("followed documents"),
            ),
            (
                SQL(
                    """SELECT res_id FROM mail_activity
                        WHERE res_model = 'res.partner' AND res_id IN %s""",
                    ids,
                ),
                self.env._("activities"),
            ),
        ]
        for query, reason in checks:
            cr.execute(query)
            for (partner_id,) in cr.fetchall():
                used.setdefault(partner_id, reason)
        for partner_id in self._lead_pipeline_partner_references(ids):
            used.setdefault(partner_id, self.env._("documents"))
        return other_leads, used

    def _lead_pipeline_partner_references(self, ids):
        """Partners of ``ids`` that a row of any table points at, through a
        foreign key that would block or blank on delete (a quotation, an
        invoice, another partner's company, a user...): Odoo's own unlink
        would otherwise take some of them along (Sales deletes draft
        quotations) or silently blank them. Rows among the partners
        themselves, and cascading keys (the partner's own tags, bank
        accounts), do not count."""
        cr = self.env.cr
        cr.execute(
            """
            SELECT cl.relname, att.attname
              FROM pg_constraint con
              JOIN pg_class cl ON cl.oid = con.conrelid
              JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = con.conkey[1]
             WHERE con.contype = 'f' AND con.confrelid = 'res_partner'::regclass
               AND array_length(con.conkey, 1) = 1 AND con.confdeltype <> 'c'
             ORDER BY 1, 2
            """
        )
        parts = []
        for table, column in cr.fetchall():
            query = SQL(
                "SELECT %s FROM %s WHERE %s IN %s",
                SQL.identifier(column),
                SQL.identifier(table),
                SQL.identifier(column),
                ids,
            )
            if table == "res_partner":
                query = SQL("%s AND id NOT IN %s", query, ids)
            elif table == "crm_lead":
                query = SQL("%s AND id != %s", query, self.id)
            parts.append(query)
        if not parts:
            return set()
        cr.execute(SQL(" UNION ").join(parts))
        return {partner_id for (partner_id,) in cr.fetchall()}

    def _lead_pipeline_remove_partners(self, partners):
        """Delete the partners this conversion created when nothing else uses
        them; keep those another lead uses as they are, and archive those
        other documents use. Returns the names deleted, archived and kept."""
        deleted, archived, kept = [], [], []
        other_leads, used = self._lead_pipeline_partner_users(partners)
        # contacts before their company
        for partner in partners.sorted(lambda p: p.is_company):
            name = partner.display_name
            if partner.id in other_leads:
                kept.append(name)
                continue
            if partner.id not in used and self._lead_pipeline_try_unlink(partner):
                deleted.append(name)
                continue
            partner.sudo().action_archive()
            archived.append(name)
        return deleted, archived, kept

    def _lead_pipeline_try_unlink(self, partner):
        """Delete ``partner`` if the database lets it go; False when another
        document points at it (a sale order, an invoice...)."""
        try:
            with self.env.cr.savepoint():
                partner.sudo().unlink()
        except (IntegrityError, UserError, ValidationError):
            return False
        return True
