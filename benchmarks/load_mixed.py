"""Mixed-role load against a real `campaign serve` on loopback: leaders refreshing boards,
coordinators browsing events, teams downloading materials, warnings boards, the API.

    CAMPAIGN_VAR=/tmp/load campaign demo --no-serve      # demo data once
    CAMPAIGN_VAR=/tmp/load python benchmarks/load_mixed.py --clients 8 --seconds 30
    DATABASE_URL=postgresql://… REDIS_URL=redis://127.0.0.1:6379/7 \
        python benchmarks/load_mixed.py --workers 2 --clients 20 --seconds 600

Bounded on purpose: it starts its own server on 127.0.0.1 (never another host), at most 50
clients and 600 seconds, and each client waits 0.2–1 s between requests like a person. Prints
p50/p95/p99 per scenario and the error count (anything but 2xx/3xx, or a transport error).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import free_port, log_in, start_server, stop_server, wait_until_up  # noqa: E402

#: scenario → (demo user, the pages it cycles through)
SCENARIOS = {
    "leader boards": ("leader", ["/leaders", "/leaders/part/streaks", "/streaks", "/contests"]),
    "coordinator events": ("coord_baisha", ["/events", "/events/calendar", "/events/new", "/"]),
    "team downloads": ("team_dashu", ["/materials", "/materials?sort=popular", "DOWNLOAD"]),
    "warnings desk": ("admin", ["/warnings", "/cases", "/regions?q=新"]),
}


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def client_loop(base: str, scenario: str, stop_at: float, results: dict) -> None:
    user, paths = SCENARIOS[scenario]
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await log_in(client, user)
        material_ids: list[str] = []
        while time.monotonic() < stop_at:
            path = random.choice(paths)
            if path == "DOWNLOAD":
                if not material_ids:
                    listing = await client.get("/materials")
                    material_ids = re.findall(r'href="/materials/(\d+)"', listing.text)[:20]
                path = f"/materials/{random.choice(material_ids or ['1'])}/download"
            started = time.perf_counter()
            try:
                answer = await client.get(path)
                ok = answer.status_code < 400
            except httpx.HTTPError:
                ok = False
            results[scenario]["latency"].append(time.perf_counter() - started)
            results[scenario]["errors"] += 0 if ok else 1
            await asyncio.sleep(random.uniform(0.2, 1.0))


async def main_async(args) -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers, Path(args.log))
    results = {name: {"latency": [], "errors": 0} for name in SCENARIOS}
    try:
        await wait_until_up(base, server)
        stop_at = time.monotonic() + args.seconds
        names = list(SCENARIOS)
        await asyncio.gather(
            *(
                client_loop(base, names[i % len(names)], stop_at, results)
                for i in range(args.clients)
            )
        )
    finally:
        stop_server(server)
    print(f"{args.clients} clients, {args.seconds} s, {args.workers} worker(s)")
    print("| scenario | requests | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    total_errors = 0
    for name, data in results.items():
        lat = data["latency"]
        total_errors += data["errors"]
        print(
            f"| {name} | {len(lat)} | {percentile(lat, 0.5) * 1000:.0f} | "
            f"{percentile(lat, 0.95) * 1000:.0f} | {percentile(lat, 0.99) * 1000:.0f} | "
            f"{data['errors']} |"
        )
    all_lat = [v for d in results.values() for v in d["latency"]]
    if all_lat:
        print(f"overall median {statistics.median(all_lat) * 1000:.0f} ms, errors {total_errors}")
    return 1 if total_errors else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log", default="/tmp/load_mixed_server.log")
    args = parser.parse_args()
    args.clients = max(1, min(args.clients, 50))
    args.seconds = max(5, min(args.seconds, 600))
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    raise SystemExit(main())
