"""/metrics in the Prometheus text format, request ids, structured logs."""

from __future__ import annotations

import json
import logging

import httpx

from campaign import jobs
from campaign.observability import REGISTRY, JsonFormatter, RequestIdFilter


async def test_metrics_count_requests_by_route_template(client):
    await client.get("/login")
    await client.get("/regions/330282")  # a redirect to login: counted under its template
    text = (await client.get("/metrics")).text
    assert "# TYPE campaign_http_requests_total counter" in text
    assert 'campaign_http_requests_total{method="GET",route="/login",status="200"}' in text
    assert 'route="/regions/{code}"' in text
    assert 'campaign_http_request_seconds_bucket{method="GET",route="/login",le="+Inf"}' in text
    assert "campaign_job_queue_depth" in text and "campaign_sse_clients" in text


async def test_metrics_only_for_loopback_or_the_token(app, monkeypatch):
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as remote:
        assert (await remote.get("/metrics")).status_code == 404
        import dataclasses

        from campaign.system import controllers

        settings = dataclasses.replace(controllers.get_settings(), metrics_token="s3cret-token")
        monkeypatch.setattr(controllers, "get_settings", lambda: settings)
        answer = await remote.get("/metrics", headers={"authorization": "Bearer s3cret-token"})
        assert answer.status_code == 200


async def test_job_failures_are_counted():
    async def broken(ctx):
        raise RuntimeError("boom")

    await jobs._run_logged(broken, {})
    assert 'campaign_job_failures_total{job="broken"} 1' in REGISTRY.render()


async def test_every_response_has_a_request_id(client):
    fresh = await client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32
    kept = await client.get("/healthz", headers={"x-request-id": "lb-0123456789"})
    assert kept.headers["x-request-id"] == "lb-0123456789"
    bad = await client.get("/healthz", headers={"x-request-id": "<script>"})
    assert bad.headers["x-request-id"] != "<script>"


def test_json_log_lines_carry_the_request_id():
    record = logging.makeLogRecord({"msg": "hello %s", "args": ("世界",), "levelname": "INFO"})
    record.status = 200
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello 世界" and line["request_id"] == "-" and line["status"] == 200


async def test_the_job_queue_page_lists_running_jobs_and_failures(client, make_user):
    import asyncio

    from tests.helpers.web import login

    release = asyncio.Event()

    async def slow_report(ctx):
        await release.wait()

    async def broken_push(ctx):
        raise RuntimeError("SMS gateway down")

    await jobs.enqueue(slow_report)
    await jobs.enqueue(broken_push)
    await asyncio.sleep(0)
    await make_user("boss", "admin")
    await login(client, "boss")
    page = await client.get("/admin/jobs")
    release.set()
    await asyncio.gather(*jobs._running)
    assert page.status_code == 200
    assert 'data-job="slow_report"' in page.text and 'data-failed="broken_push"' in page.text
    assert "SMS gateway down" in page.text
    empty = await client.get("/admin/jobs")
    assert "队列是空的" in empty.text
