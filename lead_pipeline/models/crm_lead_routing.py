"""Routing: which salesperson and team take a lead, by ordered rules, with
substitutes for absent salespeople; the plan is applied in batch."""

from ast import literal_eval
from collections import defaultdict

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import (
    SQL,
)

from ..logic.routing import resolve_substitute
from ..logic.transitions import (
    OPEN_CATEGORIES,
)
from . import mail_bulk
from .internal import internal_write
from .routing_engine import RoutingContext

#: above this many leads, rule conditions are evaluated by the database
SQL_FILTER_THRESHOLD = 200
#: above this many leads, routing writes its chatter notes and the followers
#: Odoo would add in one INSERT each
SQL_BATCH_THRESHOLD = 200


class CrmLead(models.Model):
    _inherit = "crm.lead"  # pylint: disable=consider-merging-classes-inherited

    lead_routed_date = fields.Datetime(
        "Routed On", readonly=True, copy=False, index="btree_not_null"
    )
    lead_routing_log_ids = fields.One2many("lead_pipeline.routing.log", "lead_id", string="Routing")
    lead_pipeline_substitute_ids = fields.Many2many(
        "res.users",
        string="Substitutes Now",
        compute="_compute_lead_pipeline_substitute_ids",
        search="_search_lead_pipeline_substitute_ids",
        help="Who works this lead while its salesperson is away.",
    )

    def _lead_pipeline_route_created(self, vals_list):
        """Route, in one batch, the new leads whose values name no salesperson
        (Odoo's default of the current user does not count)."""
        if not self.env["lead_pipeline.routing.rule"]._active_rule_ids():
            return
        form_user = self._lead_pipeline_form_default_user()
        types = self._lead_pipeline_intake_types()
        unnamed = [
            lead.id
            for lead, vals in zip(self, vals_list, strict=True)
            if lead.type in types and (not vals.get("user_id") or vals["user_id"] == form_user)
        ]
        if unnamed:
            self.browse(unnamed)._lead_pipeline_route("create", force=True)

    @api.depends("user_id")
    def _compute_lead_pipeline_substitute_ids(self):
        substitutes = self.env["lead_pipeline.absence"]._substitutes_at(fields.Datetime.now())
        for lead in self:
            chain = resolve_substitute(lead.user_id.id, substitutes)[1] if lead.user_id else []
            lead.lead_pipeline_substitute_ids = [(6, 0, chain[1:])]

    def _search_lead_pipeline_substitute_ids(self, operator, value):
        """Leads whose salesperson is away now with one of ``value`` as
        substitute, directly or down a chain (A -> B -> C). The moment is
        taken at search time, so the record rule built on it ends with the
        absence although Odoo caches the rule's domain."""
        if operator not in ("in", "="):
            raise UserError(self.env._("Unsupported search on substitutes."))
        user_ids = [value] if isinstance(value, int) else list(value or [])
        now = fields.Datetime.now()
        absent = SQL(
            """(
            WITH RECURSIVE away AS (
                SELECT user_id, substitute_id FROM lead_pipeline_absence
                 WHERE date_from <= %(now)s AND date_to >= %(now)s
            ), chain(user_id, depth) AS (
                SELECT user_id, 1 FROM away WHERE substitute_id = ANY(%(users)s)
                UNION
                SELECT away.user_id, chain.depth + 1
                  FROM away JOIN chain ON away.substitute_id = chain.user_id
                 WHERE chain.depth < 20
            )
            SELECT user_id FROM chain
            )""",
            now=now,
            users=user_ids,
        )
        return [("user_id", "in", absent)]

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        """Whatever would reach a salesperson who is away reaches whoever
        substitutes for them too, so that no reply waits for their return."""
        recipients = super()._notify_get_recipients(message, msg_vals, **kwargs)
        if len(self) != 1 or not self.user_id or not recipients:
            return recipients
        owner_partner = self.user_id.partner_id.id
        if not any(data["id"] == owner_partner for data in recipients):
            return recipients
        substitutes = self.env["lead_pipeline.absence"]._substitutes_at(fields.Datetime.now())
        if self.user_id.id not in substitutes:
            return recipients
        substitute = resolve_substitute(self.user_id.id, substitutes)[0]
        if not substitute:
            return recipients
        partner = self.env["res.users"].browse(substitute).sudo().partner_id
        author = (msg_vals or {}).get("author_id") or message.author_id.id
        if partner.id == author or any(data["id"] == partner.id for data in recipients):
            return recipients
        msg_vals = msg_vals or {}
        extra = self.env["mail.followers"]._get_recipient_data(
            self,
            msg_vals.get("message_type") or message.message_type,
            msg_vals.get("subtype_id") or message.subtype_id.id,
            [partner.id],
        )[self.id]
        if partner.id in extra:
            recipients.append(extra[partner.id])
        return recipients

    @api.model
    def _lead_pipeline_form_default_user(self):
        """The salesperson the lead form proposes (the current user), when the
        setting routes leads typed in the web client as well; else None."""
        if not self._lead_pipeline_typed_in_web_client():
            return None
        routed = self.env["ir.config_parameter"].sudo().get_param("lead_pipeline.route_form_leads")
        return self.env.uid if routed else None

    def action_lead_pipeline_route(self):
        """Route again: the selected leads go through the rules as if new."""
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            raise UserError(self.env._("Only users who see all leads may route leads again."))
        routed = self._lead_pipeline_route("create", force=True)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": self.env._(
                    "%(count)s of %(total)s leads routed.", count=len(routed), total=len(self)
                ),
                "type": "success",
                "sticky": False,
            },
        }

    def action_lead_pipeline_open_routing_log(self):
        """Why the lead went where it went: its routing log."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("lead_pipeline.routing_log_action")
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    @api.model
    def _cron_route_unassigned(self):
        leads = self.search(
            [
                ("type", "=", "lead"),
                ("user_id", "=", False),
                ("lead_status_category", "in", OPEN_CATEGORIES),
            ],
            limit=5000,
        )
        leads._lead_pipeline_route("create", force=True)

    def _lead_pipeline_route(self, trigger, force=False, types=None):
        """Route the leads in one batch: rules in order, each taking the leads
        its condition matches; returns the leads that got a salesperson.
        ``types``: the crm.lead types routed, intake's by default (quick
        entry routes a hot prospect's opportunity)."""
        return self._lead_pipeline_apply_routing(
            self._lead_pipeline_routing_plan(trigger, force, types=types)
        )

    @api.model
    @tools.ormcache(cache="groups")
    def _lead_pipeline_intake_types(self):
        """What intake checks and routing handle: leads; with Odoo's Leads
        setting off (opportunities only, as small teams prefer), whatever
        intake creates, opportunities included. Cached with the groups."""
        group_user = self.env.ref("base.group_user").sudo()
        if self.env.ref("crm.group_use_lead") in group_user.implied_ids:
            return ("lead",)
        return ("lead", "opportunity")

    def _lead_pipeline_routing_plan(
        self, trigger, force=False, dry_run=False, inactive_rules=False, types=None
    ):
        """[(lead, rule, user or empty, explanation)] for the leads the rules
        place. A dry run takes no round-robin turn and locks nothing; it may
        include rules not enabled yet."""
        Rule = self.env["lead_pipeline.routing.rule"]
        if inactive_rules:
            rules = Rule.sudo().search([("active", "in", [True, False])])
        else:
            rules = Rule.sudo().browse(Rule._active_rule_ids())
        rules = rules.filtered(lambda rule: rule.trigger == trigger)
        types = types or self._lead_pipeline_intake_types()
        remaining = self.filtered(
            lambda lead: (lead.type in types and (force or not lead.user_id)) or trigger == "status"
        )
        if not rules or not remaining:
            return []
        context = RoutingContext(self.env, rules, dry_run=dry_run)
        default_company = self.env.company.id
        facts = {
            lead.id: (
                lead.company_id.id or default_company,
                lead.lead_type_id.id,
                lead.lead_status_id.id,
            )
            for lead in remaining
        }
        waiting = dict.fromkeys(remaining._ids)  # ordered ids to place (new ones in a dry run)
        plan = []
        for rule in rules:
            if not waiting:
                break
            company = rule.company_id.id
            types = set(rule.lead_type_ids.ids)
            statuses = set(rule.trigger_status_ids.ids) if rule.trigger == "status" else None
            candidates = self.browse(
                [
                    lead_id
                    for lead_id in waiting
                    if (not company or facts[lead_id][0] == company)
                    and (not types or facts[lead_id][1] in types)
                    and (statuses is None or facts[lead_id][2] in statuses)
                ]
            )
            domain = literal_eval(rule.domain or "[]")
            if domain and candidates:
                candidates = candidates._lead_pipeline_filter(domain)
            if not candidates:
                continue
            for lead, user, explanation in context.route(rule, candidates):
                plan.append((lead, rule, user, explanation))
                del waiting[lead.id]
        return plan

    def _lead_pipeline_filter(self, domain):
        """The leads matching ``domain``, in their order: in memory for a few
        leads (no query), in one query for large batches, where the database
        is much faster than evaluating the domain record by record."""
        if len(self) <= SQL_FILTER_THRESHOLD:
            return self.filtered_domain(domain)
        matching = set(
            self.sudo().with_context(active_test=False)._search([("id", "in", self.ids), *domain])
        )
        return self.filtered(lambda lead: lead.id in matching)

    def _lead_pipeline_apply_routing(self, plan):
        now = fields.Datetime.now()
        # the rule's team, else the salesperson's own: once per plan line
        teams = [rule.team_id or (user and user.sudo().sale_team_id) for _l, rule, user, _e in plan]
        by_target = defaultdict(list)
        for (lead, _rule, user, _explanation), team in zip(plan, teams, strict=True):
            by_target[(user.id if user else False, team.id if team else False)].append(lead.id)
        routed = self.browse([lead.id for lead, *_rest in plan])
        # what the team's recomputes read, read once before any write: read
        # later, each chunk's read would flush the writes pending so far, and
        # every lead would be updated twice
        routed.sudo().fetch(["lead_properties"])
        # above the threshold, the followers Odoo would add on each write are
        # added below in one INSERT
        bulk = len(plan) > SQL_BATCH_THRESHOLD
        for (user_id, team_id), lead_ids in by_target.items():
            values = {"lead_routed_date": now}
            if user_id:
                values["user_id"] = user_id
            if team_id:
                values["team_id"] = team_id
            # the routing log and the chatter note say it all, in batch; no
            # assignment mail per lead (as Odoo's own assignment does)
            internal_write(
                self.browse(lead_ids)
                .sudo()
                .with_context(
                    mail_notrack=True, mail_auto_subscribe_no_notify=True, tracking_disable=bulk
                ),
                values,
                sync=True,
            )
        if bulk:
            mail_bulk.insert_auto_followers(self, by_target)
        self.env["lead_pipeline.routing.log"]._log_plan(plan, teams, now)
        routed._lead_pipeline_log_notes(
            {lead.id: explanation for lead, _rule, _user, explanation in plan}
        )
        return self.browse([lead.id for lead, _rule, user, _e in plan if user])

    def _lead_pipeline_log_notes(self, texts):
        """Log an internal note on each lead of ``texts`` ({lead id: plain
        text}, escaped here) with ``_message_log_batch``; above
        SQL_BATCH_THRESHOLD leads (Route Again, the retry job, imports), the
        very same notes in one INSERT (``mail_bulk.insert_notes``)."""
        if not texts:
            return
        bodies = {lead_id: Markup("<p>%s</p>") % text for lead_id, text in texts.items()}
        if len(texts) <= SQL_BATCH_THRESHOLD:
            self.browse(list(texts)).sudo()._message_log_batch(bodies=bodies)
            return
        mail_bulk.insert_notes(self, bodies)
