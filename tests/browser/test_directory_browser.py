"""The public directory in headless Chromium: search by ZIP and name, filter, open a profile; axe-core finds
no serious or critical accessibility violation; a 360-pixel phone never scrolls sideways."""

import datetime
import re

import pytest
from django.utils import timezone

from apps.directory.models import CertificationStatus
from tests.browser.pages import new_page, shoot
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def directory():
    smith = PhysicianFactory(
        first_name="Jane", last_name="Smith", cancers=["breast"], languages=["en", "es"], telehealth=True
    )
    PracticeLocationFactory(physician=smith, name="Chelsea Cancer Care", zip_code="10001", phone="212-555-0101")
    PracticeLocationFactory(
        physician=smith,
        name="Hoboken Infusion Center",
        address_line1="1 River St",
        city="Hoboken",
        state="NJ",
        zip_code="07030",
        phone="201-555-0102",
        accepting_new_patients=False,
        is_primary=False,
    )
    BoardCertificationFactory(physician=smith)
    BoardCertificationFactory(
        physician=smith,
        certificate_name="Hematology",
        status=CertificationStatus.EXPIRED,
        first_certified_on=datetime.date(2004, 7, 1),
        expires_on=datetime.date(2014, 12, 31),
    )
    AffiliationFactory(physician=smith, institution=InstitutionFactory(name="Hudson Valley Cancer Institute"))
    smithson = PhysicianFactory(first_name="Carl", last_name="Smithson", cancers=["lung"])
    PracticeLocationFactory(physician=smithson, zip_code="10016", accepting_new_patients=False, name="Murray Hill Care")
    garcia = PhysicianFactory(
        first_name="José",
        last_name="García",
        cancers=["breast"],
        last_verified_on=timezone.localdate() - datetime.timedelta(days=500),
    )
    PracticeLocationFactory(physician=garcia, zip_code="11201", city="Brooklyn", name="Brooklyn Heights Oncology")
    far = PhysicianFactory(first_name="Ann", last_name="Faraway")
    PracticeLocationFactory(physician=far, zip_code="94103", city="San Francisco", state="CA", name="Mission Clinic")
    return {"smith": smith, "garcia": garcia}


def result_names(page) -> list[str]:
    return [text.strip() for text in page.locator(".result h3").all_inner_texts()]


def test_search_by_zip_and_name_filter_and_open_a_profile(live_server, browser, directory):
    page = new_page(browser)
    # given the home page
    page.goto(live_server.url)
    shoot(page, "home")
    # when searching for a misspelled name near a ZIP code
    page.get_by_label("Name, cancer type, specialty or place").fill("smtih")
    page.get_by_label("ZIP code").fill("10001")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/physicians/\?"))
    # then Smith comes first, with the distance of the nearest practice
    assert result_names(page) == ["Jane Smith, MD"]
    assert page.locator(".result").first.locator(".distance").inner_text() == "0.0 miles"
    shoot(page, "results-name-zip")

    # when searching by ZIP only, then only New York area physicians are listed, nearest first
    page.goto(f"{live_server.url}/physicians/?near=10001")
    assert result_names(page) == ["Jane Smith, MD", "Carl Smithson, MD", "José García, MD"]
    # when applying a filter in the form (it is under "More options")
    page.locator("summary", has_text="More options").click()
    page.get_by_label("Accepting new patients").check()
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"accepting=1"))
    # then only those accepting at a nearby practice remain
    assert result_names(page) == ["Jane Smith, MD", "José García, MD"]
    assert page.get_by_role("heading", name=re.compile(r"^2 oncologists near 10001")).is_visible()
    shoot(page, "results-filtered")

    # when opening a profile from the results
    page.get_by_role("link", name="José García, MD").click()
    page.wait_for_url(re.compile(r"/physicians/\d{10}/jose-garcia/\?near=10001"))
    # then the profile shows the distance, the stale verification warning and the phone link
    assert page.get_by_role("heading", level=1).inner_text() == "José García, MD"
    assert page.get_by_text(re.compile(r"miles from 10001")).first.is_visible()
    assert page.get_by_text(re.compile(r"more than a year ago")).is_visible()
    shoot(page, "profile-stale")


def test_facet_link_narrows_the_search(live_server, browser, directory):
    page = new_page(browser)
    page.goto(f"{live_server.url}/physicians/?near=10001&radius=50")
    facets = page.get_by_role("complementary", name="Narrow by")
    facets.get_by_role("link", name="Lung cancer").click()
    page.wait_for_url(re.compile(r"cancer=lung"))
    assert result_names(page) == ["Carl Smithson, MD"]


def test_works_without_javascript(live_server, browser, directory):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url)
    page.get_by_label("Name, cancer type, specialty or place").fill("garcia")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=garcia"))
    assert result_names(page) == ["José García, MD"]
    context.close()


def pages_to_check(live_server, directory) -> dict[str, str]:
    smith = directory["smith"]
    return {
        "home": live_server.url + "/",
        "results": f"{live_server.url}/physicians/?near=10001&radius=50&cancer=breast",
        "results-empty": f"{live_server.url}/physicians/?near=10001&radius=5&cancer=lung&telehealth=1",
        "results-errors": f"{live_server.url}/physicians/?near=00000&radius=abc",
        "profile": f"{live_server.url}{smith.get_absolute_url()}?near=10001",
    }


def test_no_serious_or_critical_accessibility_violations(live_server, browser, directory):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = new_page(browser)
    problems = {}
    for name, url in pages_to_check(live_server, directory).items():
        page.goto(url)
        results = axe.run(page)
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            problems[name] = serious
    assert problems == {}


@pytest.mark.parametrize("width", [360, 768, 1280], ids=["phone-360", "tablet", "desktop"])
def test_no_horizontal_scroll(live_server, browser, directory, width):
    page = new_page(browser, width=width, height=800)
    for name, url in pages_to_check(live_server, directory).items():
        page.goto(url)
        shoot(page, f"{name}-{width}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"


def test_keyboard_user_can_skip_to_content_and_sees_focus(live_server, browser, directory):
    page = new_page(browser)
    page.goto(live_server.url)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    outline = skip.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline != "none"
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0  # it comes into view when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
