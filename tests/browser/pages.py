"""What the browser tests share: a page at a given width, screenshots on demand, signing in with the keyboard,
and the two checks every page must pass (no sideways scroll; axe finds nothing serious or critical)."""

import os
from pathlib import Path

# Set ONCODIR_SCREENSHOTS=/some/dir to keep a screenshot of every page the tests visit.
SCREENSHOTS = os.environ.get("ONCODIR_SCREENSHOTS")
PASSWORD = "a-long-test-password"
WIDTHS = {"phone-390": 390, "desktop-1280": 1280}


def new_page(browser, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15000)
    return context.new_page()


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def sideways_scroll(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in found if v["impact"] in ("serious", "critical")]


def assert_fits_and_passes_axe(page) -> None:
    assert sideways_scroll(page) <= 0, f"{page.url} scrolls sideways by {sideways_scroll(page)}px"
    assert serious_violations(page) == []


def sign_in_by_keyboard(page, base, email, password=PASSWORD):
    """From the home page to signed in with the keyboard alone: Tab to the header's Sign in, then the form."""
    page.goto(base + "/")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Sign in":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/accounts/login/?next=/" in url)
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")  # autofocus
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/")  # ?next= brought the user back where they started


def focused(page) -> str:
    """What the keyboard is on: a field's name, else a control's accessible label or its text."""
    return page.evaluate(
        "(e => ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName) ? e.name"
        " : (e.getAttribute('aria-label') || e.innerText || '').trim())(document.activeElement)"
    )


def tab_until(page, wanted: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page) == wanted:
            return
    raise AssertionError(f"the keyboard never reached {wanted!r}")
