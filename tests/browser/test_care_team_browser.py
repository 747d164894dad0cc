"""Care team nearby in headless Chromium, at 390 px and 1280 px: the section fits the screen, passes axe, and
each colleague's name opens their profile."""

import pytest

from tests.browser.pages import WIDTHS, assert_fits_and_passes_axe, new_page, shoot
from tests.factories import AffiliationFactory, InstitutionFactory, PhysicianFactory, PracticeLocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_care_team_fits_passes_axe_and_leads_to_each_colleague(live_server, browser, width):
    smith = PhysicianFactory(first_name="Jane", last_name="Smith")
    PracticeLocationFactory(physician=smith, name="Breast Center", address_line1="1275 York Ave", zip_code="10065")
    hospital = InstitutionFactory(name="Lakeside Comprehensive Cancer Institute of Greater New York")
    AffiliationFactory(physician=smith, institution=hospital)
    zane = PhysicianFactory(first_name="Omar", last_name="Zane-Featherstonehaugh", primary_specialty="2085R0001X")
    PracticeLocationFactory(physician=zane, name="", address_line1="1275 YORK AVE", zip_code="10065")
    bell = PhysicianFactory(first_name="Ana", last_name="Bell", primary_specialty="2086X0206X")
    AffiliationFactory(physician=bell, institution=hospital)

    page = new_page(browser, width=width)
    page.goto(live_server.url + smith.get_absolute_url())
    team = page.get_by_role("region", name="Care team nearby")
    assert team.get_by_role("listitem").count() == 2
    shoot(page, f"care-team-{width}")
    assert_fits_and_passes_axe(page)
    team.get_by_role("link", name=bell.display_name).click()
    page.wait_for_url(f"**{bell.get_absolute_url()}")
    assert page.get_by_role("heading", level=1).inner_text() == bell.display_name
