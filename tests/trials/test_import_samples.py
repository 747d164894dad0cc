"""The real ClinicalTrials.gov records (tests/trials/data/, as the API serves them) read field by field."""

import pytest

from apps.registry.models import ImportRun
from apps.trials.models import Site, Trial

from .ctgov_files import (
    SAMPLE_FIELD_SELECTION,
    SAMPLE_SEARCH_KEYTRUDA,
    SAMPLE_SEARCH_MELANOMA,
    SAMPLE_STUDY,
)

pytestmark = pytest.mark.django_db


def cancer_types(trial: Trial) -> list[str]:
    return sorted(trial.cancer_types.values_list("slug", flat=True))


def test_a_study_is_read_as_published(import_trials):
    # when the Amgen study is imported
    run = import_trials(SAMPLE_STUDY)
    # then the run is recorded
    assert (run.kind, run.status, run.read, run.matched, run.created, run.rejected) == (
        ImportRun.Kind.CTGOV,
        ImportRun.Status.SUCCEEDED,
        1,
        1,
        1,
        0,
    )
    # and every field is as published
    trial = Trial.objects.get()
    assert trial.nct_id == "NCT06131398"
    assert trial.title.startswith("A Study of AMG 355 Alone and in Combination With Pembrolizumab")
    assert (trial.status, trial.phases, trial.sponsor) == ("COMPLETED", ["PHASE1"], "Amgen")
    assert (trial.minimum_age, trial.maximum_age, trial.sex) == ("18 Years", "100 Years", "ALL")
    assert (trial.start_date, trial.completion_date) == ("2024-03-07", "2026-07-22")
    assert trial.conditions == ["Advanced Solid Tumors"]
    assert trial.in_source and trial.is_closed
    # the cancer types come from the derived MeSH terms (the condition only says "solid tumors")
    assert cancer_types(trial) == ["colorectal", "lung", "melanoma", "stomach-esophageal"]


def test_sites_keep_their_place_and_a_missing_state_or_geopoint(import_trials):
    import_trials(SAMPLE_STUDY)
    sites = list(Site.objects.order_by("position"))
    assert len(sites) == 15
    first = sites[0]
    assert (first.facility, first.city, first.state, first.zip_code, first.country) == (
        "City of Hope National Medical Center",
        "Duarte",
        "California",
        "91010",
        "United States",
    )
    assert (first.latitude, first.longitude, first.coordinates_from_zip) == (34.13945, -117.97729, False)
    # a site without a state (France) keeps an empty one
    bordeaux = sites[9]
    assert (bordeaux.city, bordeaux.state, bordeaux.zip_code, bordeaux.country) == ("Bordeaux", "", "33076", "France")
    # a site abroad without a geoPoint has no coordinates: no ZIP centroid outside the US
    kashiwa = sites[11]
    assert (kashiwa.city, kashiwa.state, kashiwa.latitude, kashiwa.longitude) == ("Kashiwa-shi", "Chiba", None, None)
    # and sites abroad are listed but never found by a US radius search
    assert Site.objects.in_us().count() == 6
    near_boston = Site.objects.near(42.36, -71.06, 25)
    assert [site.city for site in near_boston] == ["Boston"]
    assert not Site.objects.near(-33.88, 151.21, 50).exists()  # Sydney's site is not a US one


def test_a_field_selection_record_and_its_terminated_status(import_trials):
    import_trials(SAMPLE_FIELD_SELECTION)
    trial = Trial.objects.get()
    assert (trial.nct_id, trial.status, trial.sponsor) == ("NCT02576665", "TERMINATED", "Tocagen Inc.")
    assert (trial.minimum_age, trial.maximum_age, trial.sex) == ("18 Years", "75 Years", "ALL")
    assert len(trial.conditions) == 12
    assert cancer_types(trial) == [
        "bladder",
        "brain",
        "breast",
        "colorectal",
        "gynecologic",
        "head-and-neck",
        "lung",
        "lymphoma",
        "melanoma",
        "ovarian",
        "pancreatic",
        "sarcoma",
    ]
    assert list(trial.sites.values_list("city", "state", "zip_code", "latitude")) == [
        ("Denver", "Colorado", "80218", 39.73915),
        ("Miami", "Florida", "33136", 25.77427),
        ("Houston", "Texas", "77030", 29.76328),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param(
            SAMPLE_SEARCH_MELANOMA,
            {
                "NCT04114136": ("RECRUITING", ["PHASE2"], "Dan Zandberg"),
                "NCT04318717": ("RECRUITING", ["PHASE2"], "Washington University School of Medicine"),
                "NCT06970236": ("RECRUITING", ["NA"], "University of Valencia"),
            },
            id="melanoma-page",
        ),
        pytest.param(
            SAMPLE_SEARCH_KEYTRUDA,
            {
                "NCT03590054": ("COMPLETED", ["PHASE1"], "Rahul Aggarwal"),
                "NCT04795661": ("ACTIVE_NOT_RECRUITING", ["PHASE2"], "Centre Leon Berard"),
                "NCT05431270": ("RECRUITING", ["PHASE1", "PHASE2"], "Phanes Therapeutics"),
            },
            id="keytruda-page",
        ),
    ],
)
def test_a_search_response_page_imports_each_of_its_studies(import_trials, path, expected):
    run = import_trials(path)
    assert (run.read, run.matched, run.created) == (3, 3, 3)
    assert {t.nct_id: (t.status, t.phases, t.sponsor) for t in Trial.objects.all()} == expected
    # studies without locations have none, and no sex given is stored as not given
    assert not Site.objects.exists()
    assert set(Trial.objects.values_list("sex", flat=True)) == {""}


def test_conditions_map_to_cancer_types(import_trials):
    import_trials(SAMPLE_SEARCH_MELANOMA)
    assert cancer_types(Trial.objects.get(nct_id="NCT04318717")) == ["head-and-neck", "melanoma"]
    assert cancer_types(Trial.objects.get(nct_id="NCT06970236")) == ["melanoma"]
    assert cancer_types(Trial.objects.get(nct_id="NCT04114136")) == [
        "bladder",
        "head-and-neck",
        "liver",
        "lung",
        "melanoma",
        "stomach-esophageal",
    ]


def test_a_search_page_does_not_mark_other_studies_as_gone(import_trials):
    import_trials(SAMPLE_STUDY)
    run = import_trials(SAMPLE_SEARCH_KEYTRUDA)
    assert run.deactivated == 0
    assert Trial.objects.get(nct_id="NCT06131398").in_source
