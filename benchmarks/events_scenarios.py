"""Outreach events at province scale: the event list, the coverage page and logging one event.

    python benchmarks/events_scenarios.py [--events 500000] [--requests 200]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied): the synthetic province of campaign/demo/synthetic.py (≈90
districts, 1,400 towns, 25,000 villages) and --events outreach events spread over a year, 90 %
verified (--keep DIR keeps and reuses the loaded database). Requests go to the app in this process through ASGI (no sockets), timed one after the
other, so the figures are server-side time: routing, guard, session, queries and templates.
Prints p50/p95 per scenario and writes benchmarks/out/events.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
PASSWORD = "demo2026"


def prepare_environment(keep: str | None) -> Path:
    var = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="campaign-events-bench-"))
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.pop("REDIS_URL", None)
    return var


async def load(count: int, seed: int = 2026) -> dict:
    """Migrate, write the province and `count` events; returns the codes the scenarios use."""
    import datetime as dt

    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.db import bulk_insert, engine, is_sqlite
    from campaign.demo import synthetic
    from campaign.events import queries, rules
    from campaign.events.tables import Event
    from campaign.timeutil import LOCAL, today

    await migrate()
    regions, stations = synthetic.build(synthetic.SCALES["province"], seed)
    await synthetic.write(regions, stations)
    villages = [r for r in regions if r.level == "village"]
    station_of = {town: s.code for s in stations for town in s.towns}
    specs = list((await queries.type_specs()).values())
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    end = today()
    started = time.perf_counter()
    for first in range(0, count, 50_000):
        rows = []
        for _ in range(min(50_000, count - first)):
            village = rng.choice(villages)
            kind = rng.choice(specs)
            day = end - dt.timedelta(days=rng.randint(1, 365))
            starts = dt.datetime.combine(day, dt.time(rng.randint(8, 19)), tzinfo=LOCAL)
            figures = {key: 0 for key in rules.FIGURES}
            for key in kind.figures:
                figures[key] = rng.randint(0, min(300, kind.bound(key) or 0))
            rows.append(
                {
                    "type_id": kind.id,
                    "unit_kind": "town",
                    "unit_code": village.town_code,
                    "team": None,
                    "place_code": village.code,
                    "place_level": "village",
                    "place_text": None,
                    "village_code": village.code,
                    "town_code": village.town_code,
                    "district_code": village.district_code,
                    "village_station_code": None,
                    "station_code": station_of.get(village.town_code),
                    "starts_at": starts,
                    "ends_at": starts + dt.timedelta(hours=1),
                    "day": day,
                    **figures,
                    "audiences": rules.audiences_text(rng.sample(rules.DEFAULT_AUDIENCES, 2)),
                    "notes": "",
                    "status": rules.VERIFIED if rng.random() < 0.9 else rules.SUBMITTED,
                    "return_reason": None,
                    "reviewed_by": None,
                    "reviewed_at": None,
                    "created_by": None,
                    "created_by_name": "bench",
                    "created_at": now,
                    "updated_at": now,
                    "token": uuid.UUID(int=rng.getrandbits(128)).hex,
                    "external_id": None,
                    "is_demo": True,
                }
            )
        await bulk_insert(Event, rows)
    await queries.rebuild_outreach()
    await engine().run_ddl("ANALYZE" if is_sqlite() else "VACUUM ANALYZE")
    print(f"loaded {count:,} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    district = villages[0].district_code
    town = villages[0].town_code
    await accounts.create_user("admin", PASSWORD, "admin", "admin", None, None, None)
    await accounts.create_user(
        "coord_district", PASSWORD, "区县协调员", "coordinator", "district", district, None
    )
    await accounts.create_user(
        "coord_town", PASSWORD, "镇街协调员", "coordinator", "town", town, None
    )
    kind = next(s for s in specs if s.name == "敲门入户")
    return {
        "engine": "sqlite" if is_sqlite() else "postgresql",
        "district": district,
        "town": town,
        "villages": [v.code for v in villages if v.town_code == town],
        "type_id": kind.id,
    }


def p95(values: list[float]) -> float:
    return round(sorted(values)[int(len(values) * 0.95) - 1], 2)


async def timed(client, method: str, path: str, requests: int, data=None) -> dict:
    """Wall time and this process's CPU time per request (app, SQLite's thread, templates; on
    PostgreSQL the database server's own CPU is not in it). On a busy machine wall time waits
    for a core; CPU time does not."""
    wall, cpu = [], []
    for i in range(requests):
        body = data(i) if callable(data) else data
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await (client.get(path) if method == "GET" else client.post(path, data=body))
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code in (200, 302), (path, response.status_code, response.text[:300])
    return {
        "p50_ms": round(statistics.median(wall), 2),
        "p95_ms": p95(wall),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": p95(cpu),
        "requests": requests,
    }


async def session(app, username: str):
    import httpx

    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    await client.get("/login")
    token = client.cookies.get("campaign_csrf")
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "_csrf_token": token}
    )
    assert response.status_code == 302, response.text[:300]
    return client


async def scenarios(codes: dict, requests: int) -> list[dict]:
    import datetime as dt

    from campaign.app import create_app
    from campaign.db import close_pool, start_pool
    from campaign.timeutil import LOCAL

    app = create_app()
    await start_pool()
    admin = await session(app, "admin")
    district = await session(app, "coord_district")
    town = await session(app, "coord_town")
    csrf = town.cookies.get("campaign_csrf")
    now = dt.datetime.now(LOCAL)
    start = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0))

    def event_form(i: int) -> dict:
        return {
            "_csrf_token": csrf,
            "token": uuid.uuid4().hex,
            "type_id": str(codes["type_id"]),
            "place_code": codes["villages"][i % len(codes["villages"])],
            "day": now.date().isoformat(),
            "start": start.strftime("%H:%M"),
            "end": now.strftime("%H:%M"),
            "households": "30",
            "attendees": "60",
            "audiences": "老人",
            "confirm_duplicate": "1",
        }

    plan = [
        ("healthz", admin, "GET", "/healthz", None),
        ("list, city", admin, "GET", "/events", None),
        ("list, city, page 200", admin, "GET", "/events?page=200", None),
        (
            "list, type+status",
            admin,
            "GET",
            f"/events?type={codes['type_id']}&status=submitted",
            None,
        ),
        ("list, audience", admin, "GET", "/events?audience=%E5%AE%9D%E5%A6%88", None),
        ("list, district", district, "GET", "/events", None),
        ("list, town", town, "GET", "/events", None),
        ("list, htmx fragment", admin, "GET", "/events?status=verified", None),
        ("coverage, city", admin, "GET", "/events/coverage", None),
        ("coverage, district", district, "GET", "/events/coverage", None),
        ("coverage, town detail", town, "GET", f"/events/coverage?town={codes['town']}", None),
        ("log one event", town, "POST", "/events", event_form),
    ]
    results = []
    for name, client, method, path, data in plan:
        await timed(client, method, path, 5, data)  # warm caches
        result = {
            "scenario": name,
            "path": path,
            **await timed(client, method, path, requests, data),
        }
        results.append(result)
        print(
            f"{name:<24}{result['p50_ms']:>9.2f}{result['p95_ms']:>9.2f}"
            f"{result['cpu_p50_ms']:>9.2f}{result['cpu_p95_ms']:>9.2f}",
            file=sys.stderr,
        )
    for client in (admin, district, town):
        await client.aclose()
    await close_pool()
    return results


async def main_async(events: int, requests: int) -> None:
    from campaign.events.tables import Event

    codes_file = Path(os.environ["CAMPAIGN_VAR"]) / "codes.json"
    if codes_file.exists() and await Event.count() >= events:
        codes = json.loads(codes_file.read_text())
    else:
        codes = await load(events)
        codes_file.write_text(json.dumps(codes))
    results = await scenarios(codes, requests)
    OUT.mkdir(exist_ok=True)
    report = {"engine": codes["engine"], "events": events, "results": results}
    (OUT / f"events-{codes['engine']}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", help="a CAMPAIGN_VAR to create or reuse (skips reloading)")
    args = parser.parse_args()
    prepare_environment(args.keep)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(main_async(args.events, args.requests))


if __name__ == "__main__":
    main()
