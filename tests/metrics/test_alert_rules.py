"""The alert rules as code (deploy/prometheus/alerts.yml): valid, and firing exactly as their unit tests say."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.metrics.helpers import ROOT

RULES = os.path.join(ROOT, "deploy", "prometheus")
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (apt-get install --no-install-recommends prometheus); "
                             ".ci/run installs it and runs these checks always")


def _promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *args], cwd=RULES, capture_output=True, text=True, timeout=120)


def test_the_alert_rules_are_valid():
    result = _promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 7 rules found" in result.stdout


def test_the_alerts_fire_as_their_unit_tests_expect():
    result = _promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
