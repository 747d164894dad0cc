"""The header and the error pages in headless Chromium, at a phone's 390 px and a desktop's 1280 px: a signed-in
header with a long name never scrolls sideways, axe finds nothing serious, and a keyboard alone signs in and out."""

import pytest

from tests.browser.pages import (
    PASSWORD,
    WIDTHS,
    new_page,
    serious_violations,
    shoot,
    sideways_scroll,
    sign_in_by_keyboard,
)
from tests.factories import OncologistUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def oncologist():
    user = OncologistUserFactory(email="onc.frame@example.com", full_name="Dr. Maximiliana Oyelaran-Featherstonehaugh")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_signed_in_frame_and_error_pages_fit_the_screen_and_pass_axe(live_server, browser, oncologist, width):
    page = new_page(browser, width=width)
    sign_in_by_keyboard(page, live_server.url, oncologist.email)
    pages = {
        "inbox": "/referrals/",
        "forbidden": "/referrals/figures/",  # the curators' figures: a 403 for an oncologist
        "not-found": "/no-such-page/",
        "listing": "/my-listing/",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        shoot(page, f"frame-{name}-{width}")
        assert page.get_by_text("Signed in as Dr. Maximiliana Oyelaran-Featherstonehaugh", exact=True).is_visible()
        assert sideways_scroll(page) <= 0, f"{name} scrolls sideways at {width}px"
        if serious := serious_violations(page):
            problems[name] = serious
    assert problems == {}


def test_sign_out_is_reached_and_used_with_the_keyboard(live_server, browser, oncologist):
    page = new_page(browser, width=390)
    sign_in_by_keyboard(page, live_server.url, oncologist.email)
    sign_out = page.get_by_role("button", name="Sign out")
    for _ in range(12):
        page.keyboard.press("Tab")
        if sign_out.evaluate("element => element === document.activeElement"):
            break
    assert sign_out.evaluate("element => element === document.activeElement")
    assert sign_out.evaluate("element => getComputedStyle(element).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Sign in").wait_for()  # the signed-out header
    assert not page.get_by_role("button", name="Sign out").count()
