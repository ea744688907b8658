"""The Monday job drafts last week's bulletin at 08:00 Shanghai time and tells the admins (their
home card); the nightly check re-issues a published week whose data changed."""

from __future__ import annotations

import datetime as dt

from arq.cron import next_cron

from campaign.reports import jobs, queries
from campaign.reports.rules import Week
from campaign.timeutil import LOCAL
from campaign.worker import CRON_JOBS, FUNCTIONS, WorkerSettings
from tests.helpers.web import login, text_of


def test_the_draft_job_runs_mondays_at_eight_shanghai_time():
    job = next(j for j in CRON_JOBS if j.coroutine is jobs.draft_last_week)
    assert job.coroutine in FUNCTIONS and WorkerSettings.timezone.key == "Asia/Shanghai"
    sunday_2330_utc = dt.datetime(2023, 7, 9, 23, 30, tzinfo=dt.UTC)  # Monday 07:30 in Shanghai
    fire = next_cron(
        sunday_2330_utc.astimezone(LOCAL),
        weekday=job.weekday,
        hour=job.hour,
        minute=job.minute,
        second=job.second,
        microsecond=job.microsecond,
    ).replace(microsecond=0)
    assert fire == dt.datetime(2023, 7, 10, 8, 0, tzinfo=LOCAL)
    assert fire.astimezone(dt.UTC) == dt.datetime(2023, 7, 10, 0, 0, tzinfo=dt.UTC)


async def test_on_monday_morning_the_job_drafts_last_week_and_admins_are_told(
    client, make_user, report_data, monkeypatch
):
    monkeypatch.setattr(jobs, "today", lambda: dt.date(2023, 7, 10))  # the clock stands still
    assert await jobs.draft_last_week({}) == "2023-W27"
    draft = await queries.stored_draft("2023-W27")
    assert draft is not None and draft.figures["cases"] == 185
    await make_user("admin", "admin")
    await login(client, "admin")
    home = await client.get("/")
    assert "data-bulletin-waiting" in home.text and "2023-W27" in home.text


async def test_the_nightly_check_reissues_a_changed_published_week(client, make_user, report_data):
    """The safety net for changes that announce nothing (a correction made in the database)."""
    from campaign.cases.tables import Case

    await queries.publish(Week(2023, 27), actor=None)
    assert await jobs.revise_published_bulletins({}) == []
    one = (
        await Case.select(Case.id, Case.loss_fen)
        .where(Case.occurred_on == dt.date(2023, 7, 5))
        .first()
    )
    await Case.update({Case.loss_fen: one["loss_fen"] + 500_000}).where(Case.id == one["id"])
    assert await jobs.revise_published_bulletins({}) == ["2023-W27"]
    assert (await queries.latest_published("2023-W27")).revision == 2
    await make_user("boss", "leader")
    await login(client, "boss")
    page = await client.get("/bulletins/2023-W27")
    changes = text_of(page.text, "data-changes")
    assert "第 2 版修订了什么" in page.text and changes
    assert "涉案金额(万元):660.6 → 661.1" in page.text.replace("<del>", "").replace(
        "</del>", ""
    ).replace("<strong>", "").replace("</strong>", "")


def test_a_case_write_revises_published_weeks_at_once():
    """The check also follows the cases' announcement (campaign/worker.py), in every process."""
    from campaign import jobs as job_queue
    from campaign.cases.queries import CASES_CHANGED

    assert jobs.revise_after_cases in job_queue.subscribers(CASES_CHANGED)
    assert jobs.revise_after_cases in FUNCTIONS
