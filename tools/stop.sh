#!/usr/bin/env bash
# `make stop`: stop the Odoo server and the cluster that `make run` started.
source "$(dirname "$0")/common.sh"
RUN_DIR="${LP_RUN_DIR:-/tmp/lead_pipeline_run}"
if [ -f "$RUN_DIR/odoo.pid" ]; then
    pid="$(cat "$RUN_DIR/odoo.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN_DIR/odoo.pid"
fi
stop_nginx "$RUN_DIR"
pg_stop "$RUN_DIR"
log "Stopped Odoo and PostgreSQL ($RUN_DIR kept for the next make run)"
