"""An import in the batches Odoo's import dialog sends: each row imported or
reported once, wherever refused rows fall in the file."""

from odoo.tests import HttpCase, tagged

from .common import LeadPipelineCase

FIELDS = ["name", "contact_name", "email_from", "phone"]


@tagged("post_install", "-at_install", "lead_pipeline")
class TestImportDialogBatches(LeadPipelineCase, HttpCase):
    def _import_as_salesperson(self, rows, limit):
        """The dialog's calls, from a salesperson's web session: ``execute_import`` from row ``skip``
        with the batch size, again from ``nextrow`` until it is 0."""
        csv = "\n".join(",".join(row) for row in [FIELDS, *rows]) + "\n"
        self.env.flush_all()
        self.authenticate("lp_salesman", "lp_salesman")

        def call(model, method, args):
            return self.make_jsonrpc_request(
                f"/web/dataset/call_kw/{model}/{method}",
                {
                    "model": model,
                    "method": method,
                    "args": args,
                    "kwargs": {"context": {"tracking_disable": True}},
                },
            )

        wizard_id = call(
            "base_import.import",
            "create",
            [
                {
                    "res_model": "crm.lead",
                    "file": csv,  # base_import keeps the raw file, not base64
                    "file_name": "leads.csv",
                    "file_type": "text/csv",
                }
            ],
        )
        skip, messages, batches = 0, [], 0
        while True:
            options = {
                "has_headers": True,
                "separator": ",",
                "quoting": '"',
                "limit": limit,
                "skip": skip,
            }
            result = call(
                "base_import.import", "execute_import", [[wizard_id], FIELDS, FIELDS, options]
            )
            batches += 1
            messages += result["messages"]
            if not result.get("nextrow") or batches > 10:
                return messages, batches
            skip = result["nextrow"]

    def test_each_row_imported_or_refused_once_across_batches(self):
        self.env["res.partner"].create({"name": "Known", "email": "known@batch.example"})
        rows = [
            ["Row 1", "Ann", "ann@batch.example", ""],
            ["Row 2", "Nobody", "", ""],  # no way to reach: refused
            ["Row 3", "Known", "known@batch.example", ""],  # a customer: refused
            ["Row 4", "Dan", "dan@batch.example", ""],
            ["Row 5", "Eva", "eva@batch.example", ""],
            ["Row 6", "Fred", "", "+421 2 1234 5678"],
            ["Row 7", "Gina", "gina@batch.example", ""],
        ]
        messages, batches = self._import_as_salesperson(rows, limit=3)
        names = self.Lead.search([("name", "like", "Row ")]).mapped("name")
        self.assertEqual(sorted(names), ["Row 1", "Row 4", "Row 5", "Row 6", "Row 7"])
        refused = sorted(m["message"] for m in messages)
        self.assertEqual(len(refused), 2, refused)
        self.assertIn("Row 2 not imported", refused[0])
        self.assertIn("Row 3 not imported", refused[1])
        self.assertEqual(batches, 3)
