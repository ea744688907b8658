"""Talking to the app like a browser does: CSRF token, form posts, log-in, reading pages."""

from __future__ import annotations

import re

import httpx

PASSWORD = "pass1234word"


def csrf_token(client: httpx.AsyncClient) -> str:
    return client.cookies.get("campaign_csrf") or ""


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict | None = None, **kwargs
) -> httpx.Response:
    """POST a form the way a browser would: the CSRF cookie is set by a GET first."""
    if not csrf_token(client):
        await client.get("/login")
    return await client.post(
        url, data={**(data or {}), "_csrf_token": csrf_token(client)}, **kwargs
    )


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    response = await post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed: {response.status_code}"
    return response


def text_of(html: str, selector_attr: str) -> list[str]:
    """Inner text of elements carrying an attribute, e.g. text_of(page, 'data-stat="town"')."""
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(rf"<[^>]*{selector_attr}[^>]*>(.*?)</", html, re.S)
    ]
