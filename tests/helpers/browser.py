"""Browser steps shared by the end-to-end tests."""

from __future__ import annotations

DEMO_PASSWORD = "demo2026"


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill and submit the login form like a person would."""
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", password)
    page.click("form[action='/login'] button[type=submit]")
