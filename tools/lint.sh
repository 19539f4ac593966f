#!/usr/bin/env bash
# Lint as the test command runs it: ruff, then pylint with the pylint-odoo plugin.
source "$(dirname "$0")/common.sh"
cd "$PROJECT_DIR"
ADDONS=$(ls -d lead_pipeline lead_pipeline_* 2>/dev/null)
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
"$PYTHON" -m pylint --rcfile=.pylintrc $ADDONS
