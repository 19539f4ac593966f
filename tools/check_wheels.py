"""Build each addon as a standard Odoo addon wheel (whool) and check that it
carries what the addon needs at run time: every data and demo file of the
manifest, translations, migrations and static files."""

import ast
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def addons():
    return sorted(path.parent for path in PROJECT.glob("*/__manifest__.py"))


def check(addon, outdir):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", outdir, addon],
        check=True,
        capture_output=True,
    )
    wheels = list(Path(outdir).glob(f"odoo_addon_{addon.name}-*.whl"))
    if len(wheels) != 1:
        return [f"{addon.name}: expected one wheel odoo_addon_{addon.name}-*.whl, got {wheels}"]
    wheel = wheels[0]
    version = wheel.name.split("-")[1]
    problems = []
    if not version.startswith(manifest["version"]):
        problems.append(
            f"{wheel.name}: version {version} is not the manifest's {manifest['version']}"
        )
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = f"odoo/addons/{addon.name}/"
    tracked = subprocess.run(
        ["git", "ls-files", addon.name], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    wanted = manifest.get("data", []) + manifest.get("demo", [])
    wanted += [
        f.removeprefix(f"{addon.name}/")
        for f in tracked
        if f.split("/")[1] in ("i18n", "migrations", "static", "readme")
    ]
    for relative in wanted:
        if prefix + relative not in names:
            problems.append(f"{wheel.name}: {relative} is missing")
    print(f"{wheel.name}: {len(names)} files, {len(wanted)} data files checked")
    return problems


def main():
    problems = []
    with tempfile.TemporaryDirectory() as outdir:
        for addon in addons():
            problems += check(addon, outdir)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
