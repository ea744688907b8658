"""CPU of one warning push (single or a batch of 50) and of the station board page, in process.

    python benchmarks/warnings_cpu.py single|batch|board [N] [--profile]

No HTTP server: the app runs behind httpx.ASGITransport in this process, so the figures are the
app's CPU per request plus httpx's own (about 1 ms), and need no quiet machine to compare two
versions. Uses DATABASE_URL (or SQLite in CAMPAIGN_VAR) prepared like warnings_scenarios.py;
`board` is meant for a database with `--stored 1000000`. `--profile` prints cProfile's CPU-time
view (and writes benchmarks/out/warnings_<mode>.pstats).
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("SECRET_KEY", "bench-secret")

import warnings_scenarios as scenarios  # noqa: E402


async def main(mode: str, n: int, profile: bool) -> None:
    import httpx

    from campaign.app import create_app
    from campaign.db import start_pool

    token, _after, _others = await scenarios.prepare(0, 0)
    app = create_app()
    await start_pool()
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench"
    ) as client:
        tag = f"C{os.getpid()}-{int(time.time())}"
        pushed = 0

        async def push() -> None:
            nonlocal pushed
            size = 1 if mode == "single" else 50
            numbers = [f"{tag}-{pushed + i}" for i in range(size)]
            pushed += size
            body = scenarios.item(numbers[0]) if size == 1 else [scenarios.item(x) for x in numbers]
            response = await client.post("/api/v1/warnings", json=body, headers=headers)
            assert response.status_code == 201, response.text

        async def page() -> None:
            assert (await client.get("/warnings")).status_code == 200

        if mode == "board":
            await scenarios.login(client)
        step = page if mode == "board" else push
        for _ in range(10):
            await step()
        profiler = cProfile.Profile(time.process_time) if profile else None
        wall, cpu = [], []
        for _ in range(n):
            if profiler:
                profiler.enable()
            started, started_cpu = time.perf_counter(), time.process_time()
            await step()
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            if profiler:
                profiler.disable()
    wall.sort()
    cpu.sort()
    print(
        f"{mode}: {n} requests, CPU p50 {cpu[n // 2]:.2f} ms, mean {sum(cpu) / n:.2f} ms; "
        f"wall p50 {wall[n // 2]:.1f} ms, p95 {wall[int(n * 0.95)]:.1f} ms; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    if profiler:
        scenarios.OUT.mkdir(exist_ok=True)
        profiler.dump_stats(scenarios.OUT / f"warnings_{mode}.pstats")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(50)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--profile"]
    asyncio.run(
        main(
            arguments[0], int(arguments[1]) if len(arguments) > 1 else 300, "--profile" in sys.argv
        )
    )
