#!/usr/bin/env bash
# `make bench`: two fresh databases in one run on a throwaway cluster, one with
# crm only (native Odoo) and one with lead_pipeline, the same work in each;
# prints a table of native vs lead_pipeline seconds, ratio and queries per lead.
source "$(dirname "$0")/../tools/common.sh"
cd "$PROJECT_DIR"
check_prerequisites
RUN_DIR="$(mktemp -d /tmp/lead_pipeline_bench.XXXXXX)"
chmod 755 "$RUN_DIR"
PGPORT="$(free_port)"
cleanup() { pg_stop "$RUN_DIR"; rm -rf "$RUN_DIR"; }
trap cleanup EXIT
pg_start "$RUN_DIR" "$PGPORT"
write_conf "$RUN_DIR" "$PGPORT" "$(free_port)"
log "Creating bench_native (crm) and bench_lead_pipeline (crm + lead_pipeline)"
odoo -c "$RUN_DIR/odoo.conf" -d bench_native -i crm --without-demo=all --stop-after-init --log-level=warn
odoo -c "$RUN_DIR/odoo.conf" -d bench_lead_pipeline -i lead_pipeline --without-demo=all --stop-after-init --log-level=warn
log "Running the benchmark"
"$PYTHON" bench/bench.py "$RUN_DIR/odoo.conf" bench_native bench_lead_pipeline "$@"
