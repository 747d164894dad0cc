"""A GP's shortlist in headless Chromium, at 390 px and 1280 px: add two oncologists from the results, reorder
them, then open the shared link without an account; every page fits and passes axe."""

import pytest

from tests.browser.pages import (
    PASSWORD,
    WIDTHS,
    assert_fits_and_passes_axe,
    new_page,
    shoot,
    sign_in_by_keyboard,
    tab_until,
)
from tests.factories import GPFactory, PhysicianFactory, PracticeLocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_gp_builds_orders_and_shares_a_shortlist(live_server, browser, width):
    gp = GPFactory(email="gp.shortlist@example.com")
    gp.set_password(PASSWORD)
    gp.save()
    names = []
    for last_name in ("Adams", "Baker"):
        physician = PhysicianFactory(last_name=last_name, cancers=["breast"])
        PracticeLocationFactory(physician=physician, zip_code="10001")
        names.append(physician.display_name)
    page = new_page(browser, width=width)
    sign_in_by_keyboard(page, live_server.url, gp.email)
    page.goto(live_server.url + "/physicians/?cancer=breast")
    assert_fits_and_passes_axe(page)
    for name in names:  # the keyboard alone: to each result's button, Enter
        tab_until(page, f"Add {name} to your shortlist")
        page.keyboard.press("Enter")
        page.get_by_text(f"{name} is added to your shortlist").wait_for()

    page.get_by_role("link", name="Shortlist").click()
    tab_until(page, f"Move {names[1]} up")
    page.keyboard.press("Enter")
    page.wait_for_url("**/shortlists/*/#entries")
    assert page.locator(".shortlist-entry h3").all_inner_texts() == [names[1], names[0]]
    shoot(page, f"shortlist-{width}")
    assert_fits_and_passes_axe(page)
    share = page.get_by_label("Link to this list").input_value()

    visitor = new_page(browser, width=width)  # another browser, signed out
    visitor.goto(share)
    assert visitor.locator(".shortlist-entry h3").all_inner_texts() == [names[1], names[0]]
    assert_fits_and_passes_axe(visitor)
