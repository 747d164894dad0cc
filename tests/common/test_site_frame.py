"""One header on every page (sign in, or the user's name, the role's own links and sign-out), and the 403,
404, 500 and CSRF pages in the site's frame, each saying what to do next."""

import re

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory

pytestmark = pytest.mark.django_db


def header(response) -> str:
    html = response.content.decode()
    found = re.search(r'<header class="site-header">(.*?)</header>', html, re.S)
    assert found, "the page has no site header"
    return found.group(1)


def links(fragment: str) -> dict[str, str]:
    """{link text: href} of the header's links."""
    return {text.strip(): href for href, text in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>([^<]+)</a>', fragment)}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_visitor_sees_sign_in_that_comes_back_to_the_page(client):
    response = client.get("/physicians/?cancer=breast&near=10001")
    nav = header(response)
    assert links(nav)["Sign in"] == "/accounts/login/?next=/physicians/%3Fcancer%3Dbreast%26near%3D10001"
    assert "Sign out" not in nav and "referrals" not in nav
    # and the sign-in page marks itself as the current page, without sending the visitor back to it
    nav = header(client.get("/accounts/login/"))
    assert '<a href="/accounts/login/" aria-current="page">Sign in</a>' in nav


def test_a_gp_sees_their_full_name_my_referrals_and_sign_out_in_the_navigation():
    gp = GPFactory(full_name="Dr. Gale Prentice")
    response = signed_in(gp).get("/referrals/")
    nav = header(response)
    assert "Signed in as Dr. Gale Prentice" in nav
    assert links(nav) == {
        "OncoDir": "/",
        "Find an oncologist": "/physicians/",
        "Clinical trials": "/trials/",
        "My referrals": "/referrals/",
        "Shortlist": "/shortlists/",
    }
    assert '<a href="/referrals/" aria-current="page">My referrals</a>' in nav
    assert re.search(r'<form method="post" action="/accounts/logout/">.*<button[^>]*>Sign out</button>', nav, re.S)
    # the page body no longer carries a second navigation of its own
    assert response.content.decode().count("Sign out") == 1


def test_an_oncologist_has_the_inbox_and_their_own_listing():
    client = signed_in(OncologistUserFactory())
    nav = header(client.get("/physicians/"))
    assert links(nav)["Referral inbox"] == "/referrals/"
    assert links(nav)["My listing"] == "/my-listing/"
    assert '<a href="/physicians/" aria-current="page">Find an oncologist</a>' in nav
    assert '<a href="/my-listing/" aria-current="page">My listing</a>' in header(client.get("/my-listing/"))


def test_a_curator_has_figures_and_the_admin():
    nav = header(signed_in(CuratorFactory()).get("/"))
    assert links(nav)["Figures"] == "/referrals/figures/"
    assert links(nav)["Admin"] == "/admin/"
    assert "My referrals" not in nav and "My listing" not in nav


def test_my_listing_is_refused_in_the_frame_for_an_account_without_a_listing():
    response = signed_in(GPFactory()).get("/my-listing/")
    assert response.status_code == 403
    assert "This page is not open to your account" in response.content.decode()


def test_a_403_is_a_page_of_the_site_that_says_where_to_go():
    oncologist = OncologistUserFactory(full_name="Dr. Ola Nordmann")
    response = signed_in(oncologist).get("/referrals/figures/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Signed in as Dr. Ola Nordmann" in header(response)
    assert "This page is not open to your account" in html
    assert "account type: Oncologist" in html
    assert '<a href="/referrals/">Go to your referral inbox</a>' in html
    assert len(html) > 1500  # the whole frame, not Django's bare "403 Forbidden"


def test_a_404_is_a_page_of_the_site_with_ways_onward(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We could not find that page" in html
    assert links(html)["Search for an oncologist"] == "/physicians/"
    assert links(header(response))["Sign in"].startswith("/accounts/login/?next=/no-such-page/")


def test_a_500_renders_in_the_frame_without_a_request_context():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert '<header class="site-header">' in html and "Sign in" in html


def test_a_csrf_failure_explains_the_expired_form_and_keeps_the_header():
    gp = GPFactory(full_name="Dr. Gale Prentice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(gp)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html
    assert "Signed in as Dr. Gale Prentice" in header(response)
    assert "_auth_user_id" in client.session  # nothing was done: still signed in
