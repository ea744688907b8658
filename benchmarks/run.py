"""Timed scenarios against a real `campaign serve` process on 127.0.0.1.

    DATABASE_URL=… CAMPAIGN_VAR=… python benchmarks/run.py [--workers N] [--requests N]

Loads nothing itself (run generate.py first). Starts the server on a free port in 8200–8299,
logs in as admin, sends a fixed number of requests per scenario with bounded concurrency and
prints throughput and client-measured latency over loopback. Each scenario's throughput is also
given as a share of /healthz measured in the same run, which makes figures from different
machines comparable: /healthz touches nothing, so it is the framework's ceiling on this box.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

PORTS = range(8200, 8300)
OUT = Path(__file__).resolve().parent / "out"
PASSWORD = "demo2026"


@dataclass
class Result:
    scenario: str
    path: str
    requests: int
    concurrency: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    server_cpu_ms: float | None
    status: int

    @property
    def per_second(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def server_cpu_seconds(group: int) -> float | None:
    """User + system CPU of every process in the server's process group (uvicorn's workers
    included), from /proc; None where there is no /proc. CPU per request is the figure that stays
    meaningful on a machine shared with other work, where wall-clock throughput does not."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port in 8200–8299")


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen:
    command = shutil.which("campaign", path=str(Path(sys.executable).parent)) or "campaign"
    return subprocess.Popen(
        [command, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


async def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit("the server exited during start-up; see its log")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"the server did not answer /healthz within {seconds:.0f} s")


async def log_in(client: httpx.AsyncClient, username: str) -> None:
    await client.get("/login")
    response = await client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "_csrf_token": client.cookies.get("campaign_csrf") or "",
        },
    )
    if response.status_code != 302:
        raise SystemExit(f"could not log in as {username}: HTTP {response.status_code}")


async def measure(
    client: httpx.AsyncClient,
    server: int,
    scenario: str,
    path: str,
    requests: int,
    concurrency: int,
) -> Result:
    """`requests` GETs split over `concurrency` loops, after a short warm-up that is not counted."""
    first = await client.get(path)
    for _ in range(min(20, requests // 10)):
        await client.get(path)
    latencies: list[float] = []
    errors = 0
    per_loop, rest = divmod(requests, concurrency)

    async def loop(count: int) -> None:
        nonlocal errors
        for _ in range(count):
            started = time.perf_counter()
            response = await client.get(path)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                errors += 1

    cpu_before = server_cpu_seconds(server)
    started = time.perf_counter()
    await asyncio.gather(*(loop(per_loop + (i < rest)) for i in range(concurrency)))
    seconds = time.perf_counter() - started
    cpu_after = server_cpu_seconds(server)
    return Result(
        scenario=scenario,
        path=path,
        requests=requests,
        concurrency=concurrency,
        errors=errors,
        seconds=seconds,
        p50_ms=statistics.median(latencies) * 1000,
        p95_ms=statistics.quantiles(latencies, n=20)[18] * 1000,
        server_cpu_ms=(
            (cpu_after - cpu_before) * 1000 / requests
            if cpu_before is not None and cpu_after is not None
            else None
        ),
        status=first.status_code,
    )


def scenarios(page_requests: int, query: str) -> list[tuple[str, str, int, int, bool]]:
    """(name, path, requests, concurrency, logged in). /healthz is probed without a session, as a
    load balancer does, and gets more requests because each is cheap."""
    return [
        ("healthz", "/healthz", page_requests * 10, 16, False),
        ("login page", "/login", page_requests, 4, False),
        ("home", "/", page_requests, 4, True),
        ("account", "/account", page_requests, 4, True),
        ("region tree", "/regions", page_requests, 4, True),
        ("region search", f"/regions?q={query}", page_requests, 4, True),
        ("stations", "/stations", page_requests, 4, True),
    ]


async def run(base: str, server: int, page_requests: int, query: str) -> list[Result]:
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as anonymous,
        httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as admin,
    ):
        await log_in(admin, "admin")
        results = []
        for name, path, requests, concurrency, logged_in in scenarios(page_requests, query):
            client = admin if logged_in else anonymous
            probe = await client.get(path)
            if probe.status_code != 200:
                print(f"  skip {name} ({path}): HTTP {probe.status_code}", flush=True)
                continue
            results.append(await measure(client, server, name, path, requests, concurrency))
            print(f"  done {name}", flush=True)
        return results


def report(results: list[Result]) -> str:
    baseline = next((r.per_second for r in results if r.scenario == "healthz"), 0.0)
    lines = [
        f"{'scenario':<16}{'path':<22}{'requests':>9}{'conc':>6}{'errors':>7}"
        f"{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'cpu ms':>8}{'÷healthz':>10}"
    ]
    for r in results:
        ratio = f"{r.per_second / baseline:.3f}" if baseline else "—"
        cpu = "—" if r.server_cpu_ms is None else f"{r.server_cpu_ms:.1f}"
        lines.append(
            f"{r.scenario:<16}{r.path:<22}{r.requests:>9,}{r.concurrency:>6}{r.errors:>7}"
            f"{r.per_second:>9,.0f}{r.p50_ms:>9.1f}{r.p95_ms:>9.1f}{cpu:>8}{ratio:>10}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL)")
    parser.add_argument(
        "--requests", type=int, default=200, help="per page scenario; /healthz gets 10×"
    )
    parser.add_argument("--query", default="新", help="search term for /regions?q=")
    parser.add_argument("--label", default="", help="name for the JSON file in benchmarks/out/")
    arguments = parser.parse_args()

    from campaign.settings import get_settings

    settings = get_settings()
    OUT.mkdir(exist_ok=True)
    port = free_port()
    log = OUT / f"server-{port}.log"
    engine = "sqlite" if settings.is_sqlite else "postgresql"
    print(
        f"{engine} {settings.database_url.split('@')[-1]}, {arguments.workers} worker(s), :{port}"
    )
    server = start_server(port, arguments.workers, log)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_until_up(base, server))
        results = asyncio.run(run(base, server.pid, arguments.requests, arguments.query))
    finally:
        stop_server(server)
    print(report(results))
    if arguments.label:
        payload = {
            "label": arguments.label,
            "engine": engine,
            "workers": arguments.workers,
            "results": [asdict(r) | {"per_second": r.per_second} for r in results],
        }
        (OUT / f"{arguments.label}.json").write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
