"""Compare two Odoo test logs of `make compat`: the native baseline and the
run with lead_pipeline. Prints both counts and the tests failing only with
lead_pipeline; exits 1 when one of them is not listed, with its reason, in the
expected-differences file (one ``<test id>  # <reason>`` per line).

``compat_diff.py --check LOG EXPECTED`` judges one run with lead_pipeline
alone (make test's update-mode run of crm and sales_team): exits 1 unless it
reported its results and every failure in it is an expected difference, with
no error logged outside a test.

``compat_diff.py --new NATIVE ADDON EXPECTED`` lists the unexpected tests
failing only with lead_pipeline, which compat.sh runs again alone; their logs,
given after EXPECTED, let a test that passes alone count as a timing failure
of the loaded run (printed as such)."""

import re
import sys

# "<date> <time> <pid> ERROR <db> odoo.addons.crm.tests.test_x: FAIL: TestX.test_y"
FAILURE = re.compile(
    r"^\S+ \S+ \d+ (?:ERROR|CRITICAL) \S+ (?:odoo\.addons\.)?(?P<module>[\w.]+): "
    r"(?:FAIL|ERROR): (?P<test>.+?)\s*$"
)
# a class whose setUpClass failed: "ERROR: setUpClass (odoo.addons.x.tests.test_y.TestZ)"
SETUP_CLASS = re.compile(r"^setUpClass \((?:odoo\.addons\.)?(?P<module>[\w.]+)\.(?P<cls>\w+)\)$")
SUBTEST = re.compile(r"^Subtest (?P<test>\S+)(?: \(.*\))?$")
SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
# errors logged outside a test's own report: module loading, a crash
STRAY = re.compile(r"^\S+ \S+ \d+ (?:ERROR|CRITICAL) ")
# the counts Odoo logs as errors when a module's tests failed
COUNTS = re.compile(
    r"odoo\.modules\.loading: (?:Module \w+: \d+ failures|At least one test failed)"
    r"|error\(s\) of \d+ tests"
)


def test_id(module, test):
    """``module: TestClass.test_method``; a failing subtest (as ``@users``
    makes) counts as its test, a failing setUpClass as ``TestClass.setUpClass``."""
    if match := SETUP_CLASS.match(test):
        return f"{match['module']}: {match['cls']}.setUpClass"
    if match := SUBTEST.match(test):
        return f"{module}: {match['test']}"
    return f"{module}: {test}"


def read_log(path, stray=None):
    """(set of failing test ids, (failed, errors, tests) of the last summary);
    error lines other than a test's own report and the counts are appended to
    ``stray``."""
    failing, summary = set(), None
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if match := FAILURE.match(line):
                failing.add(test_id(match["module"], match["test"]))
                continue
            if match := SUMMARY.search(line):
                summary = tuple(int(number) for number in match.groups())
            if stray is not None and STRAY.match(line) and not COUNTS.search(line):
                stray.append(line.rstrip())
    return failing, summary


def read_expected(path):
    """{test id: reason} from the expected-differences file."""
    expected = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            test, _sep, reason = line.partition("  # ")
            if not reason.strip():
                sys.exit(f"compat: {path}: no reason given for {test!r}")
            expected[test.strip()] = reason.strip()
    return expected


def describe(summary):
    if summary is None:
        return "no summary"
    failed, errors, tests = summary
    return f"{failed} failed, {errors} error(s) of {tests} tests"


def passed_alone(test, retry_logs):
    """Whether one of the retry logs ran ``test`` alone and it passed."""
    module, _sep, name = test.partition(": ")
    for path in retry_logs:
        failing, summary = read_log(path)
        if summary and test not in failing and summary[0] + summary[1] == 0 and summary[2]:
            with open(path, encoding="utf-8", errors="replace") as log:
                if any(f"{module}: Starting {name}" in line for line in log):
                    return True
    return False


def new_failures(native_log, addon_log, expected_path):
    """The tests failing only with lead_pipeline and not expected, one per line
    (for compat.sh to run them again alone)."""
    native, _summary = read_log(native_log)
    addon, _summary = read_log(addon_log)
    expected = read_expected(expected_path)
    for test in sorted(addon - native):
        if test not in expected:
            print(test)
    return 0


def main(native_log, addon_log, expected_path, *retry_logs):
    native, native_summary = read_log(native_log)
    addon, addon_summary = read_log(addon_log)
    expected = read_expected(expected_path)
    print(f"Native baseline:    {describe(native_summary)}")
    print(f"With lead_pipeline: {describe(addon_summary)}")
    only_addon = sorted(addon - native)
    only_native = sorted(native - addon)
    unexpected = []
    print(f"Failing only with lead_pipeline: {len(only_addon)}")
    for test in only_addon:
        if test in expected:
            note = f"expected: {expected[test]}"
        elif passed_alone(test, retry_logs):
            note = "passed when run again alone (a timing failure of the loaded run)"
        else:
            note = "NOT EXPECTED"
            unexpected.append(test)
        print(f"  {test}\n      {note}")
    if only_native:
        print(f"Failing only in the native baseline: {len(only_native)}")
        for test in only_native:
            print(f"  {test}")
    for test in sorted(set(expected) - set(only_addon)):
        print(f"Listed as expected but not failing only with lead_pipeline: {test}")
    if unexpected:
        print(f"compat: {len(unexpected)} failure(s) only with lead_pipeline, not expected")
        return 1
    print("compat: no unexpected difference")
    return 0


def check(log_path, expected_path):
    stray = []
    failing, summary = read_log(log_path, stray)
    expected = read_expected(expected_path)
    print(f"With lead_pipeline: {describe(summary)}")
    for test in sorted(failing):
        note = f"expected: {expected[test]}" if test in expected else "NOT EXPECTED"
        print(f"  {test}\n      {note}")
    for line in stray:
        print(f"  error logged: {line[:300]}")
    unexpected = [test for test in failing if test not in expected]
    if summary is None or unexpected or stray:
        print("compat: the run failed beyond the expected differences")
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--check":
        sys.exit(check(*sys.argv[2:]))
    if sys.argv[1] == "--new":
        sys.exit(new_failures(*sys.argv[2:]))
    sys.exit(main(*sys.argv[1:]))
