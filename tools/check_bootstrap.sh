#!/usr/bin/env bash
# The bootstrap, checked as a fresh machine meets it: Odoo set up into a
# throwaway cache folder from the Odoo source already on this machine (no
# network beyond the package registries), then a second run that must be a
# no-op within 10 seconds.
source "$(dirname "$0")/common.sh"
: "${PYTHON:?run through make test}"
SRC="${ODOO_SRC:-$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(odoo.__file__)))')}"
TMP_CACHE="$(mktemp -d /tmp/lead_pipeline_bootstrap.XXXXXX)"
trap 'rm -rf "$TMP_CACHE"' EXIT
log "bootstrap from ODOO_SRC=$SRC into $TMP_CACHE"
start=$(date +%s)
# as make run sets it up (no test tools), then as make test does
env -u PYTHON LP_CACHE_DIR="$TMP_CACHE" ODOO_SRC="$SRC" python3 "$PROJECT_DIR/tools/bootstrap.py" >/dev/null \
    || die "first bootstrap (as make run) failed"
new_python="$(env -u PYTHON LP_CACHE_DIR="$TMP_CACHE" ODOO_SRC="$SRC" python3 "$PROJECT_DIR/tools/bootstrap.py" --tools)" \
    || die "bootstrap with the test tools failed"
first=$(( $(date +%s) - start ))
[ "$new_python" = "$TMP_CACHE/venv/bin/python" ] || die "bootstrap answered $new_python, not its own virtualenv"
"$new_python" -c '
import odoo.release, pytest_odoo, websocket, freezegun, ruff, pylint_odoo, phonenumbers, psycopg2
assert odoo.release.version_info[:2] == (18, 0), odoo.release.version
assert odoo.__file__.startswith("'"$TMP_CACHE"'"), odoo.__file__
print("bootstrap check: imports odoo", odoo.release.version, "from", odoo.__file__)
' || die "the new virtualenv does not import Odoo 18.0 and the test tools"
start_ns=$(date +%s%N)
env -u PYTHON LP_CACHE_DIR="$TMP_CACHE" ODOO_SRC="$SRC" python3 "$PROJECT_DIR/tools/bootstrap.py" --tools >/dev/null \
    || die "second bootstrap failed"
second_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
grep -q '"commit"' "$TMP_CACHE/state.json" || die "state.json does not record the commit"
echo "bootstrap check: first run ${first} s, second run ${second_ms} ms"
[ "$second_ms" -lt 10000 ] || die "the second bootstrap took ${second_ms} ms (limit 10 s)"
