"""The referral workspace in headless Chromium, at 390 px and 1280 px: the oncologist declines a referral with
the keyboard alone (open "Reject", fill it, send); the page fits the screen and axe finds nothing serious."""

import pytest

from apps.referrals.models import Referral
from tests.browser.pages import (
    PASSWORD,
    WIDTHS,
    assert_fits_and_passes_axe,
    new_page,
    shoot,
    sign_in_by_keyboard,
    tab_until,
)
from tests.factories import GPFactory, OncologistUserFactory
from tests.referrals.factories import make_referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_an_oncologist_declines_with_the_keyboard(live_server, browser, width):
    oncologist = OncologistUserFactory(email="onc.workspace@example.com")
    oncologist.set_password(PASSWORD)
    oncologist.save()
    referral = make_referral("under_review", referring_gp=GPFactory(), oncologist=oncologist.physician)
    page = new_page(browser, width=width)
    sign_in_by_keyboard(page, live_server.url, oncologist.email)
    page.goto(live_server.url + referral.get_absolute_url())
    page.get_by_text("Waiting on you.").wait_for()
    assert_fits_and_passes_axe(page)

    tab_until(page, "Reject")
    page.keyboard.press("Enter")  # opens its short form
    tab_until(page, "reason_code")
    page.keyboard.press("ArrowDown")  # the first reason
    tab_until(page, "comment")
    page.keyboard.type("Please refer to hematology.")
    shoot(page, f"workspace-reject-{width}")
    tab_until(page, "Reject")  # the form's own button
    page.keyboard.press("Enter")
    page.get_by_text("Status: Rejected").wait_for()
    referral.refresh_from_db()
    assert (referral.status, referral.rejection_comment) == ("rejected", "Please refer to hematology.")
    assert Referral.objects.count() == 1
