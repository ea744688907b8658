"""Propagandists and volunteers: leaderboards, sign-ups, awards and the public pages.

    python benchmarks/volunteers_scenarios.py [--propagandists 500] [--volunteers 5000] [--requests 50]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied): Ningbo's divisions with one station per town, then the demo
generator of campaign/volunteers/demo.py at the given size (its ledger and board rows are built
together). Requests go to the app in this process through ASGI, one after the other, so the
figures are server-side time. Awards are timed as the query they are (ledger entry + totals +
board rows in one transaction). Prints p50/p95 per scenario and writes
benchmarks/out/volunteers-<engine>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from events_scenarios import OUT, p95, timed


def prepare_environment() -> Path:
    var = Path(tempfile.mkdtemp(prefix="campaign-volunteers-bench-"))
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.pop("REDIS_URL", None)
    return var


async def load(propagandists: int, volunteers: int) -> dict:
    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.demo import builder
    from campaign.regions.imports import import_file
    from campaign.timeutil import today
    from campaign.volunteers import demo

    await migrate()
    await import_file(
        "regions", builder.NINGBO.name, builder.NINGBO.read_bytes(), dry_run=False, actor=None
    )
    await builder.generate_stations()
    await accounts.create_user("admin", "demo2026", "管理员", "admin", None, None, None)
    started = time.perf_counter()
    counts = await demo.generate_demo(today(), {}, propagandists, volunteers)
    counts["build_s"] = round(time.perf_counter() - started, 2)
    return counts


async def scenarios(requests: int) -> list[dict]:
    import httpx

    from campaign.app import create_app
    from campaign.db import close_pool, start_pool
    from campaign.volunteers import queries, rules
    from campaign.volunteers.tables import Propagandist, Volunteer

    app = create_app()
    await start_pool()
    results = []
    anonymous = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    district = (await Volunteer.select(Volunteer.district_code).first())["district_code"]
    for name, path in (
        ("healthz", "/healthz"),
        ("board volunteers week city", "/v/boards?board=v&period=w"),
        (
            "board volunteers all-time district",
            f"/v/boards?board=v&period=a&scope=district&code={district}",
        ),
        ("board propagandists month", "/v/boards?board=p&period=m"),
        ("board teams all-time", "/v/boards?board=t&period=a"),
    ):
        results.append({"scenario": name, **await timed(anonymous, "GET", path, requests)})

    v = await queries.volunteer((await Volunteer.select(Volunteer.id).first())["id"])
    signed = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    signed.cookies.set(
        "campaign_volunteer", rules.session_value(v.id, int(time.time()), queries.secret())
    )
    results.append(
        {
            "scenario": "volunteer home (rank, gap, history, for-you)",
            **await timed(signed, "GET", "/v/me", requests),
        }
    )

    recruiter = await queries.propagandist(
        (
            await Propagandist.select(Propagandist.id)
            .where(Propagandist.status == rules.APPROVED)
            .first()
        )["id"]
    )
    token = rules.recruit_token(recruiter.id, recruiter.area, queries.secret())
    villages = [
        g for group in await queries.area_villages(recruiter.area) for g in group["villages"]
    ]
    wall = []
    for i in range(requests):
        # Every sign-up from its own address, as on phones (one address would be throttled).
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(f"10.9.{i // 250}.{i % 250 + 1}", 4000)),
            base_url="http://bench",
        )
        await client.get(f"/v/j/{token}")
        body = {
            "nickname": f"压测{i}",
            "phone": f"166{i:08d}",
            "village": villages[i % len(villages)]["code"],
            "_csrf_token": client.cookies.get("campaign_csrf"),
        }
        started = time.perf_counter()
        response = await client.post(f"/v/j/{token}", data=body)
        wall.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, response.text[:300]
        await client.aclose()
    results.append(
        {
            "scenario": "sign-up (POST)",
            "p50_ms": round(statistics.median(wall), 2),
            "p95_ms": p95(wall),
            "requests": requests,
        }
    )

    person = queries.person_of_volunteer(v)
    wall = []
    for i in range(requests):
        started = time.perf_counter()
        await queries.award(person, rules.REPORT, f"bench:{i}", "压测", queries.now())
        wall.append((time.perf_counter() - started) * 1000)
    results.append(
        {
            "scenario": "award points (ledger + totals + 3-6 board rows)",
            "p50_ms": round(statistics.median(wall), 2),
            "p95_ms": p95(wall),
            "requests": requests,
        }
    )

    started = time.perf_counter()
    from campaign.timeutil import today

    await queries.snapshot_ranks(today())
    results.append(
        {
            "scenario": "nightly rank snapshot (all current boards)",
            "p50_ms": round((time.perf_counter() - started) * 1000, 1),
            "p95_ms": None,
            "requests": 1,
        }
    )
    await anonymous.aclose()
    await signed.aclose()
    await close_pool()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--propagandists", type=int, default=500)
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    prepare_environment()
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    logging.getLogger("campaign.sms").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    async def run() -> dict:
        counts = await load(args.propagandists, args.volunteers)
        return {"counts": counts, "results": await scenarios(args.requests)}

    report = asyncio.run(run())
    engine = "sqlite" if os.environ["DATABASE_URL"].startswith("sqlite") else "postgresql"
    OUT.mkdir(exist_ok=True)
    (OUT / f"volunteers-{engine}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report["counts"], ensure_ascii=False))
    for row in report["results"]:
        print(f"{row['scenario']:<52} p50 {row['p50_ms']:>8} ms   p95 {row['p95_ms']} ms")


if __name__ == "__main__":
    main()
