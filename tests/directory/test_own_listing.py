"""Self-service: an oncologist keeps their own listing (new patients per location, telehealth, languages, bio);
changes go live at once, are kept in history as theirs, and reset "last verified" as confirmed by the physician."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from apps.directory import services
from apps.directory.models import Physician, PracticeLocation
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db

URL = "/my-listing/"


@pytest.fixture
def oncologist():
    user = OncologistUserFactory(
        physician__telehealth=None,
        physician__languages=["en"],
        physician__last_verified_on=datetime.date(2024, 1, 5),
        physician__last_verified_by="curator",
    )
    PracticeLocationFactory(physician=user.physician, name="Main Campus", accepting_new_patients=None, is_primary=True)
    PracticeLocationFactory(physician=user.physician, name="Satellite", accepting_new_patients=True, is_primary=False)
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def posted(physician, *, accepting=("true", "false"), **fields) -> dict:
    data = {"telehealth": "true", "languages": ["en", "es"], "bio": "I treat breast cancer.", **fields}
    for location, value in zip(physician.locations.order_by("-is_primary", "id"), accepting, strict=True):
        data[f"location-{location.pk}-accepting"] = value
    return data


def ticked(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="(?:radio|checkbox)" name="{name}" value="([^"]*)"[^>]*checked>', html)


def test_the_form_shows_what_the_listing_says_now(oncologist):
    html = signed_in(oncologist).get(URL).content.decode()
    main, satellite = oncologist.physician.locations.order_by("-is_primary", "id")
    assert ticked(html, "telehealth") == ["unknown"]
    assert ticked(html, f"location-{main.pk}-accepting") == ["unknown"]
    assert ticked(html, f"location-{satellite.pk}-accepting") == ["true"]
    assert ticked(html, "languages") == ["en"]
    assert "Main Campus" in html and "Satellite" in html


def test_a_change_goes_live_at_once_and_counts_as_confirmed_by_the_physician(oncologist):
    client = signed_in(oncologist)
    physician = oncologist.physician
    response = client.post(URL, posted(physician))
    assert response.status_code == 302
    physician.refresh_from_db()
    assert (physician.telehealth, physician.languages, physician.bio) == (True, ["en", "es"], "I treat breast cancer.")
    assert physician.last_verified_on == timezone.localdate()
    assert physician.last_verified_by == Physician.VerifiedBy.PHYSICIAN
    main, satellite = physician.locations.order_by("-is_primary", "id")
    assert (main.accepting_new_patients, satellite.accepting_new_patients) == (True, False)
    # live: the public profile and the search say so
    profile = client.get(physician.get_absolute_url()).content.decode()
    assert "(confirmed by the physician)" in profile and "I treat breast cancer." in profile
    assert Physician.objects.filter(pk=physician.pk, telehealth=True, languages__contains=["es"]).exists()
    found = client.get("/physicians/?language=es&telehealth=1").content.decode()
    assert physician.get_absolute_url() in found
    api = client.get(f"/api/v1/physicians/{physician.npi}/").json()
    assert (api["last_verified_by"], api["telehealth"], api["bio"]) == ("physician", True, "I treat breast cancer.")


def test_history_keeps_who_changed_what(oncologist):
    physician = oncologist.physician
    signed_in(oncologist).post(URL, posted(physician, accepting=("false", "true")))
    latest = physician.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (oncologist, "Confirmed by the physician")
    assert latest.history_type == "~" and latest.prev_record.telehealth is None
    main = physician.locations.get(name="Main Campus")
    assert main.history.latest().history_user == oncologist
    # a location left as it was gets no history row
    satellite = physician.locations.get(name="Satellite")
    assert satellite.history.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"languages": ["en", "xx"]}, "languages", "Select a valid choice. xx is not one of the available choices."),
        ({"bio": "x" * 2001}, "bio", "Ensure this value has at most 2000 characters (it has 2001)."),
        ({"bio": "a\x00b"}, "bio", "Null characters are not allowed."),
    ],
    ids=["unknown-language", "bio-too-long", "nul"],
)
def test_bad_input_is_a_form_error_and_changes_nothing(oncologist, changes, field, message):
    physician = oncologist.physician
    response = signed_in(oncologist).post(URL, posted(physician, **changes))
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    physician.refresh_from_db()
    assert (physician.telehealth, physician.last_verified_on) == (None, datetime.date(2024, 1, 5))
    assert not PracticeLocation.objects.filter(physician=physician, accepting_new_patients=False).exists()


def test_another_physicians_location_cannot_be_changed_through_the_form(oncologist):
    other = PracticeLocationFactory(accepting_new_patients=True)
    data = posted(oncologist.physician)
    data[f"location-{other.pk}-accepting"] = "false"
    assert signed_in(oncologist).post(URL, data).status_code == 302
    other.refresh_from_db()
    assert other.accepting_new_patients is True
    with pytest.raises(services.ValidationError):
        services.own_listing_update(
            physician=oncologist.physician, by=oncologist, changes={}, accepting={other.pk: False}
        )


@pytest.mark.parametrize("factory", [GPFactory, CuratorFactory], ids=["gp", "curator"])
def test_only_an_oncologist_has_a_listing_to_keep(factory):
    response = signed_in(factory()).post(URL, {"telehealth": "true"})
    assert response.status_code == 403
    assert "This page is not open to your account" in response.content.decode()


def test_signing_in_is_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/my-listing/")


def test_nobody_else_updates_a_physicians_listing_through_the_service(oncologist):
    stranger = OncologistUserFactory()
    with pytest.raises(services.PermissionDenied):
        services.own_listing_update(
            physician=oncologist.physician, by=stranger, changes={"bio": "hijacked"}, accepting={}
        )
    oncologist.physician.refresh_from_db()
    assert oncologist.physician.bio != "hijacked"


def test_the_page_runs_a_fixed_number_of_queries(oncologist, django_assert_num_queries):
    client = signed_in(oncologist)
    client.get(URL)
    for _ in range(3):
        PracticeLocationFactory(physician=oncologist.physician, is_primary=False)
    # session, user, physician, locations, their insurance plans (the plans' table is kept per process)
    with django_assert_num_queries(5):
        assert client.get(URL).status_code == 200
