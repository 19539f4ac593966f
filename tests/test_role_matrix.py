"""The role matrix: every role against every act, over real XML-RPC (and
JSON-RPC over HTTP for the anonymous visitor) against the server that
``--odoo-http`` starts, with every record committed beforehand: the server
reads the database on its own cursors, nothing comes from this test's cache.
Each cell is asserted, allowed or refused."""

import uuid
import xmlrpc.client
from datetime import timedelta

import requests

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import committed_env

ROLES = (
    "salesperson",
    "all_leads",
    "manager",
    "substitute",
    "substitute_ended",
    "leads_only",
    "leads_only_all",
    "portal",
    "anonymous",
)

ACTS = (
    "create",
    "read",
    "write",
    "move_checkpoint",
    "convert",
    "undo",
    "delete",
    "delete_converted",
    "read_contacts",
    "read_history",
    "read_qualification",
    "read_routing_log",
    "read_opportunity",
    "configure_types",
    "configure_rules",
    "configure_forms",
    "absence_self",
    "absence_others",
    "absence_takeover",
)

_WORK = {
    "create",
    "read",
    "write",
    "move_checkpoint",
    "convert",
    "read_contacts",
    "read_history",
    "read_qualification",
    "read_routing_log",
    "absence_self",
}

#: role -> the acts it may do; every other act is refused
ALLOWED = {
    "salesperson": _WORK | {"read_opportunity"},
    "all_leads": _WORK | {"read_opportunity"},
    "manager": set(ACTS) - {"delete_converted"},
    "substitute": _WORK | {"read_opportunity"},
    "substitute_ended": {"create", "absence_self"},
    "leads_only": _WORK,
    "leads_only_all": _WORK,
    "portal": set(),
    "anonymous": set(),
}

#: role -> whose lead it works on: itself, or the absent colleague
SUBJECT = {
    "salesperson": "salesperson",
    "all_leads": "colleague",
    "manager": "colleague",
    "substitute": "colleague",
    "substitute_ended": "colleague",
    "leads_only": "leads_only",
    "leads_only_all": "colleague",
    "portal": "salesperson",
    "anonymous": "salesperson",
}

GROUPS = {
    "salesperson": ["sales_team.group_sale_salesman"],
    "colleague": ["sales_team.group_sale_salesman"],
    "all_leads": ["sales_team.group_sale_salesman_all_leads"],
    "manager": ["sales_team.group_sale_manager"],
    "substitute": ["sales_team.group_sale_salesman"],
    "substitute_ended": ["sales_team.group_sale_salesman"],
    "leads_only": ["base.group_user", "lead_pipeline.group_leads_only"],
    "leads_only_all": ["base.group_user", "lead_pipeline.group_leads_only_all"],
    "portal": ["base.group_portal"],
}


FORM_FIELDS = ("name", "contact_name", "email_from")


class Refused(Exception):
    """The server refused the call."""


class RpcClient:
    """A user calling the server over XML-RPC."""

    def __init__(self, url, db, uid, password):
        self.proxy = xmlrpc.client.ServerProxy(f"{url}object", allow_none=True)
        self.db, self.uid, self.password = db, uid, password

    def call(self, model, method, args, kwargs=None):
        try:
            return self.proxy.execute_kw(
                self.db, self.uid, self.password, model, method, args, kwargs or {}
            )
        except xmlrpc.client.Fault as fault:
            raise Refused(fault.faultString.splitlines()[-1]) from None


class AnonymousClient:
    """A visitor without a session calling the web client's JSON-RPC door."""

    def __init__(self, base_url):
        self.base_url = base_url

    def call(self, model, method, args, kwargs=None):
        response = requests.post(
            f"{self.base_url}/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "id": 1,
                "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
            },
            timeout=30,
        )
        payload = response.json()
        if response.status_code != 200 or "error" in payload:
            raise Refused(str(payload.get("error", {}).get("message")))
        return payload["result"]


@tagged("post_install", "-at_install", "lead_pipeline")
class TestRoleMatrix(HttpCase):
    # the server serves each call on a cursor of its own, as in production
    registry_test_mode = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tag = uuid.uuid4().hex[:8]
        cls.created = {"crm.lead": [], "lead_pipeline.absence": []}
        cls.addClassCleanup(cls._cleanup)
        with committed_env(cls.registry) as env:
            cls._setup_committed(env)

    @classmethod
    def _setup_committed(cls, env):
        users = {}
        for role, groups in GROUPS.items():
            login = f"matrix_{role}_{cls.tag}"
            users[role] = env["res.users"].create(
                {
                    "name": f"Matrix {role}",
                    "login": login,
                    "password": login,
                    "email": f"{login}@matrix.example",
                    "groups_id": [(6, 0, [env.ref(group).id for group in groups])],
                }
            )
        cls.user_ids = {role: user.id for role, user in users.items()}
        Status = env["lead_pipeline.status"]
        required = env.ref("crm.field_crm_lead__partner_name")
        cls.statuses = statuses = {
            key: Status.create(
                {"name": f"Matrix {key} {cls.tag}", "category": category, "sequence": sequence}
            )
            for sequence, (key, category) in enumerate(
                [
                    ("new", "new"),
                    ("checkpoint", "working"),
                    ("working", "working"),
                    ("qualified", "qualified"),
                    ("converted", "converted"),
                ]
            )
        }
        statuses["checkpoint"].required_field_ids = required
        cls.status_ids = {key: status.id for key, status in statuses.items()}
        lead_type = env["lead_pipeline.lead.type"].create(
            {
                "name": f"Matrix type {cls.tag}",
                "code": f"M{cls.tag}",
                "sequence": 1000,
                "qualification_framework": "bant",
                "status_ids": [(6, 0, [status.id for status in statuses.values()])],
                "default_status_id": statuses["new"].id,
            }
        )
        cls.type_id = lead_type.id
        cls.rule_id = (
            env["lead_pipeline.routing.rule"]
            .create(
                {
                    "name": f"Matrix rule {cls.tag}",
                    "active": False,
                    "strategy": "fixed",
                    "fixed_user_id": users["manager"].id,
                }
            )
            .id
        )
        cls.form_id = (
            env["lead_pipeline.web.form"]
            .create(
                {
                    "name": f"Matrix form {cls.tag}",
                    "lead_type_id": lead_type.id,
                    "active": False,
                    "field_ids": [
                        (6, 0, [env.ref(f"crm.field_crm_lead__{name}").id for name in FORM_FIELDS])
                    ],
                }
            )
            .id
        )
        now = fields.Datetime.now()
        colleague = users["colleague"]
        absences = env["lead_pipeline.absence"].create(
            [
                {
                    "user_id": colleague.id,
                    "substitute_id": users["substitute"].id,
                    "date_from": now - timedelta(hours=2),
                    "date_to": now + timedelta(days=1),
                },
                {
                    "user_id": colleague.id,
                    "substitute_id": users["substitute_ended"].id,
                    "date_from": now - timedelta(days=10),
                    "date_to": now - timedelta(days=9),
                },
            ]
        )
        cls.created["lead_pipeline.absence"] += absences.ids
        # one set of leads per cell that changes them; reads share one set
        cls.leads = {}
        for role in ROLES:
            owner = users[SUBJECT[role]]
            for act in ("shared", "write", "move_checkpoint", "convert", "undo", "delete"):
                cls.leads[role, act] = cls._make_lead(env, owner, lead_type, act)
            cls.leads[role, "delete_converted"] = cls._make_lead(env, owner, lead_type, "undo")
            cls.leads[role, "opportunity"] = cls._make_opportunity(env, owner)

    @classmethod
    def _make_lead(cls, env, owner, lead_type, act):
        statuses = cls.statuses
        lead = env["crm.lead"].create(
            {
                "name": f"Matrix {act} of {owner.name}",
                "type": "lead",
                "lead_type_id": lead_type.id,
                "user_id": owner.id,
                "contact_name": "Mona Matrix",
                "email_from": f"mona.{uuid.uuid4().hex[:8]}@matrix.example",
                "partner_name": f"Matrix Customer {uuid.uuid4().hex[:6]}",
            }
        )
        cls.created["crm.lead"].append(lead.id)
        lead.lead_status_id = statuses["working"]
        if act in ("convert", "undo"):
            lead.lead_status_id = statuses["qualified"]
        if act == "undo":
            lead._lead_pipeline_convert()
        env["lead_pipeline.routing.log"].create(
            {"lead_id": lead.id, "user_id": owner.id, "explanation": "Matrix routing"}
        )
        assert lead.user_id == owner, "no routing rule moved the lead"
        return lead.id

    @classmethod
    def _make_opportunity(cls, env, owner):
        opportunity = env["crm.lead"].create(
            {"name": f"Matrix deal of {owner.name}", "type": "opportunity", "user_id": owner.id}
        )
        cls.created["crm.lead"].append(opportunity.id)
        return opportunity.id

    @classmethod
    def _cleanup(cls):
        with committed_env(cls.registry) as env:
            leads = env["crm.lead"].with_context(active_test=False).browse(cls.created["crm.lead"])
            leads |= leads.search([("name", "=like", f"Matrix created {cls.tag}%")])
            partners = leads.exists().lead_created_partner_ids
            absences = env["lead_pipeline.absence"].search(
                [("user_id", "in", list(cls.user_ids.values()))]
            )
            absences.unlink()
            leads.exists().unlink()
            partners.exists().write({"active": False})
            env["lead_pipeline.routing.rule"].browse(cls.rule_id).unlink()
            env["lead_pipeline.web.form"].browse(cls.form_id).unlink()
            env["lead_pipeline.lead.type"].browse(cls.type_id).unlink()
            env["lead_pipeline.status"].browse(list(cls.status_ids.values())).unlink()
            users = env["res.users"].browse(list(cls.user_ids.values()))
            users.write({"active": False})

    # ------------------------------------------------------------------
    # the acts: each returns True when the server did it, False when it
    # refused (an error, or nothing readable)

    def _client(self, role):
        if role == "anonymous":
            return AnonymousClient(self.base_url())
        login = f"matrix_{role}_{self.tag}"
        return RpcClient(self.xmlrpc_url, self.env.cr.dbname, self.user_ids[role], login)

    def _uid(self, role):
        return self.user_ids.get(role, self.user_ids["salesperson"])

    def _act_create(self, client, role):
        client.call(
            "crm.lead",
            "create",
            [
                {
                    "name": f"Matrix created {self.tag} by {role}",
                    "type": "lead",
                    "lead_type_id": self.type_id,
                    "user_id": self._uid(role),
                    "email_from": f"new.{role}.{self.tag}@matrix.example",
                }
            ],
        )
        return True

    def _act_read(self, client, role):
        return bool(client.call("crm.lead", "read", [[self.leads[role, "shared"]], ["name"]]))

    def _act_write(self, client, role):
        client.call("crm.lead", "write", [[self.leads[role, "write"]], {"description": "Called"}])
        return True

    def _act_move_checkpoint(self, client, role):
        lead_id = self.leads[role, "move_checkpoint"]
        client.call(
            "crm.lead", "write", [[lead_id], {"lead_status_id": self.status_ids["checkpoint"]}]
        )
        client.call(
            "crm.lead", "write", [[lead_id], {"lead_status_id": self.status_ids["working"]}]
        )
        return True

    def _act_convert(self, client, role):
        lead_id = self.leads[role, "convert"]
        context = {"active_model": "crm.lead", "active_ids": [lead_id]}
        wizard_id = client.call(
            "lead_pipeline.convert.wizard", "create", [{}], {"context": context}
        )
        client.call(
            "lead_pipeline.convert.wizard", "action_convert", [[wizard_id]], {"context": context}
        )
        return True

    def _act_undo(self, client, role):
        client.call(
            "crm.lead", "action_lead_pipeline_undo_conversion", [[self.leads[role, "undo"]]]
        )
        return True

    def _act_delete(self, client, role):
        client.call("crm.lead", "unlink", [[self.leads[role, "delete"]]])
        return True

    def _act_delete_converted(self, client, role):
        client.call("crm.lead", "unlink", [[self.leads[role, "delete_converted"]]])
        return True

    def _read_children(self, client, role, model):
        lead_id = self.leads[role, "shared"]
        return bool(client.call(model, "search_read", [[("lead_id", "=", lead_id)], ["id"]]))

    def _act_read_contacts(self, client, role):
        return self._read_children(client, role, "lead_pipeline.lead.contact")

    def _act_read_history(self, client, role):
        return self._read_children(client, role, "lead_pipeline.status.history")

    def _act_read_qualification(self, client, role):
        return self._read_children(client, role, "lead_pipeline.lead.qualification")

    def _act_read_routing_log(self, client, role):
        return self._read_children(client, role, "lead_pipeline.routing.log")

    def _act_read_opportunity(self, client, role):
        lead_id = self.leads[role, "opportunity"]
        return bool(client.call("crm.lead", "read", [[lead_id], ["name"]]))

    def _act_configure_types(self, client, role):
        client.call("lead_pipeline.lead.type", "write", [[self.type_id], {"description": role}])
        return True

    def _act_configure_rules(self, client, role):
        client.call("lead_pipeline.routing.rule", "write", [[self.rule_id], {"sequence": 500}])
        return True

    def _act_configure_forms(self, client, role):
        client.call("lead_pipeline.web.form", "write", [[self.form_id], {"redirect_url": "/x"}])
        return True

    def _absence(self, client, user_id, year):
        return client.call(
            "lead_pipeline.absence",
            "create",
            [
                {
                    "user_id": user_id,
                    "date_from": f"{year}-01-01 08:00:00",
                    "date_to": f"{year}-01-02 18:00:00",
                }
            ],
        )

    def _act_absence_self(self, client, role):
        return bool(self._absence(client, self._uid(role), 2031))

    def _act_absence_others(self, client, role):
        return bool(self._absence(client, self.user_ids["colleague"], 2032))

    def _act_absence_takeover(self, client, role):
        absence_id = self._absence(client, self._uid(role), 2033)
        client.call(
            "lead_pipeline.absence",
            "write",
            [
                [absence_id],
                {"user_id": self.user_ids["colleague"], "substitute_id": self._uid(role)},
            ],
        )
        return True

    # ------------------------------------------------------------------

    def test_every_role_every_act(self):
        results = {}
        for role in ROLES:
            client = self._client(role)
            for act in ACTS:
                try:
                    done = getattr(self, f"_act_{act}")(client, role)
                except Refused as refusal:
                    done, why = False, str(refusal)
                else:
                    why = ""
                results[role, act] = (done, why)
        for role in ROLES:
            for act in ACTS:
                with self.subTest(role=role, act=act):
                    done, why = results[role, act]
                    self.assertEqual(
                        done,
                        act in ALLOWED[role],
                        f"{role} {'could' if done else 'could not'} {act}: {why}",
                    )
        self._assert_effects()

    def _assert_effects(self):
        """What the allowed acts did is in the database: the converted lead
        of a Leads Only user has its customer, the refused acts left nothing."""
        with committed_env(self.registry) as env:
            Lead = env["crm.lead"].with_context(active_test=False)
            for role in ROLES:
                with self.subTest(role=role, check="effects"):
                    converted = Lead.browse(self.leads[role, "convert"])
                    self.assertEqual(
                        bool(converted.lead_converted_date), "convert" in ALLOWED[role]
                    )
                    deleted = not Lead.browse(self.leads[role, "delete"]).exists()
                    self.assertEqual(deleted, "delete" in ALLOWED[role])
                    self.assertTrue(Lead.browse(self.leads[role, "delete_converted"]).exists())
                    taken = env["lead_pipeline.absence"].search(
                        [
                            ("user_id", "=", self.user_ids["colleague"]),
                            ("substitute_id", "=", self.user_ids.get(role, 0)),
                            ("date_from", ">=", "2033-01-01"),
                        ]
                    )
                    self.assertEqual(bool(taken), "absence_takeover" in ALLOWED[role])
