"""Say plainly what is missing before anything starts.

Odoo is the host platform: it is never installed by this project. It must be
importable by ``python3`` (or its source folder given as ``ODOO_PATH``).
"""

import importlib
import sys

REQUIRED = {
    "odoo": "Odoo 18.0 (make its source importable, or set ODOO_PATH to its folder)",
    "psycopg2": "psycopg2 (Odoo's PostgreSQL driver)",
    "lxml": "lxml (one of Odoo's requirements.txt)",
    "werkzeug": "Werkzeug (one of Odoo's requirements.txt)",
    "phonenumbers": "phonenumbers (phone normalisation, Odoo's CRM tests)",
}


def main():
    missing = []
    for module, what in REQUIRED.items():
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing.append(f"  - {what}: cannot import {module!r} ({exc})")
    if missing:
        print("lead_pipeline needs these and python3 cannot import them:", file=sys.stderr)
        print("\n".join(missing), file=sys.stderr)
        return 1
    import odoo.release

    if odoo.release.version_info[:2] != (18, 0):
        print(f"lead_pipeline needs Odoo 18.0, found {odoo.release.version}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
