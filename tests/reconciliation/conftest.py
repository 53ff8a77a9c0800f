"""A sandbox of the reconciliation tests' own, with one day of real traffic for its trade bill."""

from __future__ import annotations

import pytest

from tests.sandbox.bill_traffic import DayTraffic, drive_day, start_bill_sandbox


@pytest.fixture(scope="session")
async def billing(tmp_path_factory):
    running = await start_bill_sandbox(tmp_path_factory.mktemp("reconciliation-sandbox"), "reconciliation_sandbox")
    yield running
    await running.stop()


@pytest.fixture(scope="session")
async def day(billing) -> DayTraffic:
    return await drive_day(billing)
