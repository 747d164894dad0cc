"""Care team nearby: a profile lists the other specialists at the same practice address or hospital."""

import pytest

from apps.directory import services
from apps.directory.models import Physician
from tests.factories import (
    AffiliationFactory,
    InstitutionFactory,
    PhysicianFactory,
    PracticeLocationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    """Smith practises at 1275 York Ave (ZIP 10065) and is affiliated with Lakeside Cancer Institute."""
    smith = PhysicianFactory(first_name="Jane", last_name="Smith")
    PracticeLocationFactory(physician=smith, name="Breast Center", address_line1="1275 York Ave", zip_code="10065")
    lakeside = InstitutionFactory(name="Lakeside Cancer Institute")
    AffiliationFactory(physician=smith, institution=lakeside)
    # the same address, written by the registry in capitals and with a ZIP+4
    radiation = PhysicianFactory(first_name="Omar", last_name="Zane", primary_specialty="2085R0001X")
    PracticeLocationFactory(physician=radiation, name="", address_line1="1275 YORK AVE", zip_code="10065-6007")
    # the same hospital, elsewhere
    surgeon = PhysicianFactory(first_name="Ana", last_name="Bell", primary_specialty="2086X0206X")
    PracticeLocationFactory(physician=surgeon, address_line1="9 Elm St", zip_code="10021")
    AffiliationFactory(physician=surgeon, institution=lakeside)
    # the same street line in another ZIP, another hospital, and a colleague no longer listed: not the team
    stranger = PhysicianFactory(last_name="Stranger")
    PracticeLocationFactory(physician=stranger, address_line1="1275 York Ave", zip_code="94110")
    AffiliationFactory(physician=stranger, institution=InstitutionFactory(name="Elsewhere General"))
    gone = PhysicianFactory(last_name="Gone")
    PracticeLocationFactory(physician=gone, address_line1="1275 York Ave", zip_code="10065")
    services.physicians_deactivate(physicians=[gone], by=None)
    return {"smith": smith, "radiation": radiation, "surgeon": surgeon}


def test_the_team_is_who_shares_an_address_or_a_hospital_address_first(team):
    found = list(Physician.objects.care_team(team["smith"]))
    assert [p.last_name for p in found] == ["Zane", "Bell"]  # the address-mate first, though B < Z
    zane, bell = found
    assert zane.shared_location == ["", "1275 YORK AVE"] and zane.shared_institution is None
    assert bell.shared_location is None and bell.shared_institution == "Lakeside Cancer Institute"
    assert {p.team_size for p in found} == {2}


def test_the_profile_names_each_member_their_specialty_and_the_shared_place(client, team):
    html = client.get(team["smith"].get_absolute_url()).content.decode()
    section = html[html.index('id="care-team-title"') : html.index("</section>", html.index('id="care-team-title"'))]
    assert team["radiation"].get_absolute_url() in section
    assert "Radiation Oncology" in section and "at 1275 York Ave</span>" in section
    assert "Surgical Oncology" in section and "at Lakeside Cancer Institute</span>" in section
    assert "Stranger" not in section and "Gone" not in section
    assert "more at these places" not in section


def test_a_large_team_shows_twelve_and_says_how_many_more(client, team, django_assert_num_queries):
    lakeside = team["smith"].affiliations.get().institution
    for _ in range(13):
        AffiliationFactory(physician=PhysicianFactory(), institution=lakeside)
    found = list(Physician.objects.care_team(team["smith"]))
    assert len(found) == 12 and found[0].team_size == 15
    client.get(team["smith"].get_absolute_url())  # the reference tables are read once per process, then kept
    with django_assert_num_queries(10):  # as many as for a physician alone (test_views_profile.py)
        html = client.get(team["smith"].get_absolute_url()).content.decode()
    assert "And 3 more at these places." in html


def test_a_physician_alone_has_no_care_team_section(client):
    alone = PhysicianFactory()
    PracticeLocationFactory(physician=alone)
    html = client.get(alone.get_absolute_url()).content.decode()
    assert "Care team nearby" not in html
