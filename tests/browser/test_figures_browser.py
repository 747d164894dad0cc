"""The curators' figures in headless Chromium, at 390 px and 1280 px: every chart image loads (as an SVG, under
the page's strict Content-Security-Policy), the page fits the screen and axe finds nothing serious."""

import pytest

from apps.directory import services as directory_services
from tests.browser.pages import PASSWORD, WIDTHS, assert_fits_and_passes_axe, new_page, shoot, sign_in_by_keyboard
from tests.factories import CuratorFactory, PhysicianFactory
from tests.referrals.factories import make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_figures_draw_and_fit(live_server, browser, width):
    curator = CuratorFactory(email="curator.figures@example.com")
    curator.set_password(PASSWORD)
    curator.save()
    for status in ("submitted", "accepted", "completed"):
        make_referral(status)
    directory_services.listing_report_create(physician=PhysicianFactory(), problem="moved")
    page = new_page(browser, width=width)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in_by_keyboard(page, live_server.url, curator.email)
    page.goto(live_server.url + "/referrals/figures/")
    images = page.locator(".figure img")
    assert images.count() == 4
    for index in range(4):
        images.nth(index).scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(index).element_handle())
    shoot(page, f"figures-{width}")
    assert_fits_and_passes_axe(page)
    assert not [error for error in errors if "Content Security Policy" in error]
