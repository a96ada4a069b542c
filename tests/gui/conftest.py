"""The GUI tests run headless (Qt's offscreen platform). Where Qt cannot start they skip, saying why, unless
``MTJHW_REQUIRE_GUI`` is set (CI sets it: there they must run)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before pytest-qt creates the QApplication

PROBE = "from qtpy.QtWidgets import QApplication; QApplication([])"


def qt_problem() -> str | None:
    """Why Qt cannot start here (a missing binding or system library), or None. Probed in a child process: a
    platform plugin that fails to load aborts the process that tries."""
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]


QT_PROBLEM = qt_problem()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if QT_PROBLEM is None:
        return
    reason = f"Qt cannot start (install the gui extra and Qt's system libraries): {QT_PROBLEM}"
    if os.environ.get("MTJHW_REQUIRE_GUI"):
        raise pytest.UsageError(f"MTJHW_REQUIRE_GUI is set but {reason}")
    for item in items:
        if "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=reason))
