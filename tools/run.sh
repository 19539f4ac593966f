#!/usr/bin/env bash
# `make run`: a local cluster owned by an unprivileged user, a database with
# crm + lead_pipeline + demo data, and Odoo on http://localhost:8069.
# Running it again reuses the cluster and the database.
source "$(dirname "$0")/common.sh"
check_prerequisites
RUN_DIR="${LP_RUN_DIR:-/tmp/lead_pipeline_run}"
PGPORT="${PGPORT:-5433}"
HTTP_PORT="${HTTP_PORT:-8069}"
DB="${DB:-lead_pipeline}"
WORKERS="${WORKERS:-0}"

pg_start "$RUN_DIR" "$PGPORT"
write_conf "$RUN_DIR" "$PGPORT" "$HTTP_PORT"
CONF="$RUN_DIR/odoo.conf"

if [ -f "$RUN_DIR/odoo.pid" ] && kill -0 "$(cat "$RUN_DIR/odoo.pid")" 2>/dev/null; then
    log "Odoo is already running (pid $(cat "$RUN_DIR/odoo.pid"))"
else
    if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U "$DB_ROLE" -d postgres -Atc \
        "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
        log "Creating database $DB with crm, lead_pipeline and demo data (a minute or two)"
        odoo -c "$CONF" -d "$DB" -i lead_pipeline --stop-after-init --log-level=warn \
            >"$RUN_DIR/install.log" 2>&1 || { tail -40 "$RUN_DIR/install.log"; die "Installing lead_pipeline failed."; }
    else
        log "Updating lead_pipeline in the existing database $DB"
        odoo -c "$CONF" -d "$DB" -u lead_pipeline --stop-after-init --log-level=warn \
            >"$RUN_DIR/update.log" 2>&1 || { tail -40 "$RUN_DIR/update.log"; die "Updating lead_pipeline failed."; }
    fi
    extra=()
    ODOO_PORT="$HTTP_PORT"
    if [ "$WORKERS" -gt 0 ]; then
        # multi-process mode behind nginx, as Odoo's deployment guide has it:
        # HTTP workers on an inner port, the gevent (websocket) port beside it
        ODOO_PORT="$((HTTP_PORT + 1))"
        GEVENT_PORT="$((HTTP_PORT + 2))"
        extra+=(--workers "$WORKERS" --max-cron-threads 1 --http-port "$ODOO_PORT"
                --gevent-port "$GEVENT_PORT" --proxy-mode)
        start_nginx "$RUN_DIR" "$HTTP_PORT" "$ODOO_PORT" "$GEVENT_PORT"
    fi
    nohup "$PYTHON" "$(odoo_launcher "$RUN_DIR")" -c "$CONF" -d "$DB" --db-filter="^${DB}\$" "${extra[@]}" \
        >"$RUN_DIR/odoo.log" 2>&1 &
    echo $! >"$RUN_DIR/odoo.pid"
    for _ in $(seq 1 60); do
        if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$HTTP_PORT/web/login', timeout=2)" 2>/dev/null; then
            break
        fi
        kill -0 "$(cat "$RUN_DIR/odoo.pid")" 2>/dev/null || { tail -30 "$RUN_DIR/odoo.log"; die "Odoo stopped; see $RUN_DIR/odoo.log"; }
        sleep 1
    done
fi
cat <<MSG

  Odoo with lead_pipeline is running: http://localhost:$HTTP_PORT
  Login: admin   Password: admin   (demo salespeople: anna/anna, piotr/piotr, olga/olga)
  Database: $DB   Log: $RUN_DIR/odoo.log   Stop with: make stop
  Workers: $WORKERS (0: threaded server; more: multi-process behind nginx, websocket on the gevent port)

MSG
