"""Responsibility jobs: the daily task reminders and the review sweep that runs after every case
write (announced by the cases domain) and every ten minutes as a safety net."""

from __future__ import annotations

from arq import cron

from campaign.duties import queries
from campaign.timeutil import today


async def send_task_reminders(ctx: dict) -> int:
    """Daily 08:00 (Asia/Shanghai): reminders for tasks due within three days and overdue."""
    return await queries.send_reminders(today())


async def open_reviews_after_cases(ctx: dict, *units) -> int:
    """Open an accountability review for every case written since the last sweep whose loss is
    at or above the threshold (setting duties.review_loss_yuan). Subscribed to the cases'
    CASES_CHANGED announcement in campaign/worker.py (the units it carries are not needed)."""
    return await queries.open_reviews_for_new_cases()


FUNCTIONS = [send_task_reminders, open_reviews_after_cases]
CRON_JOBS = [
    cron(send_task_reminders, hour={8}, minute={0}, run_at_startup=False),
    cron(open_reviews_after_cases, minute=set(range(0, 60, 10)), run_at_startup=False),
]
