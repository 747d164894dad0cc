"""The referral loop in a real browser: GP refers with an attachment, oncologist decides, GP closes the loop."""

import datetime

import pytest
from django.utils import timezone

from apps.referrals.models import Attachment, Referral
from tests.factories import GPFactory, OncologistUserFactory, PracticeLocationFactory
from tests.referrals.files import PDF  # a real PDF: uploads are parsed before they are accepted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "a-long-test-password"


@pytest.fixture
def browser_page(browser):
    context = browser.new_context()
    context.set_default_timeout(15000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/referrals/")


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def test_the_referral_loop_closes_in_the_browser(live_server, browser_page, tmp_path):
    page = browser_page
    base = live_server.url
    gp = GPFactory(email="gp.browser@example.com")
    oncologist = OncologistUserFactory(email="onc.browser@example.com", physician__last_name="Zylberstein")
    PracticeLocationFactory(physician=oncologist.physician, accepting_new_patients=True)
    report = tmp_path / "mammogram-report.pdf"
    report.write_bytes(PDF)

    # The GP signs in, finds the oncologist by name and opens the profile
    sign_in(page, base, gp.email)
    page.goto(f"{base}/physicians/?q=Zylberstein")
    page.get_by_role("link", name=oncologist.physician.display_name).first.click()
    page.get_by_role("link", name="Refer a patient").click()

    # ... fills in the referral and saves a draft
    page.get_by_label("Patient first name").fill("Ada")
    page.get_by_label("Patient last name").fill("Quilliam")
    page.get_by_label("Patient's date of birth").fill("1961-03-14")
    page.get_by_label("Patient phone").fill("212-555-0199")
    page.get_by_label("Priority").select_option("urgent_suspected_cancer")
    page.get_by_label("Suspected cancer type").select_option(label="Breast cancer")
    page.get_by_label("Clinical question").fill("Palpable lump, BI-RADS 5: please assess.")
    page.get_by_label("Patient consents to sharing").check()
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("heading", name="Referral R-").wait_for()

    # ... attaches the report and submits
    page.get_by_label("Attach a file").set_input_files(str(report))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("link", name="mammogram-report.pdf").wait_for()
    page.get_by_role("button", name="Submit referral").click()
    page.get_by_text("Status: Submitted").wait_for()
    referral = Referral.objects.get()
    assert referral.status == "submitted"
    assert Attachment.objects.filter(referral=referral).count() == 1
    sign_out(page)

    # The oncologist signs in, opens it from the inbox, accepts, schedules and records the outcome
    sign_in(page, base, oncologist.email)
    page.get_by_role("link", name=referral.reference).click()
    page.get_by_text("Status: Under review").wait_for()
    page.get_by_text("Waiting on you.").wait_for()
    # the main choice first; each choice opens its own short form
    assert page.locator("#actions summary").all_inner_texts()[:3] == ["Accept", "Request information", "Reject"]
    page.locator("details.action-accept summary").click()
    page.get_by_role("button", name="Accept").click()
    page.get_by_text("Status: Accepted").wait_for()
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=7)).strftime("%Y-%m-%dT10:30")
    page.locator("details.action-schedule summary").click()
    schedule = page.locator("form.action-schedule")
    schedule.get_by_label("Appointment date and time").fill(when)
    schedule.get_by_label("Place").fill("Cancer Center, Suite 4")
    schedule.get_by_role("button", name="Schedule").click()
    page.get_by_text("Status: Scheduled").wait_for()
    page.locator("details.action-complete summary").click()
    complete = page.locator("form.action-complete")
    complete.get_by_label("Findings").fill("Fibroadenoma on core biopsy.")
    complete.get_by_label("Recommendations").fill("Routine follow-up in 6 months.")
    complete.get_by_role("button", name="Record outcome").click()
    page.get_by_text("Status: Completed").wait_for()
    sign_out(page)

    # The GP sees the outcome on the dashboard and acknowledges it
    sign_in(page, base, gp.email)
    page.get_by_role("link", name=referral.reference).click()
    page.get_by_text("Fibroadenoma on core biopsy.").wait_for()
    page.get_by_role("button", name="Acknowledge outcome").click()
    page.get_by_text("Status: Outcome acknowledged").wait_for()

    referral.refresh_from_db()
    assert referral.status == "acknowledged"
    assert list(referral.events.values_list("action", flat=True)) == [
        "submit",
        "open",
        "accept",
        "schedule",
        "complete",
        "acknowledge",
    ]
