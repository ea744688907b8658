"""Bulletin tests: all of Ningbo's towns, the default reference lists and reminders, and the
source report's week rebuilt from generated cases (tests/reports/report_week.py)."""

from __future__ import annotations

import asyncio

import pytest

from campaign import jobs
from campaign.cases.imports import import_file as import_cases
from campaign.cases.queries import seed_reference_lists
from campaign.reports import queries
from campaign.reports.queries import seed_reminders
from tests.helpers import report_week


@pytest.fixture
async def ningbo_towns(db):
    towns = await report_week.load_ningbo_with_people()
    await seed_reference_lists()
    await seed_reminders()
    yield towns
    await asyncio.gather(*jobs._running, return_exceptions=True)


@pytest.fixture
async def report_data(ningbo_towns):
    """The report's week: areas with 大榭 as its own zone, and the cases of weeks 24–27."""
    problems = await queries.save_areas(report_week.area_assignment(ningbo_towns), actor=None)
    assert problems == []
    await import_cases(
        "cases", "cases.csv", report_week.cases_csv(ningbo_towns), dry_run=False, actor=None
    )
    return ningbo_towns
