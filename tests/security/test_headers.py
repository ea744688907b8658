"""Security headers on every response, no inline script in any template, and an OpenAPI document
that declares its security scheme and error answers (issue 15, item 11)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers.web import login

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def _check(response) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self' 'nonce-" in csp and "frame-ancestors 'none'" in csp, response.url
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_every_kind_of_response_carries_the_headers(client, make_user):
    for url in ("/login", "/healthz", "/static/js/app.js", "/no-such-page", "/schema/openapi.json"):
        _check(await client.get(url))
    _check(await client.get("/api/v1/me"))  # 401 JSON
    await make_user("boss", "admin")
    await login(client, "boss")
    for url in ("/", "/admin/users?format=xlsx", "/cases/999999"):
        _check(await client.get(url))


async def test_each_response_gets_its_own_nonce(client):
    first = (await client.get("/login")).headers["content-security-policy"]
    second = (await client.get("/login")).headers["content-security-policy"]
    assert first != second


def test_templates_have_no_inline_script_or_event_handler_attributes():
    problems = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag and "nonce=" not in tag:
                problems.append(f"{path.name}: {tag}")
        for handler in re.findall(r"\s(on[a-z]+|hx-on[:\w-]*)=", text):
            problems.append(f"{path.name}: {handler}=")
        if "javascript:" in text:
            problems.append(f"{path.name}: javascript: URL")
    assert problems == []


async def test_openapi_declares_bearer_security_and_error_answers(client):
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert {"bearer": []} in schema["security"]
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404"} <= codes, f"{method} {path}: {codes}"
