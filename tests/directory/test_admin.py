"""The curators' admin, through the real stack: changelist, search, filters, bulk actions, history, and
bad input answered with a form error (never a 500, never a partial write)."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from apps.directory import services
from apps.directory.admin import (
    TWO_PRIMARY_LOCATIONS_MESSAGE,
    TWO_PRIMARY_SPECIALTIES_MESSAGE,
    EstimatedCountPaginator,
)
from apps.directory.models import (
    BoardCertification,
    CertificationStatus,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
)
from apps.directory.validators import npi_with_check_digit
from tests.databases import connected_as
from tests.factories import (
    AffiliationFactory,
    BoardCertificationFactory,
    PhysicianFactory,
    PracticeLocationFactory,
    specialty,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/directory/physician/"
TODAY = timezone.localdate()


def change_url(physician) -> str:
    return f"/admin/directory/physician/{physician.pk}/change/"


def listed(response) -> set[str]:
    """The NPIs on a changelist page."""
    assert response.status_code == 200
    return {physician.npi for physician in response.context["cl"].result_list}


def form_data(response) -> dict:
    """What a browser would post back from an admin change form, unchanged: main form, inline forms and
    management forms."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            data[bound.html_name] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return data


def add_inline_row(data: dict, prefix: str, **fields) -> dict:
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(total + 1)
    for name, value in fields.items():
        data[f"{prefix}-{total}-{name}"] = value
    return data


def errors_of(response) -> list[str]:
    """Every error message an admin change form shows."""
    messages = list(response.context["adminform"].form.errors.values())
    for inline in response.context["inline_admin_formsets"]:
        messages.append(inline.formset.non_form_errors())
        messages.extend(form_errors for form in inline.formset.forms for form_errors in form.errors.values())
    return [str(message) for errors in messages for message in errors]


@pytest.fixture
def physician():
    physician = PhysicianFactory(first_name="Zoë", last_name="García", cancers=["breast"])
    PracticeLocationFactory(physician=physician, city="Boston", state="MA", zip_code="02115", is_primary=True)
    PracticeLocationFactory(physician=physician, city="Cambridge", state="MA", zip_code="02139", is_primary=False)
    BoardCertificationFactory(physician=physician)
    AffiliationFactory(physician=physician)
    return physician


# --- changelist ----------------------------------------------------------------------------------------


def test_the_changelist_shows_the_curation_columns(admin_client, physician):
    response = admin_client.get(CHANGELIST)

    assert listed(response) == {physician.npi}
    html = response.content.decode()
    assert "Medical Oncology Physician" in html  # primary specialty
    assert "Boston" in html and ">MA<" in html  # primary location, not the secondary one
    assert "Cambridge" not in html


@pytest.mark.parametrize("count", [1, 40], ids=["one-physician", "forty-physicians"])
def test_the_changelist_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, count):
    for _ in range(count):
        doctor = PhysicianFactory()
        PracticeLocationFactory(physician=doctor)
        BoardCertificationFactory(physician=doctor)

    # the session, the user, the specialty, cancer type, board and insurance plan tables (the search filters'
    # choices), the estimated count, the filtered count and the page
    with django_assert_num_queries(9):
        response = admin_client.get(CHANGELIST)

    assert len(listed(response)) == count


# The session, the user, the count and the page, plus what each model's list filters read (the boards
# of the certifications' filter, the distinct values of a free-text column, ...): fixed whatever the size.
CHANGELIST_QUERIES = {
    "practicelocation": 4,
    "boardcertification": 5,
    "physicianspecialty": 4,
    "affiliation": 4,
    "institution": 5,
    "specialty": 6,
    "cancertype": 5,
    "board": 5,
}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/directory/practicelocation/",
        "/admin/directory/boardcertification/",
        "/admin/directory/physicianspecialty/",
        "/admin/directory/affiliation/",
        "/admin/directory/institution/",
        "/admin/directory/specialty/",
        "/admin/directory/cancertype/",
        "/admin/directory/board/",
    ],
    ids=lambda url: url.split("/")[-2],
)
def test_every_other_directory_changelist_runs_a_fixed_number_of_queries(admin_client, django_assert_num_queries, url):
    for _ in range(15):
        AffiliationFactory(physician=PracticeLocationFactory().physician)
        BoardCertificationFactory()

    with django_assert_num_queries(CHANGELIST_QUERIES[url.split("/")[-2]]):
        response = admin_client.get(url)

    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("garcia", {"Boston", "Cambridge"}),  # the physician, as the public search finds her
        ("smtih", {"Denver"}),  # with a typo
        ("Cambridge", {"Boston", "Cambridge"}),  # her practice city: the public search reads it
        ("denv", {"Denver"}),  # a city's first letters
        ("80202", {"Denver"}),  # a ZIP code
        ("Back Bay", {"Boston", "Cambridge"}),  # a practice's name: hers, so all her locations
    ],
)
def test_practice_locations_are_searched_by_physician_and_by_their_own_fields(admin_client, physician, query, expected):
    smith = PhysicianFactory(first_name="Anna", last_name="Smith")
    PracticeLocationFactory(physician=smith, city="Denver", state="CO", zip_code="80202", is_primary=True)
    physician.locations.filter(city="Boston").update(name="Back Bay Clinic")

    response = admin_client.get("/admin/directory/practicelocation/", {"q": query})

    assert response.status_code == 200
    assert {location.city for location in response.context["cl"].result_list} == expected


@pytest.mark.parametrize(
    "url",
    ["/admin/directory/physicianspecialty/", "/admin/directory/boardcertification/", "/admin/directory/affiliation/"],
)
def test_rows_around_physicians_are_found_by_npi_prefix_and_by_name(admin_client, physician, url):
    other = PhysicianFactory(first_name="Anna", last_name="Smith")
    PhysicianSpecialty.objects.get_or_create(physician=other, specialty=specialty("207RX0202X"))
    BoardCertificationFactory(physician=other)
    AffiliationFactory(physician=other)
    PhysicianSpecialty.objects.get_or_create(physician=physician, specialty=specialty("207RX0202X"))

    for query in (physician.npi, "garcia"):
        response = admin_client.get(url, {"q": query})
        assert response.status_code == 200
        assert {row.physician_id for row in response.context["cl"].result_list} == {physician.pk}, query


def test_the_change_form_and_history_pages_answer(admin_client, django_assert_num_queries, physician):
    with django_assert_num_queries(17):  # one per inline: specialties, locations, certifications, ..., reports
        response = admin_client.get(change_url(physician))
    assert response.status_code == 200

    response = admin_client.get(f"/admin/directory/physician/{physician.pk}/history/")
    assert response.status_code == 200


# --- search --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["garcia", "GARCÍA", "zoe garcia", "Zoë"],
    ids=["without-accent", "upper-case", "first-and-last", "first-with-accent"],
)
def test_search_by_name_ignores_accents_and_case(admin_client, physician, query):
    PhysicianFactory(first_name="John", last_name="Smith")

    response = admin_client.get(CHANGELIST, {"q": query})

    assert listed(response) == {physician.npi}


@pytest.mark.parametrize("query", ["smtih", "smi", "cambridge", "García Cambridge", "dr smith"])
def test_search_is_the_public_search(admin_client, physician, query):
    # Typos, prefixes, practice cities and names and word order, as the search page reads them.
    smith = PhysicianFactory(first_name="Anna", last_name="Smith")
    PracticeLocationFactory(physician=smith, city="Denver", state="CO", zip_code="80202", is_primary=True)

    response = admin_client.get(CHANGELIST, {"q": query})

    expected = {"smtih": {smith.npi}, "smi": {smith.npi}, "dr smith": {smith.npi}}.get(query, {physician.npi})
    assert listed(response) == expected
    assert listed(response) == set(Physician.objects.search(query).values_list("npi", flat=True))


def test_search_lists_the_best_match_first_unless_a_column_is_chosen(admin_client):
    johnson = PhysicianFactory(first_name="Ann", last_name="Johnson")
    jonson = PhysicianFactory(first_name="Ann", last_name="Jonson")

    ranked = admin_client.get(CHANGELIST, {"q": "jonson"})
    by_name = admin_client.get(CHANGELIST, {"q": "jonson", "o": "1"})  # the "name" column

    assert [p.npi for p in ranked.context["cl"].result_list] == [jonson.npi, johnson.npi]
    assert [p.npi for p in by_name.context["cl"].result_list] == [johnson.npi, jonson.npi]


def test_physician_autocomplete_uses_the_same_search(admin_client, physician):
    PhysicianFactory(first_name="Anna", last_name="Smith")

    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "directory", "model_name": "practicelocation", "field_name": "physician", "term": "garica"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(physician.pk)]


def test_search_lists_deactivated_physicians_too(admin_client, physician):
    services.physicians_deactivate(physicians=Physician.objects.filter(pk=physician.pk), by=None)

    assert listed(admin_client.get(CHANGELIST, {"q": "garcia"})) == {physician.npi}


def test_search_by_npi_finds_exactly_that_physician(admin_client, physician):
    other = PhysicianFactory()

    response = admin_client.get(CHANGELIST, {"q": other.npi})

    assert listed(response) == {other.npi}


# --- filters -------------------------------------------------------------------------------------------


def test_the_specialty_filter_matches_any_of_a_physicians_specialties(admin_client):
    heme_onc = PhysicianFactory(primary_specialty="207RH0003X")
    secondary = PhysicianFactory()  # primary medical oncology, secondary hematology-oncology
    PhysicianSpecialty.objects.create(physician=secondary, specialty=specialty("207RH0003X"), is_primary=False)
    PhysicianFactory(primary_specialty="2085R0001X")

    response = admin_client.get(CHANGELIST, {"specialty": "207RH0003X"})

    assert listed(response) == {heme_onc.npi, secondary.npi}


def test_the_state_filter_matches_any_practice_location(admin_client):
    in_texas = PracticeLocationFactory(city="Houston", state="TX", zip_code="77030").physician
    PracticeLocationFactory(physician=in_texas, city="Austin", state="TX", zip_code="78701", is_primary=False)
    PracticeLocationFactory(city="Boston", state="MA", zip_code="02115")

    response = admin_client.get(CHANGELIST, {"state": "TX"})

    assert listed(response) == {in_texas.npi}  # once, though it has two Texas locations


def test_the_active_filter(admin_client):
    active = PhysicianFactory()
    inactive = PhysicianFactory(is_active=False, deactivated_on=TODAY)

    assert listed(admin_client.get(CHANGELIST, {"is_active__exact": "1"})) == {active.npi}
    assert listed(admin_client.get(CHANGELIST, {"is_active__exact": "0"})) == {inactive.npi}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("current", {"certified"}),
        ("certified", {"certified", "certified-but-expired-date"}),
        ("lapsed", {"lapsed"}),
        ("none", {"uncertified"}),
    ],
    ids=["currently-certified", "status-certified", "status-lapsed", "no-certification"],
)
def test_the_certification_filter(admin_client, value, expected):
    physicians = {
        "certified": BoardCertificationFactory().physician,
        "certified-but-expired-date": BoardCertificationFactory(
            expires_on=TODAY - datetime.timedelta(days=1)
        ).physician,
        "lapsed": BoardCertificationFactory(status=CertificationStatus.LAPSED).physician,
        "uncertified": PhysicianFactory(),
    }

    response = admin_client.get(CHANGELIST, {"certification": value})

    assert listed(response) == {physicians[name].npi for name in expected}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("stale", {"old", "never"}), ("recent", {"fresh"})],
    ids=["not-verified-for-over-a-year", "verified-within-a-year"],
)
def test_the_verification_filter_uses_stale(admin_client, value, expected):
    physicians = {
        "fresh": PhysicianFactory(last_verified_on=TODAY - datetime.timedelta(days=100)),
        "old": PhysicianFactory(last_verified_on=TODAY - datetime.timedelta(days=500)),
        "never": PhysicianFactory(last_verified_on=None),
    }

    response = admin_client.get(CHANGELIST, {"verification": value})

    assert listed(response) == {physicians[name].npi for name in expected}


def test_the_source_filter(admin_client):
    imported = PhysicianFactory(source=Physician.Source.NPPES)
    PhysicianFactory(source=Physician.Source.MANUAL)

    assert listed(admin_client.get(CHANGELIST, {"source__exact": "nppes"})) == {imported.npi}


# --- bulk actions --------------------------------------------------------------------------------------


def run_action(admin_client, action: str, physicians):
    return admin_client.post(
        CHANGELIST, {"action": action, "_selected_action": [p.pk for p in physicians]}, follow=True
    )


def test_mark_verified_today_records_history_with_the_curator(admin_client, admin_user):
    old = PhysicianFactory(last_verified_on=TODAY - datetime.timedelta(days=800))
    untouched = PhysicianFactory(last_verified_on=TODAY - datetime.timedelta(days=800))

    response = run_action(admin_client, "mark_verified_today", [old])

    assert response.status_code == 200
    assert "Marked 1 physician(s) verified" in response.content.decode()
    old.refresh_from_db()
    untouched.refresh_from_db()
    assert old.last_verified_on == TODAY
    assert untouched.last_verified_on == TODAY - datetime.timedelta(days=800)
    record = old.history.latest()
    assert (record.history_user, record.history_type, record.last_verified_on) == (admin_user, "~", TODAY)
    assert record.history_change_reason == services.VERIFIED_CHANGE_REASON
    assert untouched.history.count() == 1  # only its creation


def test_deactivate_sets_the_date_and_skips_the_already_inactive(admin_client, admin_user):
    active = PhysicianFactory()
    earlier = TODAY - datetime.timedelta(days=30)
    inactive = PhysicianFactory(is_active=False, deactivated_on=earlier)

    response = run_action(admin_client, "deactivate", [active, inactive])

    assert "Deactivated 1 physician(s)." in response.content.decode()
    active.refresh_from_db()
    inactive.refresh_from_db()
    assert (active.is_active, active.deactivated_on) == (False, TODAY)
    assert inactive.deactivated_on == earlier
    assert active.history.latest().history_user == admin_user
    assert inactive.history.count() == 1


def test_reactivate_puts_inactive_physicians_back(admin_client, admin_user):
    inactive = PhysicianFactory(is_active=False, deactivated_on=TODAY - datetime.timedelta(days=30))
    active = PhysicianFactory()

    response = run_action(admin_client, "reactivate", [inactive, active])

    assert "Reactivated 1 physician(s)." in response.content.decode()
    inactive.refresh_from_db()
    assert (inactive.is_active, inactive.reactivated_on) == (True, TODAY)
    assert inactive.history.latest().history_user == admin_user
    assert active.history.count() == 1


def test_actions_on_a_filtered_selection_of_everything(admin_client):
    stale = [PhysicianFactory(last_verified_on=None) for _ in range(3)]
    fresh = PhysicianFactory(last_verified_on=TODAY - datetime.timedelta(days=3))

    response = admin_client.post(
        f"{CHANGELIST}?verification=stale",
        {"action": "mark_verified_today", "select_across": "1", "index": "0", "_selected_action": [stale[0].pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert Physician.objects.filter(last_verified_on=TODAY).count() == 3
    fresh.refresh_from_db()
    assert fresh.last_verified_on == TODAY - datetime.timedelta(days=3)


def test_a_staff_member_without_change_permission_cannot_run_actions(client, django_user_model):
    viewer = django_user_model.objects.create_user(
        "viewer@example.com", "pw-long-enough", full_name="V", role="curator"
    )
    viewer.is_staff = True
    viewer.save()
    target = PhysicianFactory()
    client.force_login(viewer)

    response = client.post(CHANGELIST, {"action": "deactivate", "_selected_action": [target.pk]})

    assert response.status_code == 403
    target.refresh_from_db()
    assert target.is_active is True


# --- editing and history -------------------------------------------------------------------------------


def test_editing_a_physician_records_who_changed_what(admin_client, admin_user, physician):
    data = form_data(admin_client.get(change_url(physician)))
    data["last_name"] = "García-Márquez"

    response = admin_client.post(change_url(physician), data)

    assert response.status_code == 302, errors_of(response)
    physician.refresh_from_db()
    assert physician.last_name == "García-Márquez"
    record = physician.history.latest()
    assert (record.history_user, record.history_type, record.last_name) == (admin_user, "~", "García-Márquez")
    history_page = admin_client.get(f"/admin/directory/physician/{physician.pk}/history/").content.decode()
    assert "García-Márquez" in history_page and "admin@example.com" in history_page


def test_moving_the_primary_flag_between_two_rows_in_one_save_works(admin_client, physician):
    secondary = PhysicianSpecialty.objects.create(
        physician=physician, specialty=specialty("207RH0003X"), is_primary=False
    )
    original = physician.physician_specialties.get(is_primary=True)
    data = form_data(admin_client.get(change_url(physician)))
    prefix = "physician_specialties"
    for index in range(int(data[f"{prefix}-TOTAL_FORMS"])):
        row_id = int(data[f"{prefix}-{index}-id"])
        if row_id == original.pk:
            data.pop(f"{prefix}-{index}-is_primary")
        else:
            data[f"{prefix}-{index}-is_primary"] = "on"

    response = admin_client.post(change_url(physician), data)

    assert response.status_code == 302, errors_of(response)
    assert physician.physician_specialties.get(is_primary=True) == secondary


def test_changing_a_zip_recomputes_the_coordinates(admin_client, physician):
    location = physician.locations.get(is_primary=True)
    data = form_data(admin_client.get(change_url(physician)))
    index = next(i for i in range(2) if data[f"locations-{i}-id"] == str(location.pk))
    data.update({f"locations-{index}-zip_code": "94110", f"locations-{index}-city": "San Francisco"})
    data[f"locations-{index}-state"] = "CA"

    response = admin_client.post(change_url(physician), data)

    assert response.status_code == 302, errors_of(response)
    location.refresh_from_db()
    assert location.latitude == pytest.approx(37.75, abs=0.05)


def _set_first(prefix: str, field: str, value: str):
    def change(data):
        data[f"{prefix}-0-{field}"] = value
        return data

    return change


BAD_INPUTS = {
    "invalid-npi": (lambda data: data | {"npi": "1234567890"}, "This NPI's check digit is wrong"),
    "npi-with-letters": (lambda data: data | {"npi": "12345A7893"}, "An NPI is exactly 10 digits."),
    "inactive-without-date": (
        lambda data: {k: v for k, v in data.items() if k != "is_active"},
        "An inactive physician needs a deactivation date.",
    ),
    "invalid-zip": (_set_first("locations", "zip_code", "1234"), "Enter a zip code in the format XXXXX or XXXXX-XXXX."),
    "invalid-state": (_set_first("locations", "state", "XX"), "Select a valid choice. XX is not one of"),
    "two-primary-specialties": (
        lambda data: add_inline_row(
            data, "physician_specialties", specialty=str(specialty("207RH0003X").pk), is_primary="on"
        ),
        TWO_PRIMARY_SPECIALTIES_MESSAGE,
    ),
    "no-primary-specialty": (
        lambda data: {k: v for k, v in data.items() if k != "physician_specialties-0-is_primary"},
        "Mark one of the specialties as primary.",
    ),
    "two-primary-locations": (
        lambda data: {**data, "locations-0-is_primary": "on", "locations-1-is_primary": "on"},
        TWO_PRIMARY_LOCATIONS_MESSAGE,
    ),
    "same-specialty-twice": (
        lambda data: add_inline_row(data, "physician_specialties", specialty=data["physician_specialties-0-specialty"]),
        "Please correct the duplicate data for specialty.",
    ),
    "certificate-expires-before-granted": (
        _set_first("certifications", "expires_on", "2014-01-01"),
        "A certificate must expire after it was first granted.",
    ),
    "certificate-verified-before-granted": (
        _set_first("certifications", "verified_on", "2014-01-01"),
        "A certificate cannot be verified before it was first granted.",
    ),
}


@pytest.mark.parametrize(("change", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_shows_a_form_error_and_saves_nothing(admin_client, physician, change, message):
    # Given the physician's change form
    data = form_data(admin_client.get(change_url(physician)))
    data["last_name"] = "Changed"  # a valid change that must not be saved either
    history_before = physician.history.count()
    before = (
        list(PhysicianSpecialty.objects.values_list("pk", "specialty_id", "is_primary").order_by("pk")),
        list(PracticeLocation.objects.values_list("pk", "zip_code", "state", "is_primary").order_by("pk")),
        list(BoardCertification.objects.values_list("pk", "expires_on", "verified_on").order_by("pk")),
    )

    # When the curator posts one bad value
    response = admin_client.post(change_url(physician), change(data))

    # Then the form comes back with the message, and nothing was written
    assert response.status_code == 200
    assert any(message in error for error in errors_of(response)), errors_of(response)
    physician.refresh_from_db()
    assert physician.last_name == "García"
    assert physician.is_active is True
    assert physician.history.count() == history_before
    after = (
        list(PhysicianSpecialty.objects.values_list("pk", "specialty_id", "is_primary").order_by("pk")),
        list(PracticeLocation.objects.values_list("pk", "zip_code", "state", "is_primary").order_by("pk")),
        list(BoardCertification.objects.values_list("pk", "expires_on", "verified_on").order_by("pk")),
    )
    assert after == before


def test_adding_a_second_primary_location_on_its_own_page_is_a_form_error(admin_client, physician):
    response = admin_client.post(
        "/admin/directory/practicelocation/add/",
        {
            "physician": physician.pk,
            "address_line1": "9 Elm St",
            "city": "Boston",
            "state": "MA",
            "zip_code": "02115",
            "accepting_new_patients": "on",
            "is_primary": "on",
        },
    )

    assert response.status_code == 200
    assert "A physician has only one primary location." in str(response.context["adminform"].form.errors)
    assert physician.locations.count() == 2


def test_adding_a_physician_with_an_invalid_npi_is_a_form_error(admin_client):
    response = admin_client.get("/admin/directory/physician/add/")
    data = form_data(response) | {"npi": "1234567890", "first_name": "New", "last_name": "Doctor"}

    response = admin_client.post("/admin/directory/physician/add/", data)

    assert response.status_code == 200
    assert "This NPI's check digit is wrong: please check each digit." in errors_of(response)
    assert not Physician.objects.filter(first_name="New").exists()


def test_search_by_the_first_digits_of_an_npi(admin_client, physician):
    PhysicianFactory(npi=npi_with_check_digit("987654321"))

    response = admin_client.get(CHANGELIST, {"q": physician.npi[:6]})

    assert listed(response) == {physician.npi}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_unfiltered_changelist_of_a_large_table_uses_postgresqls_estimate(
    admin_client, monkeypatch, django_db_setup
):
    # Given a table PostgreSQL has measured at 3 rows (the owner analyzes it, as autovacuum would: the app
    # role may not), then 2 more rows it has not measured yet
    for _ in range(3):
        PhysicianFactory()
    with connected_as(connection, django_db_setup.owner), connection.cursor() as cursor:
        cursor.execute("ANALYZE directory_physician")
    PhysicianFactory(source=Physician.Source.NPPES)
    PhysicianFactory(source=Physician.Source.NPPES)
    monkeypatch.setattr(EstimatedCountPaginator, "EXACT_BELOW", 3)

    # When the curator opens the list, unfiltered and filtered
    unfiltered = admin_client.get(CHANGELIST)
    filtered = admin_client.get(CHANGELIST, {"source__exact": "nppes"})

    # Then the unfiltered count is the estimate, and a filtered one is exact
    assert unfiltered.context["cl"].result_count == 3
    assert len(listed(unfiltered)) == 5
    assert filtered.context["cl"].result_count == 2


# --- the services behind the actions -------------------------------------------------------------------


def test_mark_verified_takes_instances_and_a_date_and_skips_rows_already_verified_then(admin_user):
    day = datetime.date(2026, 1, 15)
    stale = PhysicianFactory(last_verified_on=datetime.date(2020, 1, 1))
    done = PhysicianFactory(last_verified_on=day, last_verified_by="curator")
    # confirmed by the physician that day: now also checked by a curator, which the listing says instead
    confirmed = PhysicianFactory(last_verified_on=day, last_verified_by="physician")

    count = services.physicians_mark_verified(physicians=[stale, done, confirmed], by=admin_user, on=day)

    assert count == 2
    stale.refresh_from_db()
    confirmed.refresh_from_db()
    assert (stale.last_verified_on, stale.last_verified_by) == (day, "curator")
    assert confirmed.last_verified_by == "curator"
    assert (stale.history.count(), done.history.count()) == (2, 1)


def test_deactivate_takes_a_date_and_a_filtered_distinct_queryset(admin_user):
    day = datetime.date(2026, 2, 1)
    doctor = PhysicianFactory(primary_specialty="207RH0003X")
    PhysicianSpecialty.objects.create(physician=doctor, specialty=specialty("207RX0202X"), is_primary=False)
    selection = Physician.objects.filter(physician_specialties__specialty__code__startswith="207R").distinct()

    count = services.physicians_deactivate(physicians=selection, by=admin_user, on=day)

    assert count == 1
    doctor.refresh_from_db()
    assert (doctor.is_active, doctor.deactivated_on) == (False, day)
    assert doctor.history.latest().history_change_reason == services.DEACTIVATED_CHANGE_REASON


def test_a_service_call_failing_after_the_update_writes_nothing(admin_user, monkeypatch):
    from simple_history.manager import HistoryManager

    doctors = [PhysicianFactory(), PhysicianFactory()]

    def broken(*args, **kwargs):
        raise RuntimeError("history table unavailable")

    # The physicians' rows are updated first; writing their history then fails.
    monkeypatch.setattr(HistoryManager, "bulk_history_create", broken)
    with pytest.raises(RuntimeError):
        services.physicians_deactivate(physicians=doctors, by=admin_user)

    assert Physician.objects.filter(is_active=True).count() == 2


@pytest.mark.parametrize(
    ("posted", "stored"), [("true", True), ("false", False), ("unknown", None)], ids=["yes", "no", "not-known"]
)
def test_a_curator_sets_accepting_and_telehealth_to_yes_no_or_not_known(admin_client, physician, posted, stored):
    # given a location and a physician whose answers are the opposite of what the curator will choose
    location = physician.locations.get(is_primary=True)
    PracticeLocation.objects.filter(pk=location.pk).update(accepting_new_patients=stored is not True)
    physician.locations.exclude(pk=location.pk).update(accepting_new_patients=None)
    Physician.objects.filter(pk=physician.pk).update(telehealth=stored is not True)
    location_url = f"/admin/directory/practicelocation/{location.pk}/change/"
    physician_url = f"/admin/directory/physician/{physician.pk}/change/"
    # when the curator picks Yes, No or Unknown on each change page
    page = admin_client.get(location_url)
    assert '<option value="unknown"' in page.content.decode()
    response = admin_client.post(location_url, form_data(page) | {"accepting_new_patients": posted})
    assert response.status_code == 302, errors_of(response)
    response = admin_client.post(physician_url, form_data(admin_client.get(physician_url)) | {"telehealth": posted})
    assert response.status_code == 302, errors_of(response)
    # then that is what is stored, and the physician's search column follows
    location.refresh_from_db()
    physician.refresh_from_db()
    assert (location.accepting_new_patients, physician.telehealth) == (stored, stored)
    # (the other location is not known: a no here is not a no everywhere)
    assert physician.accepting_new_patients == (True if stored else None)
