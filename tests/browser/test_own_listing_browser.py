"""My listing in headless Chromium, at 390 px and 1280 px: an oncologist opens it from the header, changes
telehealth, a language and new patients at a location, saves, and sees it on the public profile; axe is clean."""

import pytest

from tests.browser.pages import PASSWORD, WIDTHS, assert_fits_and_passes_axe, new_page, shoot, sign_in_by_keyboard
from tests.factories import OncologistUserFactory, PracticeLocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_an_oncologist_keeps_their_listing(live_server, browser, width):
    user = OncologistUserFactory(
        email="onc.listing@example.com", physician__telehealth=None, physician__languages=["en"]
    )
    user.set_password(PASSWORD)
    user.save()
    PracticeLocationFactory(physician=user.physician, name="Main Campus", accepting_new_patients=None)
    page = new_page(browser, width=width)
    sign_in_by_keyboard(page, live_server.url, user.email)

    page.get_by_role("link", name="My listing").click()
    page.get_by_role("heading", name="My listing").wait_for()
    assert_fits_and_passes_axe(page)
    page.get_by_role("group", name="Main Campus").get_by_label("Yes").check()
    page.get_by_role("group", name="Do you offer telehealth visits?").get_by_label("Yes").check()
    page.get_by_label("Spanish").check()
    shoot(page, f"my-listing-{width}")
    page.get_by_role("button", name="Save my listing").click()
    page.get_by_text("Your listing is updated").wait_for()

    page.get_by_role("link", name="your public profile").click()
    assert page.get_by_text("Telehealth: offered").is_visible()
    assert page.get_by_text("English, Spanish").is_visible()
    assert page.get_by_text("confirmed by the physician").is_visible()
    assert page.locator(".location-card").get_by_text("Accepting new patients").is_visible()
