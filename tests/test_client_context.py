"""Whatever a client sends in its context may add checks, never remove them.

Odoo hands a client's ``context`` to ``call_kw``, XML-RPC and JSON-RPC
unchanged. For every context key lead_pipeline's code reads (found by
scanning the source, so that a new key cannot slip past) and every key it
used to read, a salesperson's XML-RPC call carrying it, with a truthy and a
plausible value, ends exactly as the same call without it.
"""

import re
from pathlib import Path

from odoo.tests import HttpCase, tagged

from odoo.addons.lead_pipeline.models.internal import internal_write

from .common import LeadPipelineCase, SalespersonRpc

ROOT = Path(__file__).resolve().parent.parent
#: keys the addon's code reads, and why a client sending them gains nothing
READ_KEYS = {
    "import_file": "Odoo's import sets it; it only adds the row checks of an import",
    "_import_limit": "Odoo's import batch size; rows past it are neither checked nor loaded",
    "active_model": "Odoo's wizard convention: which leads the convert form proposes",
    "active_ids": "Odoo's wizard convention: which leads the convert form proposes",
    "lead_pipeline_type_id": "which empty status columns the kanban shows",
    "default_lead_type_id": "Odoo's default convention; the status columns shown",
}
#: keys the addon read before its steps stopped trusting the context
LEGACY_KEYS = {
    "lead_pipeline_force_status": True,
    "lead_pipeline_status_sync": True,
    "lead_pipeline_converting": True,
    "lead_pipeline_mirroring": True,
    "lead_pipeline_channel": "mail",
    "lead_pipeline_attached": ["res.partner", 1],
    "lead_pipeline_email_to": ["victim@outside.example"],
    "lead_pipeline_native_ids": [1],
    "enforce_status": False,
}
KEY_PATTERN = re.compile(r"""context(?:\.get\(|\[)\s*["']([A-Za-z_]+)["']""")


def context_keys_in_source():
    keys = set()
    for path in ROOT.glob("lead_pipeline*/**/*.py"):
        keys.update(KEY_PATTERN.findall(path.read_text(encoding="utf-8")))
    return keys


@tagged("post_install", "-at_install", "lead_pipeline")
class TestContextKeysScanned(LeadPipelineCase):
    def test_every_context_key_read_is_known_and_harmless(self):
        found = context_keys_in_source()
        self.assertTrue(found, "the scan finds the keys the addon reads")
        unknown = found - set(READ_KEYS)
        self.assertFalse(
            unknown,
            f"context keys read by the addon that no test proves harmless: {sorted(unknown)}",
        )
        self.assertFalse(found & set(LEGACY_KEYS), "no business rule reads these any more")


@tagged("post_install", "-at_install", "lead_pipeline")
class TestClientContextOverRpc(SalespersonRpc, LeadPipelineCase, HttpCase):
    """Each act runs as a salesperson over XML-RPC, once without any key, then
    with each key at a truthy and at a plausible value: same outcome."""

    def _lead(self, **values):
        return self.Lead.create(
            {
                "name": "Context lead",
                "type": "lead",
                "lead_type_id": self.lead_type.id,
                "user_id": self.user_salesman.id,
                **values,
            }
        )

    # the acts: each returns what a user would observe
    def _act_move_skipping_checks(self, context):
        lead = self._lead()
        result = self._rpc(
            "crm.lead", "write", [[lead.id], {"lead_status_id": self.status_test_ready.id}], context
        )
        lead.invalidate_recordset()
        return result[0] if isinstance(result, tuple) else "written", lead.lead_status_id.name

    def _act_move_logs_history(self, context):
        lead = self._lead()
        self._rpc(
            "crm.lead", "write", [[lead.id], {"lead_status_id": self.status_test_call.id}], context
        )
        lead.invalidate_recordset()
        return lead.lead_status_id.name, len(lead.lead_status_history_ids)

    def _act_edit_converted_lead(self, context):
        lead = self._lead(partner_name="Closed a.s.")
        internal_write(lead, {"lead_converted_date": "2026-11-01 10:00:00"}, converting=True)
        result = self._rpc("crm.lead", "write", [[lead.id], {"name": "Edited"}], context)
        lead.invalidate_recordset()
        return result[0] if isinstance(result, tuple) else "written", lead.name

    def _act_convert_lead_in_new(self, context):
        lead = self._lead(partner_name="Too Early a.s.", email_from="early@ctx.example")
        ctx = {**context, "active_model": "crm.lead", "active_ids": [lead.id]}
        wizard_id = self._rpc("lead_pipeline.convert.wizard", "create", [{}], ctx)
        result = self._rpc("lead_pipeline.convert.wizard", "action_convert", [[wizard_id]], ctx)
        lead.invalidate_recordset()
        return result[0] if isinstance(result, tuple) else "converted", bool(
            lead.lead_converted_date
        )

    def _act_intake_for_known_customer(self, context):
        self.env["res.partner"].create({"name": "Known", "email": "known@ctx.example"})
        result = self._rpc(
            "crm.lead",
            "create",
            [{"name": "Again", "type": "lead", "email_from": "known@ctx.example"}],
            context,
        )
        return result[0] if isinstance(result, tuple) else "created"

    def _act_contact_person_mirrored(self, context):
        lead_id = self._rpc(
            "crm.lead",
            "create",
            [{"name": "Card", "type": "lead", "contact_name": "Pat Person"}],
            context,
        )
        return self.Lead.browse(lead_id).lead_contact_ids.mapped("name")

    def _act_note_stays_internal(self, context):
        lead = self._lead(email_from="lead.person@ctx.example")
        self._rpc(
            "crm.lead",
            "message_post",
            [[lead.id]],
            context,
            {
                "body": "internal thoughts",
                "message_type": "comment",
                "subtype_xmlid": "mail.mt_note",
            },
        )
        return self.env["mail.mail"].search_count(
            [("email_to", "ilike", "outside.example")]
        ), self.env["mail.mail"].search_count([("email_to", "ilike", "ctx.example")])

    def test_no_context_key_loosens_a_rule(self):
        acts = {
            "move skipping checks": (self._act_move_skipping_checks, ("refused", "Fresh")),
            "move logs history": (self._act_move_logs_history, ("Called", 1)),
            "edit converted lead": (self._act_edit_converted_lead, ("refused", "Context lead")),
            "convert lead in New": (self._act_convert_lead_in_new, ("refused", False)),
            "intake for known customer": (self._act_intake_for_known_customer, "refused"),
            "contact person mirrored": (self._act_contact_person_mirrored, ["Pat Person"]),
            "note stays internal": (self._act_note_stays_internal, (0, 0)),
        }
        keys = {**dict.fromkeys(READ_KEYS, 1), **LEGACY_KEYS}
        for name, (act, expected) in acts.items():
            baseline = act({})
            self.assertEqual(baseline, expected, f"{name}: the rule holds without any key")
            for key, plausible in keys.items():
                for value in (True, plausible):
                    with self.subTest(act=name, key=key, value=value):
                        self.assertEqual(act({key: value}), baseline)
