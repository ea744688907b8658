"""Streak boards at province or national scale, against a real `campaign serve` process.

    DATABASE_URL=… CAMPAIGN_VAR=… python benchmarks/streaks_scenarios.py province [--cases N]
    DATABASE_URL=… CAMPAIGN_VAR=… python benchmarks/streaks_scenarios.py national [--cases N]

Loads what is missing into the configured database: the synthetic divisions of the scale
(campaign.demo.synthetic) and N generated cases over the last year (bulk: SQLite executemany,
PostgreSQL COPY; villages weighted by a lognormal risk so streaks spread out, a fifth of the
cases coded to a town only). Then, as the product would have it, every unit's last case day is
set from the cases, the nightly job's work is done (longest runs refreshed, the snapshot of a
week ago written, so rank arrows come from it) and each step is timed.

The server runs on a free port in 8700–8749 with one worker. Latency is measured with one
request at a time (p50/p95 over loopback: the server's time plus well under a millisecond of
client and socket), throughput with 4 concurrent clients, and /healthz with 16 as the ceiling.
Prints a table and writes benchmarks/out/streaks-<scale>-<engine>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import random
import socket
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as runner  # noqa: E402  (benchmarks/run.py: server start, log-in, timing)

PORTS = range(8700, 8750)
TYPES = ("投资理财", "刷单返利", "冒充客服", "贷款", "冒充亲友", "网络婚恋", "冒充公检法")
CHUNK = 50_000


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8700–8749")


# -- Loading -------------------------------------------------------------------------------------


async def load_regions(scale_name: str) -> float:
    from campaign.demo import synthetic
    from campaign.regions.tables import Region

    if await Region.exists():
        return 0.0
    started = time.perf_counter()
    regions, stations = synthetic.build(synthetic.SCALES[scale_name])
    await synthetic.write(regions, stations)
    return time.perf_counter() - started


async def load_cases(count: int, seed: int = 11) -> float:
    """Generated cases up to `count` (none when enough are stored)."""
    from campaign.cases.tables import Case
    from campaign.db import insert_many, write_transaction
    from campaign.regions.tables import Region, StationTown
    from campaign.timeutil import today

    stored = await Case.count()
    if stored >= count:
        return 0.0
    started = time.perf_counter()
    rng = random.Random(seed)
    villages = await Region.select(Region.code, Region.town_code, Region.district_code).where(
        Region.level == "village"
    )
    station_of = {r["town_code"]: r["station_code"] for r in await StationTown.select()}
    weights = list(itertools.accumulate(rng.lognormvariate(0, 1.2) for _ in villages))
    first = today() - dt.timedelta(days=364)
    now = dt.datetime.now(dt.UTC)
    columns = (
        "case_no",
        "occurred_on",
        "village_code",
        "town_code",
        "district_code",
        "station_code",
        "fraud_type",
        "loss_fen",
        "occupation_group",
        "is_demo",
        "created_at",
        "updated_at",
    )
    async with write_transaction():
        for start in range(stored, count, CHUNK):
            size = min(CHUNK, count - start)
            places = rng.choices(villages, cum_weights=weights, k=size)
            rows = [
                (
                    f"B{start + i:09d}",
                    first + dt.timedelta(days=rng.randrange(365)),
                    place["code"] if rng.random() < 0.8 else None,
                    place["town_code"],
                    place["district_code"],
                    station_of.get(place["town_code"]),
                    rng.choice(TYPES),
                    rng.randrange(100_00, 5_000_000_00),
                    "其他",
                    True,
                    now,
                    now,
                )
                for i, place in enumerate(places)
            ]
            await insert_many(Case, columns, rows)
    return time.perf_counter() - started


async def set_last_case_days() -> float:
    """What the case import maintains: every unit's latest case day, set here in bulk."""
    from campaign.db import engine

    started = time.perf_counter()
    for table, level, column in (
        ("region", "village", "village_code"),
        ("region", "town", "town_code"),
        ("station", None, "station_code"),
    ):
        where = f" WHERE level = '{level}'" if level else ""
        await engine().run_ddl(
            f'UPDATE {table} SET last_case_on = (SELECT MAX(occurred_on) FROM "case" '
            f"WHERE {column} = {table}.code){where}"
        )
    await case_days()
    return time.perf_counter() - started


async def case_days() -> None:
    """The case-day index the case writes keep (cases bulk-loaded here bypass them)."""
    from campaign.cases import queries as cases
    from campaign.db import write_transaction

    async with write_transaction():
        for level in ("village", "town", "station"):
            await cases.refresh_case_days(level)


async def nightly() -> dict[str, float]:
    """The nightly job's two parts, timed; skipped when the week-old snapshot is there."""
    from campaign.streaks import queries
    from campaign.streaks.tables import StreakSnapshot
    from campaign.timeutil import today

    if await StreakSnapshot.exists().where(StreakSnapshot.day == today() - dt.timedelta(days=7)):
        return {}
    timings = {}
    started = time.perf_counter()
    for level in queries.LEVELS:
        await queries.refresh_bests(level)
    timings["refresh longest runs (all units)"] = time.perf_counter() - started
    started = time.perf_counter()
    await queries.write_snapshot(today() - dt.timedelta(days=7))
    timings["snapshot of one day (all units)"] = time.perf_counter() - started
    return timings


async def analyze() -> None:
    """Planner statistics and a vacuum after the bulk load (the last case days are set by
    updating every unit), as autovacuum would do a little later:
    without them PostgreSQL guesses a few dozen villages and sorts instead of walking the index."""
    from campaign.db import engine, is_sqlite

    if not is_sqlite():
        await engine().run_ddl("VACUUM ANALYZE")


async def prepare(scale_name: str, cases: int) -> dict:
    from generate import ensure_admin

    from campaign.bootstrap import migrate
    from campaign.cases.tables import Case
    from campaign.db import close_pool, start_pool
    from campaign.regions.tables import Region, Station

    await migrate()
    await start_pool()
    try:
        figures = {"regions (s)": await load_regions(scale_name)}
        await ensure_admin()
        figures["cases (s)"] = await load_cases(cases)
        if figures["cases (s)"] or not await Region.exists().where(
            Region.last_case_on.is_not_null()
        ):
            figures["last case days (s)"] = await set_last_case_days()
        figures.update({f"{k} (s)": v for k, v in (await nightly()).items()})
        await analyze()
        figures["villages"] = await Region.count().where(Region.level == "village")
        figures["towns"] = await Region.count().where(Region.level == "town")
        figures["stations"] = await Station.count()
        figures["cases"] = await Case.count()
        return figures
    finally:
        await close_pool()


# -- Timing --------------------------------------------------------------------------------------


def scenarios(requests: int) -> list[tuple[str, str, int, int]]:
    """(name, path, requests, concurrency)."""
    return [
        ("healthz", "/healthz", requests * 10, 16),
        ("village page 1", "/streaks?level=village", requests, 1),
        ("village page 1 ×4", "/streaks?level=village", requests, 4),
        ("station page 1", "/streaks?level=station", requests, 1),
        ("town page 1", "/streaks?level=town", requests, 1),
        ("village page 50", "/streaks?level=village&page=50", requests, 1),
        ("village district", "/streaks?level=village&district={district}", requests, 1),
        ("api village 100", "/api/v1/streaks?level=village&limit=100", requests, 1),
        ("api village ×4", "/api/v1/streaks?level=village&limit=100", requests, 4),
        ("api past day", "/api/v1/streaks?level=village&as_of={past}", 3, 1),
    ]


async def measure_all(base: str, server: int, requests: int, district: str) -> list[runner.Result]:
    past = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as anonymous,
        httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as admin,
    ):
        await runner.log_in(admin, "admin")
        results = []
        for name, path, count, concurrency in scenarios(requests):
            path = path.format(district=district, past=past)
            client = anonymous if name == "healthz" else admin
            probe = await client.get(path)
            if probe.status_code != 200:
                print(f"  skip {name} ({path}): HTTP {probe.status_code}", flush=True)
                continue
            results.append(await runner.measure(client, server, name, path, count, concurrency))
            print(f"  done {name}", flush=True)
        return results


async def server_cpu(paths: list[tuple[str, str]], requests: int) -> dict[str, dict]:
    """CPU time per request in-process (ASGI transport; SQLite's threads and the test client
    included, so a little pessimistic): what a request costs the server, whatever else the
    machine is doing. p50/p95 in ms."""
    import statistics

    from campaign.app import create_app
    from campaign.db import close_pool, start_pool

    await start_pool()
    figures = {}
    try:
        transport = httpx.ASGITransport(app=create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await runner.log_in(client, "admin")
            for name, path in paths:
                for _ in range(10):
                    await client.get(path)
                costs = []
                for _ in range(requests):
                    started = time.process_time()
                    response = await client.get(path)
                    costs.append((time.process_time() - started) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                figures[name] = {
                    "path": path,
                    "cpu_p50_ms": statistics.median(costs),
                    "cpu_p95_ms": statistics.quantiles(costs, n=20)[18],
                }
    finally:
        await close_pool()
    return figures


async def a_district() -> str:
    from campaign.regions.tables import Region

    row = await Region.select(Region.code).where(Region.level == "district").first()
    return row["code"]


def http_scenarios(requests: int, district: str) -> list[runner.Result]:
    port = free_port()
    server = runner.start_server(port, 1, runner.OUT / f"server-{port}.log")
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(runner.wait_until_up(base, server))
        return asyncio.run(measure_all(base, server.pid, requests, district))
    finally:
        runner.stop_server(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", choices=("province", "national"))
    parser.add_argument("--cases", type=int, default=None, help="default 1M / 5M by scale")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--cpu-only", action="store_true", help="skip the HTTP runs, measure server CPU only"
    )
    arguments = parser.parse_args()
    cases = arguments.cases or (1_000_000 if arguments.scale == "province" else 5_000_000)

    from campaign.settings import get_settings

    settings = get_settings()
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    print(f"{engine}: {settings.database_url.split('@')[-1]}, {arguments.scale}, {cases:,} cases")
    figures = asyncio.run(prepare(arguments.scale, cases))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    district = asyncio.run(a_district())

    runner.OUT.mkdir(exist_ok=True)
    results = [] if arguments.cpu_only else http_scenarios(arguments.requests, district)
    print(runner.report(results))
    past = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    cpu = asyncio.run(
        server_cpu(
            [
                (name, path.format(district=district, past=past))
                for name, path, _count, concurrency in scenarios(arguments.requests)
                if concurrency == 1 and name != "api past day"
            ],
            arguments.requests,
        )
    )
    for name, figure in cpu.items():
        print(
            f"{name:<18} server CPU p50 {figure['cpu_p50_ms']:6.1f} ms  p95 {figure['cpu_p95_ms']:6.1f} ms"
        )
    label = f"streaks-{arguments.scale}-{engine}" + ("-cpu" if arguments.cpu_only else "")
    (runner.OUT / f"{label}.json").write_text(
        json.dumps(
            {
                "label": label,
                "load": figures,
                "server_cpu": cpu,
                "results": [r.__dict__ | {"per_second": r.per_second} for r in results],
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
