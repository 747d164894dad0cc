"""The one box in headless Chromium, at 390 px and 1280 px: "leukemia specialist 10001" typed on the home page
finds the leukemia specialist near 10001, the page says how it read the box, and one click searches the words."""

import pytest

from tests.browser.pages import WIDTHS, assert_fits_and_passes_axe, new_page, shoot, tab_until
from tests.factories import PhysicianFactory, PracticeLocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_box_reads_a_cancer_type_and_a_zip_code(live_server, browser, width):
    kim = PhysicianFactory(first_name="Lee", last_name="Kim", cancers=["leukemia"])
    PracticeLocationFactory(physician=kim, zip_code="10001")
    PracticeLocationFactory(physician=PhysicianFactory(last_name="Stone", cancers=["breast"]), zip_code="10001")
    page = new_page(browser, width=width)
    page.goto(live_server.url + "/")
    tab_until(page, "q")  # the keyboard alone: to the box, type, Enter
    page.keyboard.type("leukemia specialist 10001")
    page.keyboard.press("Enter")

    page.get_by_text("We read “leukemia specialist 10001” as:").wait_for()
    assert page.locator(".result h3").all_inner_texts() == [kim.display_name]
    shoot(page, f"reading-{width}")
    assert_fits_and_passes_axe(page)

    page.get_by_role("link", name="Search for the exact words instead").click()
    page.get_by_text("No physician matches all of these.").wait_for()  # no name holds these words
    assert page.get_by_label("Name, cancer type, specialty or place").input_value() == "leukemia specialist 10001"
