"""Demo contests: the two the source report describes (镇、所两个层面的"控案"竞赛), with weekly
snapshots back-filled so rank arrows and trend charts show on the first visit."""

from __future__ import annotations

import datetime as dt

from campaign.contests import forms, queries
from campaign.db import existing_row

CIXI = "330282"


def _weights(**weights: float) -> list[dict]:
    available = queries.available_metrics()
    return [{"metric": m, "weight": w} for m, w in weights.items() if m in available]


async def generate_demo_contests(today: dt.date) -> list[int]:
    """A town contest in 慈溪市 over the current quarter and a city-wide station contest from the
    start of last month to the quarter's end, each snapshotted every Sunday until yesterday."""
    quarter = forms.blank(today)
    start, end = (
        dt.date.fromisoformat(quarter["start_on"]),
        dt.date.fromisoformat(quarter["end_on"]),
    )
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    common = {"normalisation": "minmax", "is_demo": True}
    ids = [
        await queries.create_contest(
            {
                **common,
                "name": "慈溪市镇街控案竞赛",
                "level": "town",
                "district_code": CIXI,
                "start_on": start,
                "end_on": end,
                "top_n": 5,
                "metrics": _weights(cases_per_10k=40, change_mom=20, zero_days=30, loss=10),
            },
            None,
        ),
        await queries.create_contest(
            {
                **common,
                "name": "全市派出所控案竞赛",
                "level": "station",
                "district_code": None,
                "start_on": min(start, last_month),
                "end_on": end,
                "top_n": 10,
                "metrics": _weights(cases_per_10k=40, change_yoy=20, zero_days=30, outreach=10),
            },
            None,
        ),
    ]
    for contest_id in ids:
        contest = await existing_row(queries.contest(contest_id))
        await queries.backfill_snapshots(contest, today - dt.timedelta(days=1))
    return ids
