"""The trials pages in headless Chromium, at 390 px and 1280 px: recruiting breast cancer trials near 10001
(nearest site first), a trial's page, the profile's trials and the "runs clinical trials" search filter; each
page fits the screen and passes axe, without JavaScript of our own."""

import re

import pytest

from apps.trials.services import trials_import
from tests.browser.pages import WIDTHS, assert_fits_and_passes_axe, new_page, shoot
from tests.trials.ctgov_files import nct
from tests.trials.scenario import NEAR_BREAST, load

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def import_trials(path):
    return trials_import(path=path)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_find_a_trial_near_10001_and_the_oncologist_who_runs_it(live_server, browser, tmp_path, width):
    world = load(import_trials, tmp_path)
    page = new_page(browser, width=width)

    # the trials page: a ZIP code and a cancer type
    page.goto(live_server.url + "/trials/")
    assert_fits_and_passes_axe(page)
    page.get_by_role("textbox", name="ZIP code").fill("10001")
    page.get_by_label("Cancer type").select_option("breast")
    page.get_by_role("button", name="Find trials").click()
    page.wait_for_url("**/trials/?*near=10001*")
    headings = page.locator("h3[id^=trial-]")
    assert [h.get_attribute("id") for h in headings.all()] == [f"trial-{n}" for n in NEAR_BREAST]
    miles = [float(m) for m in re.findall(r"\(([\d.]+) miles from 10001\)", page.content())]
    assert len(miles) == 2 and miles == sorted(miles)
    shoot(page, f"trials-list-{width}")
    assert_fits_and_passes_axe(page)

    # the nearest trial's page, its sites nearest to 10001 first
    page.get_by_role("link", name="Breast study near").click()
    page.wait_for_url(f"**/trials/{nct(1)}/?near=10001")
    sites = page.locator(".trial-sites h3").all_inner_texts()
    assert sites == ["Midtown Cancer Institute", "Boston Cancer Hospital"]
    shoot(page, f"trial-detail-{width}")
    assert_fits_and_passes_axe(page)

    # the oncologist linked at the nearest site, and her profile's trials
    page.locator(".trial-sites").get_by_role("link", name=world.doe.display_name).click()
    page.wait_for_url(f"**{world.doe.get_absolute_url()}")
    trials = page.get_by_role("region", name="Clinical trials")
    assert trials.locator("h3").all_inner_texts() == ["Breast study near", "Lung study"]
    shoot(page, f"profile-trials-{width}")
    assert_fits_and_passes_axe(page)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_runs_clinical_trials_filter_and_a_bad_zip(live_server, browser, tmp_path, width):
    world = load(import_trials, tmp_path)
    page = new_page(browser, width=width)
    page.goto(live_server.url + "/physicians/")
    page.get_by_text("More options").click()
    page.get_by_label("Runs clinical trials").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**trials=1**")
    found = page.locator("h3[id^=result-]").all_inner_texts()
    assert sorted(found) == sorted([world.doe.display_name, world.roe.display_name])
    shoot(page, f"search-runs-trials-{width}")
    assert_fits_and_passes_axe(page)

    page.goto(live_server.url + "/trials/?near=1000&cancer=breast")
    assert page.get_by_role("alert").get_by_text("Enter a US ZIP code").is_visible()
    shoot(page, f"trials-bad-zip-{width}")
    assert_fits_and_passes_axe(page)
