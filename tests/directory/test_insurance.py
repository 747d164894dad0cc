"""Insurance accepted, per practice location: carriers and plan types (InsurancePlan, ready for a payer's feed),
kept by the oncologist (/my-listing/) or a curator (the location's admin page), shown on the profile and in the
API, and searched by `insurance` on the page, the API and the admin alike. A location that lists no plans is
not known to take any: it is never found by the filter and the profile says to ask."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.directory import services
from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import AcceptedPlan, InsuranceCarrier, InsurancePlan, Physician, PracticeLocation
from apps.directory.reference import reference_data
from tests.factories import OncologistUserFactory, PhysicianFactory, PracticeLocationFactory, insurance_plan

pytestmark = pytest.mark.django_db

RESULT = re.compile(r'<h3 id="result-(\d{10})">')


@pytest.fixture
def insured():
    """Four physicians in New York: Aetna PPO, Aetna HMO, Medicare, and one whose plans are not known."""

    def physician(last_name, *plans):
        doctor = PhysicianFactory(last_name=last_name)
        location = PracticeLocationFactory(physician=doctor, zip_code="10001")
        location.plans.set([insurance_plan(*plan) for plan in plans])
        return doctor

    return {
        "ppo": physician("Adams", ("aetna", "ppo")),
        "hmo": physician("Baker", ("aetna", "hmo")),
        "medicare": physician("Clark", ("medicare", "medicare")),
        "unknown": physician("Davis"),
    }


def page_npis(client, query: str) -> list[str]:
    response = client.get(f"/physicians/?{query}")
    assert response.status_code == 200
    return RESULT.findall(response.content.decode())


def api_npis(query: str) -> list[str]:
    response = APIClient().get(f"/api/v1/physicians/?{query}")
    assert response.status_code == 200, response.content
    return [row["npi"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("aetna", ["ppo", "hmo"]),
        ("aetna:ppo", ["ppo"]),
        ("aetna:hmo", ["hmo"]),
        ("medicare", ["medicare"]),
        ("medicare:medicare", ["medicare"]),
        ("cigna", []),
    ],
)
def test_a_carrier_means_any_of_its_plans_and_a_type_only_that_type(client, insured, value, found):
    expected = [insured[key].npi for key in found]
    assert page_npis(client, f"insurance={value}") == api_npis(f"insurance={value}") == expected


def test_not_known_is_never_found_and_the_profile_says_to_ask(client, insured):
    unknown = insured["unknown"]
    every_carrier = [carrier.slug for carrier in InsuranceCarrier.objects.all()]
    assert all(unknown.npi not in api_npis(f"insurance={slug}") for slug in every_carrier)
    html = client.get(unknown.get_absolute_url()).content.decode()
    assert "Insurance: not listed; ask the practice which plans it takes" in html


def test_near_measures_the_distance_to_a_practice_taking_the_plan():
    # given a physician whose New York practice lists no plans and whose Philadelphia one (~80 miles) takes Aetna
    doctor = PhysicianFactory()
    PracticeLocationFactory(physician=doctor, zip_code="10001", is_primary=True)
    PracticeLocationFactory(
        physician=doctor, zip_code="19103", city="Philadelphia", state="PA", is_primary=False
    ).plans.set([insurance_plan("aetna", "ppo")])
    api = APIClient()
    # when patients near 10001 search with and without the insurance filter
    plain = api.get("/api/v1/physicians/?near=10001&radius=25").json()["results"]
    close = api.get("/api/v1/physicians/?near=10001&radius=25&insurance=aetna").json()["results"]
    wide = api.get("/api/v1/physicians/?near=10001&radius=100&insurance=aetna").json()["results"]
    # then the New York practice does not count for Aetna: not within 25 miles, and ~80 miles within 100
    assert [row["npi"] for row in plain] == [doctor.npi] and plain[0]["distance_miles"] < 1
    assert close == []
    assert [row["npi"] for row in wide] == [doctor.npi] and 70 < wide[0]["distance_miles"] < 90
    # and the page agrees
    assert page_npis(Client(), "near=10001&radius=25&insurance=aetna") == []
    page = Client().get("/physicians/?near=10001&radius=100&insurance=aetna").content.decode()
    assert RESULT.findall(page) == [doctor.npi]
    # and the row shows the practice the distance is to, the one taking Aetna
    assert "Philadelphia, PA" in page and "New York, NY" not in page


def test_the_page_offers_carriers_grouped_with_their_plan_types_and_names_the_filter(client, insured):
    html = client.get("/physicians/?insurance=aetna:ppo").content.decode()
    menu = html[html.index('name="insurance"') : html.index("</select>", html.index('name="insurance"'))]
    assert '<optgroup label="Aetna">' in menu
    assert '<option value="aetna">Aetna, any plan</option>' in menu
    assert '<option value="aetna:ppo" selected>Aetna PPO</option>' in menu
    # a carrier with one plan type is offered once, not twice
    assert '<option value="medicare">Medicare, any plan</option>' in menu and "medicare:medicare" not in menu
    assert "taking Aetna PPO" in html


def test_an_unknown_value_is_the_same_error_on_page_and_api(client):
    html = client.get("/physicians/?insurance=acme").content.decode()
    message = "Unknown insurance acme: choose your carrier (and plan type) from the list."
    assert message in html
    response = APIClient().get("/api/v1/physicians/?insurance=acme")
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "insurance", "code": "invalid_choice", "message": message}]


def test_the_profile_and_the_api_list_the_plans_per_location(client):
    doctor = PhysicianFactory()
    main = PracticeLocationFactory(physician=doctor, name="Main Campus", is_primary=True)
    main.plans.set(
        [insurance_plan("aetna", "ppo"), insurance_plan("aetna", "hmo"), insurance_plan("medicare", "medicare")]
    )
    PracticeLocationFactory(physician=doctor, name="Satellite", is_primary=False)
    html = client.get(doctor.get_absolute_url()).content.decode()
    assert "Insurance: Aetna (HMO, PPO); Medicare (Original Medicare)</p>" in html
    assert html.count("Insurance: not listed") == 1  # the satellite
    body = APIClient().get(f"/api/v1/physicians/{doctor.npi}/").json()
    first, second = body["locations"]
    assert [plan["insurance"] for plan in first["insurance_plans"]] == ["aetna:hmo", "aetna:ppo", "medicare:medicare"]
    assert first["insurance_plans"][0] == {
        "carrier": "Aetna", "carrier_slug": "aetna", "plan_type": "hmo", "name": "", "insurance": "aetna:hmo",
    }  # fmt: skip
    assert second["insurance_plans"] == []


def test_the_reference_list_gives_every_value_the_search_takes(django_assert_num_queries):
    api = APIClient()
    plans = api.get("/api/v1/insurance-plans/").json()["results"]
    assert len(plans) == InsurancePlan.objects.count() > 30
    assert plans[0]["carrier"] == "Aetna"
    for value in {plan["insurance"] for plan in plans} | {plan["carrier_slug"] for plan in plans}:
        assert api.get(f"/api/v1/physicians/?insurance={value}").status_code == 200, value


def test_the_filter_is_one_exists_and_adds_no_query(insured, django_assert_num_queries):
    reference_data()
    # the search's own query count, with or without the insurance filter
    with django_assert_num_queries(1):
        plain = list(PhysicianFilterSet({"specialty": "medical-oncology"}).qs)
    with django_assert_num_queries(1):
        insured_only = list(PhysicianFilterSet({"specialty": "medical-oncology", "insurance": "aetna"}).qs)
    assert len(plain) == 4 and len(insured_only) == 2


# -- the oncologist keeps it ----------------------------------------------------------------------------


@pytest.fixture
def oncologist():
    user = OncologistUserFactory()
    PracticeLocationFactory(physician=user.physician, name="Main Campus", is_primary=True).plans.set(
        [insurance_plan("cigna", "ppo")]
    )
    return user


def listing_form(physician, plans: list[InsurancePlan]) -> dict:
    location = physician.locations.get()
    return {
        "telehealth": "unknown",
        "bio": "",
        f"location-{location.pk}-accepting": "true",
        f"location-{location.pk}-plans": [str(plan.pk) for plan in plans],
    }


def test_an_oncologist_ticks_the_plans_a_location_takes_and_it_is_live_and_in_history(oncologist):
    client = Client()
    client.force_login(oncologist)
    physician = oncologist.physician
    location = physician.locations.get()
    html = client.get("/my-listing/").content.decode()
    cigna_ppo, aetna_ppo, medicare = (
        insurance_plan("cigna", "ppo"), insurance_plan("aetna", "ppo"), insurance_plan("medicare", "medicare")
    )  # fmt: skip
    assert re.search(rf'value="{cigna_ppo.pk}"[^>]*checked', html) and "(1 ticked)" in html
    assert "<legend>Aetna</legend>" in html
    # when the oncologist ticks Aetna PPO and Medicare, and unticks Cigna PPO
    response = client.post("/my-listing/", listing_form(physician, [aetna_ppo, medicare]))
    assert response.status_code == 302
    # then the location takes those, as the physician says, and the search finds them at once
    links = AcceptedPlan.objects.filter(location=location)
    assert {(link.plan_id, link.source) for link in links} == {(aetna_ppo.pk, "physician"), (medicare.pk, "physician")}
    assert api_npis("insurance=aetna:ppo") == [physician.npi] and api_npis("insurance=cigna") == []
    physician.refresh_from_db()
    assert (physician.last_verified_on, physician.last_verified_by) == (timezone.localdate(), "physician")
    # and history keeps who added and removed what, and the location's history says it in words
    history = AcceptedPlan.history.filter(location_id=location.pk)
    assert sorted((row.history_type, row.plan_id, row.history_user_id) for row in history) == sorted([
        ("-", cigna_ppo.pk, oncologist.pk),
        ("+", aetna_ppo.pk, oncologist.pk),
        ("+", medicare.pk, oncologist.pk),
    ])  # fmt: skip
    reason = location.history.latest("history_date").history_change_reason
    assert reason == "Insurance plans: added Aetna PPO, Medicare Original Medicare; removed Cigna PPO"


def test_saving_the_same_plans_writes_no_history(oncologist):
    location = oncologist.physician.locations.get()
    before = (AcceptedPlan.history.count(), PracticeLocation.history.count())
    changed = services.location_plans_set(
        location=location, plans=[insurance_plan("cigna", "ppo")], by=oncologist, source="physician"
    )
    assert changed is False
    assert (AcceptedPlan.history.count(), PracticeLocation.history.count()) == before


def test_an_unknown_plan_is_a_form_error_and_changes_nothing(oncologist):
    client = Client()
    client.force_login(oncologist)
    data = listing_form(oncologist.physician, [])
    data[next(key for key in data if key.endswith("-plans"))] = ["999999"]
    response = client.post("/my-listing/", data)
    assert response.status_code == 400
    assert "Select a valid choice. 999999 is not one of the available choices." in response.content.decode()
    assert [link.plan for link in AcceptedPlan.objects.all()] == [insurance_plan("cigna", "ppo")]


def test_another_physicians_location_cannot_get_plans_through_the_service(oncologist):
    stranger_location = PracticeLocationFactory()
    with pytest.raises(services.ValidationError):
        services.own_listing_update(
            physician=oncologist.physician,
            by=oncologist,
            changes={},
            accepting={},
            plans={stranger_location.pk: [insurance_plan("aetna", "ppo")]},
        )
    assert not stranger_location.plans.exists()


# -- the curators keep it, and the reference tables --------------------------------------------------------


def test_a_curator_sets_a_locations_plans_on_its_admin_page(admin_client, admin_user):
    location = PracticeLocationFactory()
    url = f"/admin/directory/practicelocation/{location.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="insurance_plans"' in page.content.decode()
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    data |= {"physician": str(location.physician_id), "accepting_new_patients": "true", "is_primary": "on"}
    data["insurance_plans"] = [str(insurance_plan("uhc", "ppo").pk), str(insurance_plan("medicaid", "medicaid").pk)]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert {
        (link.plan.carrier.slug, link.source) for link in location.accepted_plans.select_related("plan__carrier")
    } == {
        ("uhc", "curator"),
        ("medicaid", "curator"),
    }
    assert location.history.latest("history_date").history_user == admin_user
    # the physician changelist filters by the same parameter
    changelist = admin_client.get("/admin/directory/physician/", {"insurance": "uhc"}).content.decode()
    assert location.physician.npi in changelist
    other = PracticeLocationFactory()
    assert other.physician.npi not in changelist


def test_a_new_carrier_is_offered_at_once(client):
    reference_data()
    carrier = InsuranceCarrier.objects.create(name="Acme Health", slug="acme")
    InsurancePlan.objects.create(carrier=carrier, plan_type="ppo")
    html = client.get("/physicians/").content.decode()
    assert '<option value="acme">Acme Health, any plan</option>' in html
    assert client.get("/physicians/?insurance=acme").status_code == 200


def test_seed_demo_gives_most_locations_plans(django_db_blocker):
    from django.core.management import call_command

    call_command("seed_demo", physicians=200, verbosity=0)
    locations = PracticeLocation.objects.count()
    listed = PracticeLocation.objects.filter(accepted_plans__isnull=False).distinct().count()
    assert 0.55 < listed / locations < 0.85
    assert (
        Physician.objects.active()
        .taking_insurance(InsurancePlan.objects.filter(carrier__slug="medicare").values_list("pk", flat=True))
        .exists()
    )
