"""Warnings: push rate through POST /api/v1/warnings and push → station board latency over SSE.

    python benchmarks/warnings_scenarios.py [--rate 500] [--seconds 60] [--batch 50]
        [--streams 1000] [--workers 2] [--stored 0]

Builds its own database in a temporary CAMPAIGN_VAR (SQLite, or DATABASE_URL when set — use a
scratch database, it is emptied first by `--reset`): Ningbo's regions through the normal import
and one station per town (what `campaign demo` loads), an administrator with an API token and a
coordinator of 附海派出所. Optionally `--stored N` warnings are bulk-loaded first (the board page
is then timed with that many rows). Then a real `campaign serve` process (REDIS_URL is passed
through, so `--workers 2` fans out over Redis pub/sub) gets:

- `--streams` open board streams (GET /warnings/stream) of the coordinator;
- `--rate` warnings a second for `--seconds` seconds, half as singles and half in batches of
  `--batch`, all for 附海镇 so every one must reach every open board.

It checks that every warning was stored exactly once and routed to PS330282108, and prints the
achieved push rate, the p50/p95/p99 from the push request being sent to the warning arriving on
a board, and the board page's p50/p95. Writes benchmarks/out/warnings.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

OUT = Path(__file__).resolve().parent / "out"
PASSWORD = "bench2026"
STATION, TOWN = "PS330282108", "330282108"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def prepare(stored: int) -> tuple[str, int]:
    """Migrate, load Ningbo and its stations, users; returns the admin's API token and the last
    board event id (the streams start after it)."""
    from campaign.accounts import queries as accounts
    from campaign.bootstrap import migrate
    from campaign.cases.queries import seed_reference_lists
    from campaign.demo.builder import NINGBO, generate_stations
    from campaign.regions.imports import import_file
    from campaign.regions.tables import Region

    await migrate()
    if not await Region.exists():
        await import_file("regions", NINGBO.name, NINGBO.read_bytes(), dry_run=False, actor=None)
        await generate_stations()
        await seed_reference_lists()
    for name, role, unit in (
        ("bench-admin", "admin", None),
        ("bench-fuhai", "coordinator", STATION),
    ):
        if await accounts.user_id_by_name(name) is None:
            kind = "station" if unit else None
            await accounts.create_user(name, PASSWORD, name, role, kind, unit, None)
    if stored:
        from campaign.warnings import demo

        await demo.generate_warnings(
            since=dt.date.today() - dt.timedelta(days=max(1, stored // 140))
        )
    from campaign.warnings.queries import last_event_id

    token = await accounts.create_token(await accounts.user_id_by_name("bench-admin"), "bench")
    return token, await last_event_id()


def item(number: str) -> dict:
    return {
        "warning_id": number,
        "issued_at": dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).strftime(
            "%Y-%m-%d %H:%M:%S"
        ),
        "risk_level": random.choice("高中低"),
        "phone": f"13{random.randrange(10**9):09d}",
        "region_code": TOWN,
        "fraud_type": "刷单",
    }


async def login(client: httpx.AsyncClient) -> None:
    await client.get("/login")
    token = client.cookies.get("campaign_csrf")
    response = await client.post(
        "/login", data={"username": "bench-fuhai", "password": PASSWORD, "_csrf_token": token}
    )
    assert response.status_code == 302, response.status_code


async def board_stream(base: str, cookies, after: int, sent: dict, seen: dict, ready, stop):
    async with (
        httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as client,
        client.stream(
            "GET", f"/warnings/stream?after={after}", headers={"Accept": "text/event-stream"}
        ) as response,
    ):
        ready.set()
        async for line in response.aiter_lines():
            if stop.is_set():
                return
            if 'data-warning="' in line:
                number = line.split('data-warning="', 1)[1].split('"', 1)[0]
                if number in sent and number not in seen:
                    seen[number] = time.perf_counter() - sent[number]


async def pusher(base: str, token: str, args, sent: dict, statuses: list) -> float:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        total = args.rate * args.seconds
        started = time.perf_counter()
        tasks = []
        n = 0
        while n < total:
            due = started + n / args.rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if n % (2 * args.batch) < args.batch:  # singles
                body = item(f"B{os.getpid()}-{n}")
                size = 1
            else:
                size = min(args.batch, total - n)
                body = [item(f"B{os.getpid()}-{n + i}") for i in range(size)]
            numbers = (
                [body["warning_id"]] if isinstance(body, dict) else [b["warning_id"] for b in body]
            )
            now = time.perf_counter()
            for number in numbers:
                sent[number] = now
            tasks.append(asyncio.create_task(client.post("/api/v1/warnings", json=body)))
            n += size
        for response in await asyncio.gather(*tasks, return_exceptions=True):
            statuses.append(getattr(response, "status_code", repr(response)))
        return time.perf_counter() - started


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def start_server(workers: int, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "campaign"), "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def stop_server(server: subprocess.Popen) -> None:
    """The server and its --workers children (one process group)."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


async def measure(args, base: str, token: str, after: int) -> dict:
    async with httpx.AsyncClient(base_url=base) as client:
        await login(client)
        cookies = client.cookies
        board_times = []
        for _ in range(args.requests):
            t = time.perf_counter()
            response = await client.get("/warnings")
            board_times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
    sent: dict[str, float] = {}
    seen: dict[str, float] = {}
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(args.streams)]
    streams = [
        asyncio.create_task(board_stream(base, cookies, after, sent, seen, ready, stop))
        for ready in readies
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    statuses: list = []
    elapsed = await pusher(base, token, args, sent, statuses)
    deadline = time.perf_counter() + 15
    while len(seen) < len(sent) and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    stop.set()
    for task in streams:
        task.cancel()
    await asyncio.gather(*streams, return_exceptions=True)
    latencies = [v * 1000 for v in seen.values()]
    return {
        "sent": list(sent),
        "pushed": len(sent),
        "achieved_rate": round(len(sent) / elapsed, 1),
        "http_statuses": {str(s): statuses.count(s) for s in set(statuses)},
        "arrived_on_board": len(seen),
        "push_to_board_ms": {p: pct(latencies, p) for p in (50, 95, 99)},
        "board_page_ms": {"p50": statistics.median(board_times), "p95": pct(board_times, 95)},
    }


async def verify(numbers: list[str]) -> dict:
    """Every pushed warning stored exactly once (the key is unique) and routed to the station."""
    from campaign.warnings.tables import Warning

    stored = routed = 0
    for i in range(0, len(numbers), 500):
        chunk = numbers[i : i + 500]
        stored += await Warning.count().where(Warning.warning_no.is_in(chunk))
        routed += await Warning.count().where(
            Warning.warning_no.is_in(chunk), Warning.station_code == STATION
        )
    return {
        "stored_once": stored,
        "routed_to_station": routed,
        "warnings_in_db": await Warning.count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stored", type=int, default=0)
    parser.add_argument("--requests", type=int, default=50, help="board page requests timed")
    parser.add_argument("--keep", help="reuse this CAMPAIGN_VAR")
    args = parser.parse_args()
    var = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="campaign-warn-bench-"))
    var.mkdir(parents=True, exist_ok=True)
    os.environ["CAMPAIGN_VAR"] = str(var)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{var / 'bench.sqlite3'}")
    os.environ.setdefault("SECRET_KEY", "bench-secret")
    token, after = asyncio.run(prepare(args.stored))
    with (var / "server.log").open("wb") as log:
        server, base = start_server(args.workers, log)
        try:
            measured = asyncio.run(measure(args, base, token, after))
        finally:
            stop_server(server)
    result = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": "sqlite" if os.environ["DATABASE_URL"].startswith("sqlite") else "postgresql",
        "redis": bool(os.environ.get("REDIS_URL")),
        "workers": args.workers,
        "streams": args.streams,
        "target_rate": args.rate,
        **{k: v for k, v in measured.items() if k != "sent"},
        **asyncio.run(verify(measured["sent"])),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "warnings.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
