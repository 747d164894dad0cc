"""Report a problem with this listing: a short form on every profile (no account, limited per address, robots
dropped), a queue in the admin with counts per physician, and closing a report records what was done."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction

from apps.directory import services
from apps.directory.models import ListingProblem, ListingReport, ListingReportStatus
from tests.factories import PhysicianFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db

QUEUE = "/admin/directory/listingreport/"


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()  # the throttle counts in the cache, which outlives a test's transaction
    yield
    cache.clear()


@pytest.fixture
def physician():
    physician = PhysicianFactory(first_name="Jane", last_name="Smith")
    PracticeLocationFactory(physician=physician)
    return physician


def report_url(physician) -> str:
    return f"/physicians/{physician.npi}/report/"


def test_every_profile_offers_the_form_without_an_account(client, physician):
    html = client.get(physician.get_absolute_url()).content.decode()
    assert "<summary>Report a problem with this listing</summary>" in html
    assert f'action="{report_url(physician)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert html.count('type="radio" name="problem"') == len(ListingProblem.choices)
    assert "our curators are checking it" not in html


def test_a_report_lands_in_the_queue_and_the_profile_says_so_quietly(client, physician):
    response = client.post(report_url(physician), {"problem": "phone", "details": "  The number rings a bakery. "})
    assert response.status_code == 302
    assert response["Location"] == physician.get_absolute_url()
    report = ListingReport.objects.get()
    assert (report.physician, report.problem, report.details) == (physician, "phone", "The number rings a bakery.")
    assert report.status == ListingReportStatus.OPEN
    html = client.get(response["Location"]).content.decode()
    assert "Thank you. A curator will check this listing." in html
    assert "part of this listing may be out of date; our curators are checking it" in html


@pytest.mark.parametrize(
    ("posted", "field", "message"),
    [
        ({}, "problem", "This field is required."),
        ({"problem": "gone-fishing"}, "problem", "Select a valid choice."),
        ({"problem": "other", "details": "   "}, "details", "Say what is wrong with this listing."),
        ({"problem": "other", "details": "x\x00y"}, "details", "Null characters are not allowed."),
        ({"problem": "moved", "details": "x" * 2001}, "details", "at most 2000 characters"),
    ],
    ids=["no-problem", "unknown-problem", "other-without-details", "nul", "too-long"],
)
def test_bad_input_is_a_form_error_and_saves_nothing(client, physician, posted, field, message):
    response = client.post(report_url(physician), posted)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert message.split(".")[0] in response.content.decode().replace("&#x27;", "'")
    assert not ListingReport.objects.exists()


def test_a_robot_filling_the_hidden_field_is_thanked_and_dropped(client, physician):
    response = client.post(report_url(physician), {"problem": "retired", "website": "http://spam.example"})
    assert response.status_code == 302
    assert not ListingReport.objects.exists()


def test_reports_are_limited_per_address(client, physician, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "listing_report": "2/hour"},
    }
    for _ in range(2):
        assert client.post(report_url(physician), {"problem": "moved"}).status_code == 302
    refused = client.post(report_url(physician), {"problem": "moved"})
    assert refused.status_code == 429
    assert "You have sent several reports in a short time" in refused.content.decode()
    assert ListingReport.objects.count() == 2
    # another address is not held up by the first
    other = client.post(report_url(physician), {"problem": "moved"}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302
    assert ListingReport.objects.count() == 3


def test_no_report_for_a_physician_who_is_not_listed(client, physician):
    services.physicians_deactivate(physicians=[physician], by=None)
    assert client.post(report_url(physician), {"problem": "moved"}).status_code == 404
    assert client.get("/physicians/123/report/").status_code == 404
    assert not ListingReport.objects.exists()


def test_a_closed_report_must_say_what_was_done(admin_user, physician):
    report = services.listing_report_create(physician=physician, problem="phone")
    with pytest.raises(services.ValidationError) as raised:
        services.listing_reports_close(reports=[report], by=admin_user, status="corrected", resolution=" ")
    assert raised.value.message_dict == {"resolution": ["Say what was done about this report."]}
    with pytest.raises(services.ValidationError):
        services.listing_reports_close(reports=[report], by=admin_user, status="open", resolution="x")
    # and the database refuses a closed report without it, whoever writes
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingReport.objects.filter(pk=report.pk).update(status="corrected")


def test_the_queue_counts_open_reports_per_physician_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, physician
):
    other = PhysicianFactory(last_name="Other")
    for problem in ("phone", "moved"):
        services.listing_report_create(physician=physician, problem=problem)
    services.listing_report_create(physician=other, problem="retired")
    with django_assert_num_queries(6):
        response = admin_client.get(QUEUE + "?status__exact=open")
    counts = {(row.physician_id, row.problem): row.physician_open for row in response.context["cl"].result_list}
    assert counts == {(physician.pk, "phone"): 2, (physician.pk, "moved"): 2, (other.pk, "retired"): 1}
    for problem in ("phone", "moved", "retired", "other"):
        services.listing_report_create(physician=other, problem=problem, details="more")
    with django_assert_num_queries(6):
        admin_client.get(QUEUE + "?status__exact=open")


def test_a_curator_closes_a_report_saying_what_was_done_and_history_keeps_who(admin_client, admin_user, physician):
    report = services.listing_report_create(physician=physician, problem="phone", details="Rings a bakery.")
    change = f"{QUEUE}{report.pk}/change/"
    # closing without saying what was done is a form error, and the report stays open
    response = admin_client.post(change, {"status": "corrected", "resolution": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "resolution": ["Say what was done about this report before you close it."]
    }
    report.refresh_from_db()
    assert report.status == ListingReportStatus.OPEN
    response = admin_client.post(change, {"status": "corrected", "resolution": "Called the practice: new number."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ListingReportStatus.CORRECTED
    assert report.resolution == "Called the practice: new number."
    assert report.resolved_by == admin_user and report.resolved_at is not None
    assert report.history.latest().history_user == admin_user
    # a closed report is read-only, and the profile no longer mentions it
    assert "readonly" in admin_client.get(change).content.decode()
    assert "our curators are checking it" not in admin_client.get(physician.get_absolute_url()).content.decode()


def test_dismissing_as_spam_closes_only_the_open_ones(admin_client, admin_user, physician):
    spam = services.listing_report_create(physician=physician, problem="other", details="cheap pills")
    done = services.listing_report_create(physician=physician, problem="moved")
    services.listing_reports_close(reports=[done], by=admin_user, status="corrected", resolution="Moved: updated.")
    response = admin_client.post(QUEUE, {"action": "dismiss_as_spam", "_selected_action": [spam.pk, done.pk]})
    assert response.status_code == 302
    spam.refresh_from_db()
    done.refresh_from_db()
    assert (spam.status, spam.resolution) == (ListingReportStatus.DISMISSED, services.SPAM_RESOLUTION)
    assert (done.status, done.resolution) == (ListingReportStatus.CORRECTED, "Moved: updated.")


def test_the_physician_list_filters_on_open_reports_and_the_change_page_shows_them(admin_client, physician):
    quiet = PhysicianFactory(last_name="Quiet")
    services.listing_report_create(physician=physician, problem="retired", details="Retired in May.")
    response = admin_client.get("/admin/directory/physician/?reported=open")
    assert [p.pk for p in response.context["cl"].result_list] == [physician.pk]
    assert quiet.pk not in [p.pk for p in response.context["cl"].result_list]
    html = admin_client.get(f"/admin/directory/physician/{physician.pk}/change/").content.decode()
    assert "Retired in May." in html
    # reports are not added or deleted by hand
    assert admin_client.get(QUEUE + "add/").status_code == 403


def test_the_report_page_runs_one_query(client, physician, django_assert_num_queries):
    with django_assert_num_queries(1):  # the physician; no session for a visitor
        assert client.get(report_url(physician)).status_code == 200
