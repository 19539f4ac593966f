#!/usr/bin/env bash
# Lint as the test command runs it: ruff, then pylint with the pylint-odoo plugin.
source "$(dirname "$0")/common.sh"
cd "$PROJECT_DIR"
check_prerequisites --tools
shopt -s nullglob
addons=(lead_pipeline lead_pipeline_*/)
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
"$PYTHON" -m pylint --rcfile=.pylintrc "${addons[@]%/}"
echo "lint: clean"
