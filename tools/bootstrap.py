#!/usr/bin/env python3
"""Set Odoo 18.0 up for `make run` and `make test` when no Python here imports it.

Prints the path of the Python the commands should use on standard output, and
its progress on standard error. Idempotent: a second run checks what is there
and returns within seconds.

- A Python named by ``PYTHON`` is honoured as it is (it must import Odoo 18.0).
- Otherwise Odoo's source comes from ``ODOO_SRC`` (a git URL, a local git
  repository, a source folder or a tarball; default: the official Odoo
  Community repository's 18.0 branch, cloned shallow) into a per-user cache
  folder, ``${XDG_CACHE_HOME:-~/.cache}/lead_pipeline`` (or ``LP_CACHE_DIR``),
  beside a virtualenv holding Odoo's requirements resolved for this Python,
  Odoo itself (editable) and the test and lint tools. The cache records where
  its source came from and which commit it holds (``state.json``).
- Debian's system parts (PostgreSQL 15 server, Chromium for the tours) are
  installed when missing and running as root; otherwise the ``apt-get`` line
  to run is printed.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SRC = "https://github.com/odoo/odoo.git"
DEFAULT_BRANCH = "18.0"
STATE_VERSION = 1
# What the commands import; checked on every run, in one interpreter start.
PROBE = (
    "import odoo.release as r, psycopg2, lxml, werkzeug, phonenumbers;"
    "assert r.version_info[:2] == (18, 0), r.version;"
    "print(r.version)"
)
TOOLS_PROBE = "import pytest_odoo, websocket, freezegun, ruff, pylint_odoo, whool, build"


class StepError(Exception):
    """A step failed: the message says which and what to do."""


def log(msg):
    print(f"\033[1m==> {msg}\033[0m", file=sys.stderr, flush=True)


@contextlib.contextmanager
def step(title):
    log(f"{title} ...")
    start = time.monotonic()
    yield
    log(f"{title}: done in {time.monotonic() - start:.1f} s")


def run(cmd, what, hint, logfile=None, **kwargs):
    """Run ``cmd``; on failure raise StepError naming the step, the hint and the log."""
    if logfile:
        with open(logfile, "a", encoding="utf-8") as out:
            out.write(f"\n$ {' '.join(map(str, cmd))}\n")
            out.flush()
            proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, check=False, **kwargs)
    else:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode:
        detail = f"see {logfile}" if logfile else (proc.stderr or proc.stdout or "").strip()[-2000:]
        raise StepError(f"{what} failed (exit {proc.returncode}): {hint}\n{detail}")
    return proc


def pip(python, args, what, hint, logfile):
    """``python -m pip install -q <args>`` as a named step of the set-up."""
    return run([str(python), "-m", "pip", "install", "-q", *args], what, hint, logfile)


def cache_dir():
    if os.environ.get("LP_CACHE_DIR"):
        return Path(os.environ["LP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lead_pipeline"


def file_hash(*paths):
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:16]


def probe(python, code):
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False)
    return proc.returncode == 0, (proc.stdout or proc.stderr).strip()


# ---------------------------------------------------------------- system parts
def apt_install(packages, why):
    """Install Debian packages as root, or say the exact line to run."""
    line = "apt-get install -y " + " ".join(packages)
    if os.geteuid() != 0:
        raise StepError(f"{why} is missing. Run as root: sudo apt-get update && sudo {line}")
    if not shutil.which("apt-get"):
        raise StepError(f"{why} is missing and this is not Debian/Ubuntu: install {packages}.")
    with step(f"Debian packages for {why}: {' '.join(packages)}"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], "apt-get update", "check the network", env=env)
        run(["apt-get", "install", "-y", "-qq", *packages], line, "see apt's message", env=env)


def ensure_system(need_browser):
    if not shutil.which("git"):
        apt_install(["git"], "git")
    pg_bin = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
    if not (pg_bin / "initdb").exists():
        apt_install(["postgresql-15"], "the PostgreSQL 15 server")
    if need_browser and not any(
        shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
    ):
        apt_install(["chromium"], "Chromium (Odoo's UI tours)")


# ---------------------------------------------------------------- source
def classify(src):
    path = Path(src).expanduser()
    if path.exists():
        if path.is_file():
            return "tarball", path.resolve()
        if (path / "HEAD").is_file() and (path / "objects").is_dir():
            return "git", path.resolve()  # bare repository (a mirror)
        if (path / ".git").exists():
            return "git", path.resolve()
        return "folder", path.resolve()
    if re.match(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:", src):
        return "git", src
    raise StepError(
        f"ODOO_SRC={src!r} is neither an existing folder, git repository or tarball, nor a git URL."
    )


def find_root(folder):
    """The Odoo source root inside ``folder`` (a tarball may wrap it in one directory)."""
    for candidate in [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]:
        if (candidate / "odoo" / "release.py").exists() and (candidate / "setup.py").exists():
            return candidate
    raise StepError(f"No Odoo source (odoo/release.py and setup.py) found in {folder}.")


def fetch_source(src, dest, logfile):
    kind, location = classify(src)
    branch = os.environ.get("ODOO_BRANCH")
    tmp = Path(tempfile.mkdtemp(prefix="odoo-src.", dir=dest.parent))
    try:
        with step(f"Odoo source from {src} ({kind})"):
            target = tmp / "src"
            if kind == "git":
                cmd = ["git", "clone", "--quiet", "--depth", "1", "--single-branch"]
                if branch or not isinstance(location, Path):
                    cmd += ["--branch", branch or DEFAULT_BRANCH]
                url = location.as_uri() if isinstance(location, Path) else location
                run(
                    [*cmd, url, str(target)], "git clone", "check ODOO_SRC and the network", logfile
                )
            elif kind == "tarball":
                target.mkdir()
                with tarfile.open(location) as tar:
                    tar.extractall(target, filter="data")
                target = find_root(target)
            else:
                shutil.copytree(location, target, symlinks=True)
                target = find_root(target)
            find_root(target)
            if dest.exists():
                shutil.rmtree(dest)
            target.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    commit = ""
    if (dest / ".git").exists():
        commit = subprocess.run(
            ["git", "-C", str(dest), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    version = re.search(r"^version_info = (.*)$", (dest / "odoo/release.py").read_text(), re.M)
    if not version or not version.group(1).startswith("(18, 0,"):
        raise StepError(f"{src} is not Odoo 18.0 ({version and version.group(1)}).")
    return commit


# ---------------------------------------------------------------- requirements
RESOLVE = r"""
import json, re, sys
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement

local = default_environment()
newer = [dict(local, python_version=v, python_full_version=v + ".0") for v in ("3.12", "3.13")]
chosen, alternatives = {}, {}
for raw in open(sys.argv[1], encoding="utf-8"):
    line = raw.split("#", 1)[0].strip()
    if not line:
        continue
    req = Requirement(line)
    key = req.name.lower()
    spec = f"{req.name}{req.specifier}"
    marker = req.marker
    if marker is None or marker.evaluate(local):
        chosen[key] = spec
    for env in newer:
        if marker is None or marker.evaluate(env):
            alternatives.setdefault(key, [])
            if spec not in alternatives[key]:
                alternatives[key].append(spec)
print(json.dumps({"chosen": chosen, "alternatives": alternatives}))
"""


def resolve_requirements(python, src, logfile):
    """Odoo's pins for this Python; a pin with no wheel here takes the newer Python's pin."""
    pip(
        python,
        ["packaging"],
        "pip install packaging",
        "check the network or the package index",
        logfile,
    )
    script = Path(tempfile.mkstemp(suffix=".py")[1])
    script.write_text(RESOLVE)
    try:
        out = run(
            [str(python), str(script), str(src / "requirements.txt")],
            "reading Odoo's requirements.txt",
            "is it Odoo's own requirements.txt?",
        ).stdout
    finally:
        script.unlink()
    data = json.loads(out)
    chosen, alternatives = data["chosen"], data["alternatives"]
    notes = []
    if "psycopg2" in chosen:
        chosen["psycopg2"] = chosen["psycopg2"].replace("psycopg2", "psycopg2-binary", 1)
        notes.append("psycopg2 -> psycopg2-binary (no compiler or libpq headers needed)")
    if "python-ldap" in chosen and not (
        Path("/usr/include/ldap.h").exists() and Path("/usr/include/sasl/sasl.h").exists()
    ):
        del chosen["python-ldap"]
        notes.append(
            "python-ldap left out (no libldap2-dev/libsasl2-dev headers; only auth_ldap uses it)"
        )
    # Pins that change with the Python version must come as wheels for this
    # Python; otherwise take the pin Odoo gives for the newer Python.
    versioned = {k for k, alts in alternatives.items() if k in chosen and alts != [chosen[k]]}
    versioned.discard("psycopg2")
    for _attempt in range(len(versioned) + 1):
        specs = [chosen[k] for k in sorted(versioned)]
        proc = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--quiet",
                "--no-deps",
                "--ignore-installed",
                "--only-binary=:all:",
                *specs,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode == 0:
            break
        missing = re.search(r"(?:for|satisfies the requirement) ([A-Za-z0-9_.\-]+)", proc.stderr)
        key = missing and missing.group(1).lower()
        if not key or key not in versioned:
            raise StepError(f"Resolving Odoo's pins failed:\n{proc.stderr.strip()[-2000:]}")
        options = [a for a in alternatives[key] if a != chosen[key]]
        versioned.discard(key)
        if options:
            notes.append(f"{chosen[key]} has no wheel for this Python -> {options[0]}")
            chosen[key] = options[0]
    for note in notes:
        log(f"  {note}")
    return sorted(chosen.values(), key=str.lower)


# ---------------------------------------------------------------- main steps
def honour_python(python):
    ok, out = probe(python, PROBE)
    if not ok:
        raise StepError(
            f"PYTHON={python} cannot import Odoo 18.0 and its requirements:\n{out[-1500:]}\n"
            "Unset PYTHON to let the commands set Odoo up in their own virtualenv."
        )
    return python


def bootstrap(with_tools):
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    src_dir, venv = cache / "odoo", cache / "venv"
    python = venv / "bin" / "python"
    state_file = cache / "state.json"
    tools_hash = file_hash(PROJECT_DIR / "tests" / "requirements.txt")
    with open(cache / ".lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        src = os.environ.get("ODOO_SRC") or state.get("source") or DEFAULT_SRC
        fresh = (
            state.get("version") == STATE_VERSION
            and state.get("source") == src
            and state.get("python") == sys.version.split()[0]
            and (not with_tools or state.get("tools") == tools_hash)
            and python.exists()
            and src_dir.exists()
        )
        if fresh:
            ok, out = probe(python, PROBE)
            if ok:
                log(
                    f"Odoo {out} ready in {cache} (source {src}, commit {state.get('commit') or '-'})"
                )
                return python
        logfile = cache / "bootstrap.log"
        logfile.write_text("")
        log(f"Setting Odoo 18.0 up in {cache} (log: {logfile}); the first run takes a few minutes")
        if sys.version_info < (3, 10):  # noqa: UP036 (the check is for the Python running it)
            raise StepError(f"Odoo 18.0 needs Python >= 3.10; this is {sys.version.split()[0]}.")
        if state.get("source") != src or not src_dir.exists():
            state = {"version": STATE_VERSION, "source": src}
            state_file.write_text(json.dumps(state, indent=2))
            state["commit"] = fetch_source(src, src_dir, logfile)
        state.update(version=STATE_VERSION, source=src)
        if not python.exists() or state.get("python") != sys.version.split()[0]:
            with step(f"Virtualenv {venv} (Python {sys.version.split()[0]})"):
                shutil.rmtree(venv, ignore_errors=True)
                run(
                    [sys.executable, "-m", "venv", str(venv)],
                    "python3 -m venv",
                    "install Debian's python3-venv package",
                    logfile,
                )
                pip(
                    python,
                    ["--upgrade", "pip", "setuptools", "wheel"],
                    "upgrading pip",
                    "check the network or the package index",
                    logfile,
                )
        with step("Odoo's requirements.txt, resolved for this Python"):
            # phonenumbers: Odoo's phone tools, which the matching engine uses
            specs = [*resolve_requirements(python, src_dir, logfile), "phonenumbers"]
            (cache / "requirements-resolved.txt").write_text("\n".join(specs) + "\n")
            pip(
                python,
                ["-r", str(cache / "requirements-resolved.txt")],
                "pip install (Odoo's requirements)",
                "a pin failed to build: see the log for the package and install its headers",
                logfile,
            )
        with step("Odoo itself, editable"):
            pip(
                python,
                ["--no-deps", "--no-build-isolation", "-e", str(src_dir)],
                "pip install -e <odoo>",
                "see the log",
                logfile,
            )
        state.update(python=sys.version.split()[0])
        if with_tools:
            with step("Test and lint tools (tests/requirements.txt)"):
                pip(
                    python,
                    ["-r", str(PROJECT_DIR / "tests" / "requirements.txt")],
                    "pip install (test tools)",
                    "see the log",
                    logfile,
                )
            state["tools"] = tools_hash
        ok, out = probe(python, PROBE + (";" + TOOLS_PROBE if with_tools else ""))
        if not ok:
            raise StepError(f"The new virtualenv does not import what the commands need:\n{out}")
        state_file.write_text(json.dumps(state, indent=2))
        log(f"Odoo {out} ready in {cache}")
        return python


def main():
    with_tools = "--tools" in sys.argv
    need_browser = "--browser" in sys.argv
    try:
        ensure_system(need_browser)
        if os.environ.get("PYTHON"):
            python = honour_python(os.environ["PYTHON"])
        else:
            python = bootstrap(with_tools)
    except StepError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    print(python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
