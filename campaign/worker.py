"""arq's WorkerSettings: every domain's jobs and cron entries, gathered in one place.

Cron times are Asia/Shanghai: the machines run on UTC and "Monday 08:00" means local time.
"""

from __future__ import annotations

import logging
import time

from arq import run_worker

from campaign import db, jobs
from campaign.accounts import jobs as accounts_jobs
from campaign.cases import jobs as cases_jobs
from campaign.cases import queries as cases_queries
from campaign.contests import jobs as contests_jobs
from campaign.duties import jobs as duties_jobs
from campaign.events import jobs as events_jobs
from campaign.materials import jobs as materials_jobs
from campaign.reports import jobs as reports_jobs
from campaign.streaks import jobs as streaks_jobs
from campaign.timeutil import LOCAL
from campaign.volunteers import jobs as volunteers_jobs
from campaign.warnings import jobs as warnings_jobs

# Follow-ups between domains: a lower domain announces, the upper one's job runs.
jobs.subscribe(cases_queries.CASES_CHANGED, streaks_jobs.refresh_streaks_after_cases)
jobs.subscribe(cases_queries.CASES_CHANGED, duties_jobs.open_reviews_after_cases)
jobs.subscribe(cases_queries.CASES_CHANGED, reports_jobs.revise_after_cases)

FUNCTIONS = [
    jobs.follow_ups,
    *accounts_jobs.FUNCTIONS,
    *cases_jobs.FUNCTIONS,
    *contests_jobs.FUNCTIONS,
    *events_jobs.FUNCTIONS,
    *materials_jobs.FUNCTIONS,
    *duties_jobs.FUNCTIONS,
    *reports_jobs.FUNCTIONS,
    *streaks_jobs.FUNCTIONS,
    *volunteers_jobs.FUNCTIONS,
    *warnings_jobs.FUNCTIONS,
]
CRON_JOBS = [
    *accounts_jobs.CRON_JOBS,
    *contests_jobs.CRON_JOBS,
    *events_jobs.CRON_JOBS,
    *duties_jobs.CRON_JOBS,
    *reports_jobs.CRON_JOBS,
    *streaks_jobs.CRON_JOBS,
    *volunteers_jobs.CRON_JOBS,
    *warnings_jobs.CRON_JOBS,
]


async def recover_interrupted_work(embedded: bool) -> None:
    """Work a dead process left half done (called once at start-up: by the app without Redis,
    by `campaign worker` with it)."""
    await cases_jobs.recover_interrupted_imports(embedded)


async def startup(ctx: dict) -> None:
    await db.start_pool()
    await recover_interrupted_work(embedded=False)


async def shutdown(ctx: dict) -> None:
    await db.close_pool()


class WorkerSettings:
    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    redis_settings = jobs.redis_settings()
    on_startup = startup
    on_shutdown = shutdown
    timezone = LOCAL
    keep_result = 3600


def run(settings: type = WorkerSettings, retry_seconds: float = 5.0) -> None:
    """`campaign worker`: arq's worker, started again while Redis does not answer. arq gives up
    when Redis goes away under it; queued jobs stay in Redis (keep its persistence on), and a
    job the dead worker was running is retried by arq once its in-progress lock expires."""
    while True:
        try:
            run_worker(settings)  # type: ignore[arg-type]
            return
        except jobs.REDIS_DOWN as error:
            logging.getLogger("campaign.worker").warning(
                "Redis unavailable (%s); the worker starts again in %.0f s", error, retry_seconds
            )
            time.sleep(retry_seconds)
