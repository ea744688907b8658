"""Propagandists and volunteers: leaderboards, sign-ups, awards and the public pages.

    python benchmarks/volunteers_scenarios.py [--propagandists 500] [--volunteers 5000] [--requests 50]
    # the issue's scale (150,000 volunteers, ≈5,000,000 ledger rows), built once and reused:
    DATABASE_URL=postgresql://…/bench_x nice -n 19 python benchmarks/volunteers_scenarios.py \
        --propagandists 2000 --volunteers 150000 --days 365 --activity 3.3 --build-only
    DATABASE_URL=postgresql://…/bench_x python benchmarks/volunteers_scenarios.py --reuse --wrk-port 8380

Builds its own database (SQLite under --var, default a new /tmp/volunteers-bench-* directory,
or DATABASE_URL when set — use a scratch database): Ningbo's divisions with one station per town,
then the demo generator of campaign/volunteers/demo.py at the given size (its ledger and board
rows are built together). `--reuse` skips the build when the database already has volunteers.
Requests go to the app in this process through ASGI, one after the other, so the figures are
server-side time (wall, and this process's CPU). Then 200 sign-ups at once (a quarter from one
address, which the throttle must answer with 429, never 500) and, with --wrk-port, wrk against a
real `campaign serve` for the public pages next to /healthz. Prints p50/p95 per scenario and
writes benchmarks/out/volunteers-<engine>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from events_scenarios import OUT, p95, timed


def prepare_environment(var: str | None) -> Path:
    path = Path(var) if var else Path(tempfile.mkdtemp(prefix="volunteers-bench-"))
    path.mkdir(parents=True, exist_ok=True)
    os.environ["CAMPAIGN_VAR"] = str(path)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{path / 'bench.sqlite3'}")
    os.environ.pop("REDIS_URL", None)
    return path


def warm_file_cache(url: str) -> None:
    """Read a SQLite database file once before timing, as a server that has been running holds
    its pages in the OS file cache: otherwise the awards to volunteers no earlier run touched
    time the disk (p95 5-33 ms cold against 2-3 ms warm on the 1.9 GB file)."""
    if url.startswith("sqlite:///"):
        with open(url.removeprefix("sqlite:///"), "rb") as file:
            while file.read(1 << 24):
                pass


async def load(propagandists: int, volunteers: int, days: int, activity: float) -> dict:
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
    counts = await demo.generate_demo(
        today(), {}, propagandists, volunteers, days=days, activity=activity
    )
    counts["build_s"] = round(time.perf_counter() - started, 2)
    return counts


async def existing_counts() -> dict | None:
    from campaign.bootstrap import migrate
    from campaign.volunteers.tables import BoardRow, PointEntry, Volunteer

    await migrate()
    if not await Volunteer.exists():
        return None
    return {
        "volunteers": await Volunteer.count(),
        "ledger": await PointEntry.count(),
        "board_rows": await BoardRow.count(),
        "reused": True,
    }


def _client(app, address: str = "127.0.0.1"):
    import httpx

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 4000)), base_url="http://bench"
    )


async def _sign_up(app, token: str, address: str, phone: str, village: str, name: str) -> int:
    client = _client(app, address)
    try:
        await client.get(f"/v/j/{token}")
        body = {
            "nickname": name,
            "phone": phone,
            "village": village,
            "_csrf_token": client.cookies.get("campaign_csrf"),
        }
        return (await client.post(f"/v/j/{token}", data=body)).status_code
    finally:
        await client.aclose()


async def scenarios(requests: int, run: str) -> tuple[list[dict], dict]:
    from campaign.app import create_app
    from campaign.db import close_pool, start_pool
    from campaign.volunteers import queries, rules
    from campaign.volunteers.tables import BoardRow, Propagandist, Volunteer

    app = create_app()
    await start_pool()
    results = []
    anonymous = _client(app)
    district = (await Volunteer.select(Volunteer.district_code).first())["district_code"]
    town = (await Volunteer.select(Volunteer.town_code).first())["town_code"]
    # A signed-in volunteer far down the all-time board: "your rank and the gap" cost the most,
    # and a signed-in page is never served from the signed-out page cache.
    low = await (
        BoardRow.select(BoardRow.person_id)
        .where((BoardRow.board == "v") & (BoardRow.bucket == "a"))
        .order_by(BoardRow.points)
        .first()
    )
    v = await queries.volunteer(low["person_id"])
    signed = _client(app)
    signed.cookies.set(
        "campaign_volunteer", rules.session_value(v.id, int(time.time()), queries.secret())
    )
    results.append({"scenario": "healthz", **await timed(anonymous, "GET", "/healthz", requests)})
    for name, path in (
        ("board volunteers week city", "/v/boards?board=v&period=w"),
        ("board volunteers all-time city", "/v/boards?board=v&period=a"),
        (
            "board volunteers all-time district",
            f"/v/boards?board=v&period=a&scope=district&code={district}",
        ),
        ("board volunteers month town", f"/v/boards?board=v&period=m&scope=town&code={town}"),
        ("board propagandists month", "/v/boards?board=p&period=m"),
        ("board teams all-time", "/v/boards?board=t&period=a"),
    ):
        results.append(
            {"scenario": f"{name}, signed in", **await timed(signed, "GET", path, requests)}
        )
    results.append(
        {
            "scenario": "board volunteers week city, signed out (shared copy)",
            **await timed(anonymous, "GET", "/v/boards?board=v&period=w", requests),
        }
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
        g.code for group in await queries.area_villages(recruiter.area) for g in group.villages
    ]
    results.append(
        {
            "scenario": "join page (GET), signed in",
            **await timed(signed, "GET", f"/v/j/{token}", requests),
        }
    )
    results.append(
        {
            "scenario": "join page (GET), signed out (shared copy)",
            **await timed(anonymous, "GET", f"/v/j/{token}", requests),
        }
    )
    wall, cpu = [], []
    for i in range(requests):
        # Every sign-up from its own address, as on phones (one address would be throttled).
        client = _client(app, f"10.{run[-2:]}.{i // 250}.{i % 250 + 1}")
        await client.get(f"/v/j/{token}")
        body = {
            "nickname": f"压测{i}",
            "phone": f"16{run}{i:05d}",
            "village": villages[i % len(villages)],
            "_csrf_token": client.cookies.get("campaign_csrf"),
        }
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await client.post(f"/v/j/{token}", data=body)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 302, (response.status_code, body)
        await client.aclose()
    results.append(
        {
            "scenario": "sign-up (POST)",
            "p50_ms": round(statistics.median(wall), 2),
            "p95_ms": p95(wall),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": p95(cpu),
            "requests": requests,
        }
    )

    # Awards to different volunteers (a check-in: ledger entry, totals, 3 volunteer + 3 team
    # board rows), each under a reference of this run; one already capped today is skipped.
    candidates = (
        await Volunteer.select(Volunteer.id)
        .where(Volunteer.team_id.is_not_null())
        .order_by(Volunteer.id)
        .offset(3 * requests * (int(run) % 100))
        .limit(3 * requests)
    )
    wall, cpu = [], []
    for i, row in enumerate(candidates):
        person = queries.person_of_volunteer(await queries.volunteer(row["id"]))
        started, started_cpu = time.perf_counter(), time.process_time()
        given = await queries.award(
            person, rules.CHECKIN, f"bench:{run}:{i}", "压测", queries.now()
        )
        if given:
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        if len(wall) == requests:
            break
    results.append(
        {
            "scenario": "award points (ledger + totals + 6 board rows)",
            "p50_ms": round(statistics.median(wall), 2),
            "p95_ms": p95(wall),
            "cpu_p50_ms": round(statistics.median(cpu), 2),
            "cpu_p95_ms": p95(cpu),
            "requests": len(wall),
        }
    )

    concurrent = await concurrent_sign_ups(app, token, villages, run)

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
    return results, {"token": token, **concurrent}


async def concurrent_sign_ups(app, token: str, villages: list[str], run: str) -> dict:
    """200 sign-ups at once: 150 from their own addresses, 50 from one address (the throttle lets
    20 per 10 minutes through), 10 of them a phone sent twice. Every answer must be 302 (joined),
    429 (throttled), 503 (SQLite's write queue longer than its lock timeout: try again) or 400
    (phone already joined), and the volunteers added must be exactly the 302s."""
    from campaign.accounts.rules import phone_digest
    from campaign.volunteers import queries
    from campaign.volunteers.tables import Volunteer

    jobs = []
    for i in range(200):
        address = f"10.{int(run[-2:]) + 100}.0.{i + 1}" if i < 150 else "10.250.250.250"
        phone = f"17{run}{(i if i < 190 else i - 40):05d}"
        jobs.append((address, phone, villages[i % len(villages)], f"并发{i}"))
    started = time.perf_counter()
    codes = await asyncio.gather(*(_sign_up(app, token, *job) for job in jobs))
    seconds = time.perf_counter() - started
    phones = sorted({phone_digest(job[1], queries.secret()) for job in jobs})
    stored = await Volunteer.count().where(Volunteer.phone_hash.is_in(phones))
    tally = {str(code): codes.count(code) for code in sorted(set(codes))}
    assert set(tally) <= {"302", "400", "429", "503"}, tally
    assert stored == tally.get("302", 0), (stored, tally)
    return {
        "concurrent_signups": tally,
        "concurrent_stored": stored,
        "concurrent_s": round(seconds, 2),
    }


def wrk(port: int, token: str, seconds: int) -> list[dict]:
    """wrk (2 threads, 32 connections) against `campaign serve --workers 2`: the public pages'
    throughput next to /healthz, and the server's CPU per request."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import server_cpu_seconds, start_server, stop_server

    log = Path(os.environ["CAMPAIGN_VAR"]) / "serve.log"
    server = start_server(port, 2, log)
    rows = []
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            if (
                subprocess.run(["curl", "-sf", f"{base}/healthz"], capture_output=True).returncode
                == 0
            ):
                break
            time.sleep(0.3)
        for name, path in (
            ("healthz", "/healthz"),
            ("join page (QR landing)", f"/v/j/{token}"),
            ("board volunteers week city", "/v/boards?board=v&period=w"),
            ("board propagandists all-time", "/v/boards?board=p&period=a"),
        ):
            subprocess.run(["wrk", "-t2", "-c32", "-d2s", base + path], capture_output=True)
            cpu = server_cpu_seconds(server.pid)
            out = subprocess.run(
                ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", base + path],
                capture_output=True,
                text=True,
            ).stdout
            cpu = (server_cpu_seconds(server.pid) or 0) - (cpu or 0)
            rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            total = int(re.search(r"(\d+) requests in", out).group(1))
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            rows.append(
                {
                    "scenario": name,
                    "rps": rate,
                    "non_2xx": int(bad.group(1)) if bad else 0,
                    "server_cpu_ms": round(cpu * 1000 / max(total, 1), 2),
                    "p99": re.search(r"99%\s+(\S+)", out).group(1),
                }
            )
    finally:
        stop_server(server)
    for row in rows:
        row["share_of_healthz"] = round(row["rps"] / rows[0]["rps"], 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--propagandists", type=int, default=500)
    parser.add_argument("--volunteers", type=int, default=5000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--activity", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--var", help="CAMPAIGN_VAR (SQLite file, logs); kept for --reuse")
    parser.add_argument("--reuse", action="store_true", help="keep a database already built")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--wrk-port", type=int, help="also run wrk against campaign serve")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    prepare_environment(args.var)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    logging.getLogger("campaign.sms").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    run = f"{random.randrange(10000):04d}"  # sign-up phones and award references of this run

    async def build() -> dict:
        from campaign.db import close_pool, start_pool

        await start_pool()
        counts = await existing_counts() if args.reuse else None
        counts = counts or await load(args.propagandists, args.volunteers, args.days, args.activity)
        await close_pool()
        return counts

    counts = asyncio.run(build())
    print(json.dumps(counts, ensure_ascii=False), flush=True)
    if args.build_only:
        return
    warm_file_cache(os.environ["DATABASE_URL"])
    counts["loadavg_before"] = Path("/proc/loadavg").read_text().split()[:3]
    results, extra = asyncio.run(scenarios(args.requests, run))
    report = {"counts": counts, "results": results, **extra}
    if args.wrk_port:
        report["wrk"] = wrk(args.wrk_port, extra["token"], args.wrk_seconds)
    report["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    engine = "sqlite" if os.environ["DATABASE_URL"].startswith("sqlite") else "postgresql"
    OUT.mkdir(exist_ok=True)
    (OUT / f"volunteers-{engine}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2))
    for row in results:
        print(
            f"{row['scenario']:<56} p50 {row['p50_ms']:>8} ms   p95 {row['p95_ms']} ms"
            f"   cpu p50 {row.get('cpu_p50_ms')} ms"
        )
    print(
        "200 concurrent sign-ups:",
        extra["concurrent_signups"],
        "stored",
        extra["concurrent_stored"],
    )
    for row in report.get("wrk", []):
        print(
            f"wrk {row['scenario']:<36} {row['rps']:>8.0f} req/s  ×{row['share_of_healthz']}"
            f"  server CPU {row['server_cpu_ms']} ms/req  non-2xx {row['non_2xx']}  p99 {row['p99']}"
        )
    print("loadavg", counts["loadavg_before"], "→", report["loadavg_after"])


if __name__ == "__main__":
    main()
