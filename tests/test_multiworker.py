"""Several workers, one PostgreSQL: a real Odoo server in multi-process mode
(4 HTTP workers), driven over XML-RPC by concurrent clients creating leads
through one round-robin rule. No lead lost or duplicated, a fair spread."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from odoo.tests import tagged
from odoo.tools import config

from .common import LeadPipelineCase, committed_env, committed_routing_rule

CLIENTS = 8
CALLS = 5
BATCH = 10


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install", "lead_pipeline")
class TestFourWorkers(LeadPipelineCase):
    def _start_server(self, db_name, port):
        # Odoo's prefork server re-executes sys.argv[0] for its gevent process:
        # a launcher script, as odoo-bin is
        launcher = os.path.join(self._tmpdir(), "odoo-launcher")
        with open(launcher, "w", encoding="utf-8") as script:
            script.write("import odoo\n\nodoo.cli.main()\n")
        command = [
            sys.executable, launcher,
            "--addons-path", config["addons_path"],
            "--db_host", config["db_host"] or "", "--db_port", str(config["db_port"] or ""),
            "--db_user", config["db_user"] or "",
            "-d", db_name, f"--db-filter=^{db_name}$",
            "--http-interface", "127.0.0.1", "--http-port", str(port),
            "--gevent-port", str(free_port()),
            "--workers", "4", "--max-cron-threads", "0", "--log-level", "warn",
        ]  # fmt: skip
        server = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        self.addCleanup(self._stop_server, server)
        deadline = time.time() + 90
        while time.time() < deadline:
            if server.poll() is not None:
                raise AssertionError(f"Odoo stopped: {server.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/common")
                    proxy.version()
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError("the 4-worker Odoo server did not start in 90 s")

    def _tmpdir(self):
        directory = tempfile.mkdtemp(prefix="lead_pipeline_workers_")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        return directory

    @staticmethod
    def _stop_server(server):
        os.killpg(server.pid, 15)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)

    def test_concurrent_rpc_clients_through_round_robin(self):
        db_name = self.env.cr.dbname
        with committed_env(self.registry) as env:
            user_ids = env["res.users"].search([("share", "=", False)], limit=4, order="id").ids
            admin = env.ref("base.user_admin")
            admin.password = "admin"
            admin_id = admin.id
        port = free_port()
        members = [(0, 0, {"user_id": user_id}) for user_id in user_ids]

        def client(number):
            models = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}/xmlrpc/2/object")
            ids = []
            for call in range(CALLS):
                ids += models.execute_kw(
                    db_name, admin_id, "admin", "crm.lead", "create",
                    [[{"name": f"MW {number}-{call}-{i}", "type": "lead",
                       "email_from": f"mw{number}.{call}.{i}@workers.example"}
                      for i in range(BATCH)]],
                )  # fmt: skip
            return ids

        with committed_routing_rule(
            self.registry, name="Four workers", member_ids=members
        ) as created:
            self._start_server(db_name, port)
            with ThreadPoolExecutor(CLIENTS) as pool:
                for ids in pool.map(client, range(CLIENTS)):
                    created += ids
            total = CLIENTS * CALLS * BATCH
            self.assertEqual(len(created), total)
            self.assertEqual(len(set(created)), total, "no lead created twice")
            with committed_env(self.registry) as env:
                leads = env["crm.lead"].browse(created)
                self.assertEqual(len(set(leads.mapped("name"))), total, "no lead lost")
                counts = Counter(lead.user_id.id for lead in leads)
                self.assertEqual(sorted(counts), sorted(user_ids))
                self.assertLessEqual(max(counts.values()) - min(counts.values()), 1, counts)
                logs = env["lead_pipeline.routing.log"].search([("lead_id", "in", created)])
                self.assertEqual(len(logs), total, "each lead routed once")
