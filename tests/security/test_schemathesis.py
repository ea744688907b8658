"""Schemathesis against /schema/openapi.json of a real `campaign serve` with an admin token:
zero server errors, responses and status codes as documented (the API and the probes)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers.services import need

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(tmp_path):
    need(shutil.which("schemathesis", path=str(BIN)) is not None, "schemathesis")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "CAMPAIGN_VAR": str(tmp_path),
        "SECRET_KEY": "schemathesis",
    }
    campaign = str(BIN / "campaign")
    subprocess.run([campaign, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [campaign, "createuser", "fuzz", "--role", "admin", "--password", "fuzz-pass-123"],
        env=env,
        check=True,
        capture_output=True,
    )
    token = (
        subprocess.run(
            [campaign, "token", "create", "fuzz"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = _free_port()
    server = subprocess.Popen(
        [campaign, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        result = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "run",
                base + "/schema/openapi.json",
                "-H",
                f"Authorization: Bearer {token}",
                "--include-path-regex",
                "^/(api/|healthz|readyz)",
                "--checks",
                "not_a_server_error,response_schema_conformance,status_code_conformance",
                "-n",
                "5",
                "--generation-deterministic",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-4000:]
    finally:
        server.terminate()
        server.wait(timeout=20)
