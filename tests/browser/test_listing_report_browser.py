"""Report a problem with a listing in headless Chromium, at 390 px and 1280 px, with the keyboard alone: the
form opens from the profile, sends, and thanks; axe finds nothing serious on the open form or its errors."""

import pytest

from apps.directory.models import ListingReport
from tests.browser.pages import (
    WIDTHS,
    assert_fits_and_passes_axe,
    focused,
    new_page,
    serious_violations,
    shoot,
    tab_until,
)
from tests.factories import PhysicianFactory, PracticeLocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_visitor_reports_a_wrong_phone_with_the_keyboard_alone(live_server, browser, width):
    physician = PhysicianFactory(first_name="Jane", last_name="Smith")
    PracticeLocationFactory(physician=physician)
    page = new_page(browser, width=width)
    page.goto(live_server.url + physician.get_absolute_url())

    tab_until(page, "Report a problem with this listing")
    page.keyboard.press("Enter")  # opens the <details>
    tab_until(page, "problem")
    page.keyboard.press("Space")  # the first choice: the phone number is wrong
    tab_until(page, "details")
    page.keyboard.type("The number rings a bakery.")
    page.keyboard.press("Tab")  # past the hidden trap field, straight to the button
    assert focused(page) == "Send report"
    shoot(page, f"report-open-{width}")
    assert_fits_and_passes_axe(page)
    page.keyboard.press("Enter")

    page.get_by_text("Thank you. A curator will check this listing.").wait_for()
    assert page.get_by_text("our curators are checking it").count() == 1
    report = ListingReport.objects.get()
    assert (report.problem, report.details) == ("phone", "The number rings a bakery.")


def test_the_errors_page_is_accessible_and_keeps_what_was_typed(live_server, browser):
    physician = PhysicianFactory()
    PracticeLocationFactory(physician=physician)
    page = new_page(browser, width=390)
    page.goto(live_server.url + physician.get_absolute_url())
    page.get_by_text("Report a problem with this listing").click()
    page.get_by_label("Something else").check()
    page.get_by_role("button", name="Send report").click()
    page.get_by_text("Say what is wrong with this listing.").wait_for()
    shoot(page, "report-errors-390")
    assert serious_violations(page) == []
    assert page.get_by_label("Something else").is_checked()
    assert not ListingReport.objects.exists()
