"""Insurance in headless Chromium, at 390 px and 1280 px: a patient picks their carrier and plan type in the
search form with the keyboard, finds only the oncologists whose nearby practice takes it, and reads the plans
on the profile; axe is clean on both pages."""

import re

import pytest

from tests.browser.pages import WIDTHS, assert_fits_and_passes_axe, focused, new_page, shoot, tab_until
from tests.factories import PhysicianFactory, PracticeLocationFactory, insurance_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_patient_finds_oncologists_taking_their_insurance(live_server, browser, width):
    taking = PhysicianFactory(first_name="Ada", last_name="Insured", credentials="MD")
    PracticeLocationFactory(physician=taking, name="Chelsea Oncology").plans.set(
        [insurance_plan("aetna", "ppo"), insurance_plan("medicare", "medicare")]
    )
    other = PhysicianFactory(first_name="Bo", last_name="Elsewhere", credentials="MD")
    PracticeLocationFactory(physician=other).plans.set([insurance_plan("cigna", "hmo")])
    page = new_page(browser, width=width)
    page.goto(f"{live_server.url}/physicians/")

    # the keyboard alone: the ZIP code, then the insurance menu, then Search
    tab_until(page, "near")
    page.keyboard.type("10001")
    tab_until(page, "insurance")
    page.get_by_label("Insurance").select_option(label="Aetna PPO")  # what arrow keys in the open menu do
    assert focused(page) == "insurance"
    tab_until(page, "Search")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"insurance=aetna%3Appo"))

    names = page.locator(".result h3").all_inner_texts()
    assert names == ["Ada Insured, MD"]
    assert page.get_by_text("taking Aetna PPO").first.is_visible()
    assert_fits_and_passes_axe(page)
    shoot(page, f"results-insurance-{width}")

    page.get_by_role("link", name="Ada Insured, MD").click()
    page.get_by_role("heading", name="Ada Insured, MD").wait_for()
    assert (
        page.locator(".location-card .insurance").inner_text() == "Insurance: Aetna (PPO); Medicare (Original Medicare)"
    )
    assert_fits_and_passes_axe(page)
    shoot(page, f"profile-insurance-{width}")
