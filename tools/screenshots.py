"""Screenshots of every page of the foundation, as each demo role, on a desktop and a phone.

    python tools/screenshots.py http://127.0.0.1:8300 var/screenshots [--docs docs/screenshots]

Needs a running server with the demo data (`campaign demo --port 8300`) and Chromium
(/usr/bin/chromium, or the CHROMIUM variable). Writes <page>-<width>.png full-page shots into the
folder, and with --docs the three viewport-only shots the README shows.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

PASSWORD = "demo2026"
ROLES = ("admin", "leader", "leader_cixi", "coord_baisha", "coord_fuhai", "team_dashu")
WIDTHS = {1280: 900, 390: 844}
#: (file name, path) seen by the administrator.
ADMIN_PAGES = (
    ("account", "/account"),
    ("admin-users", "/admin/users"),
    ("admin-users-new", "/admin/users/new"),
    ("admin-audit", "/admin/audit"),
    ("admin-settings", "/admin/settings"),
    ("admin-import", "/admin/import"),
    ("regions", "/regions"),
    ("regions-search", "/regions?q=白沙"),
    ("region-town", "/regions/330282005"),
    ("stations", "/stations"),
    ("error-404", "/no-such-page"),
)
#: (docs file name, width, path, who): viewport-only, so each stays small enough to commit.
DOCS = (
    ("home-1280.png", 1280, "/", "admin"),
    ("admin-users-1280.png", 1280, "/admin/users", "admin"),
    ("regions-390.png", 390, "/regions", "coord_baisha"),
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def open_page(browser: Browser, base_url: str, width: int) -> Page:
    phone = width < 600
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": WIDTHS.get(width, 900)},
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
    )
    return context.new_page()


def log_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def shoot(page: Page, path: str, target: Path, full_page: bool = True) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(target), full_page=full_page)
    print(f"{target}  ({target.stat().st_size // 1024} KB)")


def shoot_all(browser: Browser, base_url: str, folder: Path) -> None:
    for width in WIDTHS:
        page = open_page(browser, base_url, width)
        shoot(page, "/login", folder / f"login-{width}.png")
        for role in ROLES:
            log_in(page, role)
            shoot(page, "/", folder / f"home-{role}-{width}.png")
            page.context.clear_cookies()
        log_in(page, "admin")
        for name, path in ADMIN_PAGES:
            shoot(page, path, folder / f"{name}-{width}.png")
        page.goto("/admin/users/new")
        page.fill("#f-username", "x")
        page.fill("#f-password", "short")
        with page.expect_navigation():
            page.click("form.card button.primary[type=submit]")
        page.screenshot(path=str(folder / f"admin-users-new-errors-{width}.png"), full_page=True)
        page.context.clear_cookies()
        log_in(page, "coord_baisha")
        shoot(page, "/admin/users", folder / f"error-403-{width}.png")
        page.context.close()


def shoot_docs(browser: Browser, base_url: str, folder: Path) -> None:
    for name, width, path, role in DOCS:
        page = open_page(browser, base_url, width)
        log_in(page, role)
        shoot(page, path, folder / name, full_page=False)
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="base URL of a running demo server")
    parser.add_argument("folder", type=Path, help="where the screenshots go")
    parser.add_argument("--docs", type=Path, help="also write the README shots here")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        shoot_all(browser, args.url.rstrip("/"), args.folder)
        if args.docs:
            args.docs.mkdir(parents=True, exist_ok=True)
            shoot_docs(browser, args.url.rstrip("/"), args.docs)
        browser.close()


if __name__ == "__main__":
    main()
