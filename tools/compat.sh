#!/usr/bin/env bash
# `make compat`: the own test suites of the Odoo apps that make or touch leads,
# run in update mode on two fresh databases of one throwaway cluster: a native
# baseline (the apps alone) and the same apps with lead_pipeline and its
# bridges. Prints both counts and the failures that appear only with
# lead_pipeline; fails on any of them that tools/compat_expected.txt does not
# list with its reason.
#
# Settings: COMPAT_APPS (comma-separated, default the twelve below),
# COMPAT_PARALLEL (1: both databases at once, the default; 0: one after the
# other, slower but kinder to tours on a loaded machine), LP_RUN_DIR (keep the
# cluster and the logs there instead of a temporary folder removed at the end).
source "$(dirname "$0")/common.sh"
cd "$PROJECT_DIR"
check_prerequisites --tools --browser
"$PYTHON" -c "import websocket" || die "websocket-client is missing: Odoo would skip every tour."

APPS="${COMPAT_APPS:-crm,sales_team,website_crm,sale_crm,event_crm,crm_livechat,mass_mailing_crm,crm_sms,crm_iap_mine,website_crm_partner_assign,crm_mail_plugin,hr_holidays}"
BRIDGES="lead_pipeline,lead_pipeline_website,lead_pipeline_sale,lead_pipeline_hr_holidays,lead_pipeline_sms"
EXPECTED="$PROJECT_DIR/tools/compat_expected.txt"

if [ -n "${LP_RUN_DIR:-}" ]; then
    RUN_DIR="$LP_RUN_DIR"
    mkdir -p "$RUN_DIR"
    cleanup() { pg_stop "$RUN_DIR"; }
else
    RUN_DIR="$(mktemp -d /tmp/lead_pipeline_compat.XXXXXX)"
    cleanup() { pg_stop "$RUN_DIR"; rm -rf "$RUN_DIR"; }
fi
chmod 755 "$RUN_DIR"
trap cleanup EXIT
PGPORT="$(free_port)"
pg_start "$RUN_DIR" "$PGPORT"

# every app must be in this Odoo: a missing one is named, and left out
present=()
addons_path="$(odoo_addons_path)"
for app in ${APPS//,/ }; do
    found=""
    for dir in ${addons_path//,/ }; do
        [ -f "$dir/$app/__manifest__.py" ] && found=1
    done
    if [ -n "$found" ]; then
        present+=("$app")
    else
        printf 'compat: %s is not in this Odoo (%s); left out\n' "$app" "$addons_path" >&2
    fi
done
[ "${#present[@]}" -gt 0 ] || die "None of the apps is in this Odoo."
APPS="$(IFS=,; echo "${present[*]}")"
TAGS="$(printf '/%s,' "${present[@]}")"
TAGS="${TAGS%,}"

# run_odoo_tests LOG ARGS...: Odoo running tests, its output in LOG. A tour
# that failed may leave its headless Chromium behind, and Odoo's shutdown then
# waits for it: once Odoo says it shuts down, its leftover child processes are
# ended (by their ids) after a grace period.
run_odoo_tests() {
    local log_file="$1" pid waited=0 children
    shift
    "$PYTHON" -m odoo "$@" >"$log_file" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        if grep -q "odoo.service.server: Initiating shutdown" "$log_file"; then
            waited=$((waited + 5))
            if [ "$waited" -ge 60 ]; then
                children="$(ps -o pid= --ppid "$pid" | tr '\n' ' ' || true)"
                if [ -n "${children// /}" ]; then kill $children 2>/dev/null || true; fi
                waited=0
            fi
        fi
    done
    wait "$pid"
}

# run_side NAME MODULES: install MODULES without tests, then the apps' own
# suites in update mode; the log is $RUN_DIR/NAME.log
run_side() {
    local name="$1" modules="$2" dir="$RUN_DIR/$1"
    mkdir -p "$dir"
    write_conf "$dir" "$PGPORT" "$(free_port)"
    if ! odoo -c "$dir/odoo.conf" -d "compat_$name" -i "$modules" --stop-after-init \
        --log-level=warn >"$dir/install.log" 2>&1; then
        tail -40 "$dir/install.log" >&2
        return 1
    fi
    # failing tests make Odoo exit non-zero: the log says which
    run_odoo_tests "$RUN_DIR/$name.log" -c "$dir/odoo.conf" -d "compat_$name" -u "$APPS" \
        --test-tags "$TAGS" --stop-after-init --log-level=test || true
}

log "Apps: $APPS"
log "Native baseline and lead_pipeline ($BRIDGES): install, then the suites in update mode"
start=$SECONDS
if [ "${COMPAT_PARALLEL:-1}" = 1 ]; then
    run_side native "$APPS" &
    native_pid=$!
    run_side addon "$APPS,$BRIDGES" &
    addon_pid=$!
    wait "$native_pid" || die "Installing the native baseline failed; see above."
    wait "$addon_pid" || die "Installing the apps with lead_pipeline failed; see above."
else
    run_side native "$APPS" || die "Installing the native baseline failed; see above."
    run_side addon "$APPS,$BRIDGES" || die "Installing the apps with lead_pipeline failed; see above."
fi
log "Both runs took $(((SECONDS - start) / 60)) min"

for side in native addon; do
    grep -qE "error\(s\) of [0-9]+ tests" "$RUN_DIR/$side.log" \
        || { tail -40 "$RUN_DIR/$side.log" >&2; die "The $side run did not report its results."; }
    if grep -qE "skipped .*(websocket|[Cc]hrome|browser)|websocket-client module is not installed" "$RUN_DIR/$side.log"; then
        die "A tour was skipped in the $side run (browser or websocket-client missing)."
    fi
done

# Tours time out on a loaded machine: a test failing only with lead_pipeline,
# not expected, runs again alone (in update mode of its app, so that at-install
# tests run too) before it counts; the report says which passed that way.
retry_logs=()
index=0
while IFS= read -r test; do
    [ -n "$test" ] || continue
    index=$((index + 1))
    module="${test%%.*}"
    name="${test#*: }"
    name="${name%.setUpClass}"
    log "Running again alone: $test"
    run_odoo_tests "$RUN_DIR/retry_$index.log" -c "$RUN_DIR/addon/odoo.conf" -d compat_addon \
        -u "$module" --test-tags "/$module:$name" --stop-after-init --log-level=test || true
    retry_logs+=("$RUN_DIR/retry_$index.log")
done < <("$PYTHON" "$PROJECT_DIR/tools/compat_diff.py" --new "$RUN_DIR/native.log" "$RUN_DIR/addon.log" "$EXPECTED")

"$PYTHON" "$PROJECT_DIR/tools/compat_diff.py" "$RUN_DIR/native.log" "$RUN_DIR/addon.log" "$EXPECTED" "${retry_logs[@]}"
