"""End to end in a real browser: sign in and walk the customer directory (live search, paging,
an account page, a site), at desktop and at phone width. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from steward.testing import factories as f

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.e2e


def _require_browser() -> None:
    if os.path.exists(CHROMIUM) and shutil.which("chromium"):
        return
    if os.environ.get("STEWARD_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is required here (STEWARD_REQUIRE_BROWSER=1): apt-get install -y chromium")
    pytest.skip(f"end-to-end test needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")


@pytest.fixture
def browser():
    _require_browser()
    # Playwright's sync API runs an event loop in this thread; the test's own ORM set-up is done
    # before any browser call, and the server runs in its own thread.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def directory(transactional_db):
    agent = f.staff_user("agent", email="e2e.agent@steward.test", full_name="Erika Agent")
    for i in range(30):
        account = f.AccountFactory(name=f"Kunde {i:02d} GmbH", tier=["gold", "silver", "bronze"][i % 3])
        site = f.SiteFactory(account=account, name=f"Standort {i:02d}")
        f.AssetFactory(site=site, account=account)
    f.AccountFactory(name="Hochbahn Wartung AG", tier="gold")
    return agent


@pytest.mark.parametrize(
    ("label", "viewport"),
    [("desktop", {"width": 1280, "height": 800}), ("phone", {"width": 390, "height": 844})],
)
def test_sign_in_and_walk_the_directory(browser, directory, live_server, label, viewport):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport=viewport)
    page.goto(f"{live_server.url}/accounts/")
    assert "/login/" in page.url

    page.fill("input[name=username]", directory.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/")
    assert page.locator("#account-list tbody tr").count() == 25
    assert "Page 1 of 2" in page.inner_text("#account-list")

    # Paging swaps the list in place and keeps the URL in step.
    page.click("#account-list a[rel=next]")
    page.wait_for_function("document.querySelector('#account-list').innerText.includes('Page 2 of 2')")
    assert "page=2" in page.url

    # Live search: typing narrows the list without a page load.
    page.fill("input[name=q]", "hochbahn")
    page.wait_for_function("document.querySelectorAll('#account-list tbody tr').length === 1")
    assert "Hochbahn Wartung AG" in page.inner_text("#account-list")
    page.screenshot(path=str(ARTIFACTS / f"accounts-search-{label}.png"), full_page=True)

    page.fill("input[name=q]", "Kunde 07")
    page.wait_for_function("document.querySelector('#account-list').innerText.includes('Kunde 07 GmbH')")
    page.click("text=Kunde 07 GmbH")
    page.wait_for_selector("h1:has-text('Kunde 07 GmbH')")
    assert "Standort 07" in page.content()
    page.screenshot(path=str(ARTIFACTS / f"account-detail-{label}.png"), full_page=True)
    page.click("text=Standort 07")
    page.wait_for_selector("h1:has-text('Standort 07')")
    assert "Rooftop unit" in page.content()
    page.close()
