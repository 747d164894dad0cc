"""Headless Chromium for the browser tests (Playwright, the system's Chromium)."""

import os

import pytest
from django.db import connections

# Playwright runs an event loop in the test's thread; Django's ORM calls from there are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # Connections the test opened while Playwright's loop ran live in that loop's context: close
            # them here, or one stays open and the test database cannot be dropped at the end of the run.
            connections.close_all()
