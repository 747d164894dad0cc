"""A GP's shortlist for a patient: collected from the search and profiles, ordered, annotated, printed or shared
by a link that shows the list and nothing else; one click from an entry to start a referral."""

import pytest
from django.test import Client

from apps.shortlists import services
from apps.shortlists.models import Shortlist
from tests.factories import GPFactory, OncologistUserFactory, PhysicianFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp():
    return GPFactory(full_name="Dr. Gale Prentice")


@pytest.fixture
def physicians():
    found = []
    for last_name in ("Adams", "Baker", "Chen"):
        physician = PhysicianFactory(last_name=last_name, cancers=["breast"])
        PracticeLocationFactory(physician=physician, zip_code="10001")
        found.append(physician)
    return found


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def order(shortlist) -> list[str]:
    return [entry.physician.last_name for entry in shortlist.entries.select_related("physician")]


def test_a_gp_adds_from_the_search_and_comes_back_to_it(gp, physicians):
    client = signed_in(gp)
    results = client.get("/physicians/?cancer=breast").content.decode()
    assert results.count('class="add-to-shortlist"') == 3
    back = "/physicians/?cancer=breast"
    for physician in physicians[:2]:
        response = client.post(f"/shortlists/add/{physician.npi}/", {"next": back})
        assert (response.status_code, response["Location"]) == (302, back)
    again = client.post(f"/shortlists/add/{physicians[0].npi}/", {"next": "https://evil.example/"}, follow=True)
    shortlist = Shortlist.objects.get(owner=gp)
    assert again.redirect_chain[-1][0] == shortlist.get_absolute_url()  # never to another site
    assert "is already on your shortlist" in again.content.decode()
    assert order(shortlist) == ["Adams", "Baker"]


def test_the_owner_orders_removes_and_annotates(gp, physicians):
    shortlist = services.current_shortlist(gp)
    for physician in physicians:
        services.shortlist_add(shortlist=shortlist, physician=physician)
    client = signed_in(gp)
    chen = shortlist.entries.get(physician=physicians[2])
    client.post(f"/shortlists/{shortlist.pk}/entries/{chen.pk}/up/")
    assert order(shortlist) == ["Adams", "Chen", "Baker"]
    client.post(f"/shortlists/{shortlist.pk}/entries/{chen.pk}/up/")
    client.post(f"/shortlists/{shortlist.pk}/entries/{chen.pk}/up/")  # already first: nothing moves
    assert order(shortlist) == ["Chen", "Adams", "Baker"]
    adams = shortlist.entries.get(physician=physicians[0])
    client.post(f"/shortlists/{shortlist.pk}/entries/{adams.pk}/remove/")
    assert order(shortlist) == ["Chen", "Baker"]
    response = client.post(shortlist.get_absolute_url(), {"title": "Breast surgeons", "note": "Ask about Saturdays."})
    assert response.status_code == 302
    html = client.get(shortlist.get_absolute_url()).content.decode()
    assert "Breast surgeons" in html and "Ask about Saturdays." in html
    assert f'href="/referrals/new/{physicians[2].npi}/"' in html  # one click to refer
    assert client.post(f"/shortlists/{shortlist.pk}/entries/{adams.pk}/explode/").status_code == 404


def test_the_shared_link_shows_the_list_and_nothing_else_without_an_account(gp, physicians):
    shortlist = services.current_shortlist(gp)
    services.shortlist_add(shortlist=shortlist, physician=physicians[1])
    shortlist.note = "Call before 10."
    shortlist.save()
    response = Client().get(shortlist.get_share_url())
    assert response.status_code == 200 and response["X-Robots-Tag"] == "noindex"
    html = response.content.decode()
    assert physicians[1].display_name in html and "Call before 10." in html and "Dr. Gale Prentice" in html
    assert "Move up" not in html and "Remove" not in html and "csrfmiddlewaretoken" not in html.split("<main")[1]
    assert Client().get("/shortlists/shared/not-the-token/").status_code == 404
    assert len(shortlist.share_token) >= 24


def test_a_list_is_its_owners_alone(gp, physicians):
    shortlist = services.current_shortlist(gp)
    services.shortlist_add(shortlist=shortlist, physician=physicians[0])
    entry = shortlist.entries.get()
    other = signed_in(GPFactory())
    assert other.get(shortlist.get_absolute_url()).status_code == 404
    assert other.post(f"/shortlists/{shortlist.pk}/entries/{entry.pk}/remove/").status_code == 404
    assert order(shortlist) == ["Adams"]
    oncologist = signed_in(OncologistUserFactory())
    assert oncologist.post(f"/shortlists/add/{physicians[0].npi}/").status_code == 403
    assert Client().get("/shortlists/").status_code == 302  # sign in first


def test_a_list_holds_twenty_at_most(gp):
    shortlist = services.current_shortlist(gp)
    for _ in range(services.MAX_ENTRIES):
        services.shortlist_add(shortlist=shortlist, physician=PhysicianFactory())
    response = signed_in(gp).post(f"/shortlists/add/{PhysicianFactory().npi}/", follow=True)
    assert "holds 20 oncologists at most" in response.content.decode()
    assert shortlist.entries.count() == services.MAX_ENTRIES


def test_the_list_page_runs_a_fixed_number_of_queries(gp, physicians, django_assert_num_queries):
    shortlist = services.current_shortlist(gp)
    services.shortlist_add(shortlist=shortlist, physician=physicians[0])
    client = signed_in(gp)
    client.get(shortlist.get_absolute_url())  # the reference tables, read once per process
    for physician in physicians[1:]:
        services.shortlist_add(shortlist=shortlist, physician=physician)
    # session, user, the list, its entries, their physicians, their locations, the other lists
    with django_assert_num_queries(7):
        assert client.get(shortlist.get_absolute_url()).status_code == 200
