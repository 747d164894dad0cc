"""My listing in headless Chromium, at 390 px and 1280 px: an oncologist opens it from the header, changes
telehealth, a language, new patients and the insurance plans taken at a location, saves, and sees it on the
public profile; axe is clean."""

import re

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
    main_campus = page.get_by_role("region", name=re.compile("^Main Campus"))
    main_campus.get_by_role("group", name="Accepting new patients here?").get_by_label("Yes").check()
    main_campus.locator("summary", has_text="Insurance plans taken here").click()
    main_campus.get_by_role("group", name="Aetna", exact=True).get_by_label("PPO").check()
    main_campus.get_by_role("group", name="Medicare", exact=True).get_by_label("Original Medicare").check()
    page.get_by_role("group", name="Do you offer telehealth visits?").get_by_label("Yes").check()
    page.get_by_label("Spanish").check()
    assert_fits_and_passes_axe(page)  # the plans' checkboxes open
    shoot(page, f"my-listing-{width}")
    page.get_by_role("button", name="Save my listing").click()
    page.get_by_text("Your listing is updated").wait_for()

    page.get_by_role("link", name="your public profile").click()
    assert page.get_by_text("Telehealth: offered").is_visible()
    assert page.get_by_text("English, Spanish").is_visible()
    assert page.get_by_text("confirmed by the physician").is_visible()
    assert page.locator(".location-card").get_by_text("Accepting new patients").is_visible()
    assert (
        page.locator(".location-card .insurance").inner_text() == "Insurance: Aetna (PPO); Medicare (Original Medicare)"
    )
