"""The curators' figures: referral volume per week, response times against target, listings verified in the
last 12 months, open reports of wrong listings; each an SVG chart drawn on the server, beside its table."""

import datetime

import pytest
from django.utils import timezone

from apps.directory import services as directory_services
from apps.referrals import charts
from apps.referrals.stats import weekly_volume
from tests.factories import GPFactory, OncologistUserFactory, PhysicianFactory

from .factories import make_referral

pytestmark = pytest.mark.django_db


def test_weekly_volume_counts_each_week_and_keeps_empty_ones():
    now = timezone.now()
    for days_ago in (0, 0, 8, 30):
        make_referral("submitted", submitted_at=now - datetime.timedelta(days=days_ago))
    make_referral("draft")  # not sent: not counted
    weeks = weekly_volume(weeks=6, now=now)
    assert len(weeks) == 6 and all(week.weekday() == 0 for week, _ in weeks)
    assert weeks[-1] == (timezone.localdate(now) - datetime.timedelta(days=timezone.localdate(now).weekday()), 2)
    assert sum(n for _, n in weeks) == 4
    assert [n for _, n in weeks].count(0) >= 2


def test_verified_listings_and_open_reports_are_counted():
    today = timezone.localdate()
    PhysicianFactory(last_verified_on=today)
    PhysicianFactory(last_verified_on=today - datetime.timedelta(days=400))
    never = PhysicianFactory(last_verified_on=None)
    directory_services.listing_report_create(physician=never, problem="phone")
    directory_services.listing_report_create(physician=never, problem="phone")
    directory_services.listing_report_create(physician=never, problem="moved")
    verified = charts.verified_listings()
    assert [row[1] for row in verified.rows] == ["1", "1", "1"]
    reports = dict(charts.open_reports().rows)
    assert reports["The phone number is wrong"] == 2 and reports["Moved to another practice"] == 1
    assert reports["Retired or no longer practicing"] == 0


@pytest.mark.parametrize("name", list(charts.FIGURES))
def test_each_chart_is_an_svg_without_script_for_curators_only(client, curator, name):
    referral = make_referral("submitted")
    client.force_login(curator)
    response = client.get(f"/referrals/figures/{name}.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "<script" not in svg
    # its own inline styles are allowed for the chart alone; the page keeps the strict policy
    assert "style-src 'self' 'unsafe-inline'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/referrals/figures/")["Content-Security-Policy"]
    for user in (referral.referring_gp, OncologistUserFactory()):
        client.force_login(user)
        assert client.get(f"/referrals/figures/{name}.svg").status_code == 403


def test_the_page_shows_each_chart_with_its_table(client, curator):
    make_referral("submitted", referring_gp=GPFactory())
    client.force_login(curator)
    html = client.get("/referrals/figures/").content.decode()
    for name, build in charts.FIGURES.items():
        assert f'<img src="/referrals/figures/{name}.svg"' in html
        assert build().title in html.replace("&#x27;", "'")
    assert html.count("<table>") == len(charts.FIGURES)
    assert client.get("/referrals/figures/nothing.svg").status_code == 404
