"""A test that needs a missing tool fails loudly; it never skips quietly."""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not item.get_closest_marker("allowed_skip"):
        report.outcome = "failed"
        report.longrepr = f"Skipped, which this suite treats as a failure: {report.longrepr}"
