"""seed_demo's trials: synthetic studies in the real format, loaded through the real import and matching."""

import io
import re

import pytest
from django.core.management import call_command

from apps.trials.demo import FIRST_NCT, demo_studies
from apps.trials.models import InvestigatorMatch, Site, Trial

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<h3 id="trial-(NCT\d{8})">')


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--physicians", "300", "--seed", "7", *args, stdout=out)
    return out.getvalue()


def test_the_demo_trials_show_on_the_pages(client):
    output = seed()
    assert "Demo trials: 60 studies created" in output
    assert Trial.objects.count() == 60
    assert Trial.objects.filter(nct_id__startswith="NCT99").count() == 60
    linked = InvestigatorMatch.objects.linked()
    assert linked.count() >= 40
    # breast cancer near 10001 has trials, nearest site first, with oncologists linked at their sites
    html = client.get("/trials/", {"near": "10001", "cancer": "breast"}).content.decode()
    assert len(CARD.findall(html)) >= 6
    distances = [float(miles) for miles in re.findall(r"\(([\d.]+) miles from 10001\)", html)]
    assert distances == sorted(distances)
    assert "Oncologists in our directory at this site" in html
    # a linked physician's profile lists its trials
    doctor = linked.filter(trial__status="RECRUITING").first().physician
    profile = client.get(doctor.get_absolute_url()).content.decode()
    assert 'id="trials-title"' in profile


def test_near_misses_are_not_linked():
    seed()
    for match in InvestigatorMatch.objects.linked().select_related("physician"):
        # a different middle initial never links; a namesake in another state never links
        written = re.search(r" ([A-Z])\. ", match.name)
        if written and match.physician.middle_name:
            assert written.group(1) == match.physician.middle_name[0].upper(), match
    # the lead's name at a site in another state ("Regional Cancer Center") is never shown as the lead
    regional = set(Site.objects.filter(facility="Regional Cancer Center").values_list("pk", flat=True))
    assert len(regional) >= 10
    shown = {pk for match in InvestigatorMatch.objects.linked().with_places() for pk in match.site_ids}
    assert shown and not shown & regional
    # a different middle initial ("Satellite Clinic") is not linked either
    satellites = Site.objects.filter(facility="Satellite Clinic").values_list("pk", flat=True)
    assert satellites and not shown & set(satellites)
    assert len(demo_studies(seed=7, count=60)) == 60


def test_the_same_seed_gives_the_same_studies_and_a_second_run_changes_nothing():
    seed()
    first = sorted(Trial.objects.values_list("nct_id", "title", "status", "content_hash"))
    links = sorted(InvestigatorMatch.objects.values_list("trial__nct_id", "name_key", "physician__npi", "status"))
    again = seed()
    assert "Demo trials: 0 studies created, 0 updated, 60 unchanged" in again
    assert sorted(Trial.objects.values_list("nct_id", "title", "status", "content_hash")) == first
    assert (
        sorted(InvestigatorMatch.objects.values_list("trial__nct_id", "name_key", "physician__npi", "status")) == links
    )
    assert first[0][0] == f"NCT{FIRST_NCT + 1:08d}"
