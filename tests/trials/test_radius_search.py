"""/trials/'s radius search (TrialQuerySet.recruiting_near) reads the sites' copy of their study's status and
cancer types through a partial index: the copy follows every change the import makes, the index is the one
the search uses, and the results are those of the exact computation over the studies' own rows."""

import random

import pytest
from django.db import connection

from apps.directory.models import CancerType
from apps.trials.models import Site, Trial
from apps.trials.rules import RECRUITING, US_COUNTRY

from .ctgov_files import site, study, write_zip

pytestmark = pytest.mark.django_db

NEW_YORK = (40.7484, -73.9967)


def copies_disagree() -> list:
    """Sites whose trial_recruiting or cancer_type_ids differ from their study's own rows."""
    recruiting = set(Trial.objects.recruiting().values_list("pk", flat=True))
    types: dict[int, list[int]] = {}
    for trial_id, type_id in Trial.cancer_types.through.objects.values_list("trial_id", "cancertype_id"):
        types.setdefault(trial_id, []).append(type_id)
    return [
        (trial_id, flag, ids)
        for trial_id, flag, ids in Site.objects.values_list("trial_id", "trial_recruiting", "cancer_type_ids")
        if flag != (trial_id in recruiting) or ids != sorted(types.get(trial_id, []))
    ]


def test_each_site_carries_its_study_s_status_and_cancer_types_through_every_change(import_trials, tmp_path):
    two_sites = [site(), site(city="Denver", state="Colorado", zip_code="80218", geo=(39.74, -104.97))]
    first = [study(1, sites=two_sites), study(2, conditions=("Lung Cancer",)), study(3, status="COMPLETED")]
    import_trials(write_zip(tmp_path / "a.zip", first))
    assert Site.objects.filter(trial_recruiting=True).count() == 3
    assert copies_disagree() == []
    # a study closing, another changing its conditions, one opening; the third leaves the file
    changed = [study(1, sites=two_sites, status="COMPLETED"), study(2, conditions=("Breast Cancer", "Melanoma"))]
    import_trials(write_zip(tmp_path / "b.zip", changed))
    assert Site.objects.filter(trial_recruiting=True).count() == 1
    assert copies_disagree() == []
    # back in the next file, recruiting again, while study 2 leaves
    import_trials(write_zip(tmp_path / "c.zip", [study(1, sites=two_sites), study(3, status=RECRUITING)]))
    assert sorted(Site.objects.filter(trial_recruiting=True).values_list("trial__nct_id", flat=True)) == [
        "NCT00000001",
        "NCT00000001",
        "NCT00000003",
    ]
    assert copies_disagree() == []
    # unchanged but back: study 2 returns as it left, so only its in_source changes
    import_trials(
        write_zip(tmp_path / "d.zip", [study(1, sites=two_sites), study(2, conditions=("Breast Cancer", "Melanoma"))])
    )
    assert Trial.objects.get(nct_id="NCT00000002").in_source
    assert copies_disagree() == []


def test_the_search_reads_the_partial_index(import_trials, tmp_path):
    """The index's predicate is implied by the search's conditions, else PostgreSQL could not use it (with
    the visibility map a VACUUM sets, outside a test's transaction, the scan is index-only)."""
    import_trials(write_zip(tmp_path / "a.zip", [study(1), study(2, conditions=("Lung Cancer",))]))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE trials_site")
    breast = CancerType.objects.get(slug="breast").pk
    for cancer in (None, breast):
        sql, params = Trial.objects.recruiting_near(42.36, -71.06, 25, cancer_type_id=cancer)[
            :20
        ].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "using trials_site_recruiting_near on trials_site" in plan, plan


def _random_study(rng: random.Random, number: int) -> dict:
    sites = []
    for _ in range(rng.randint(1, 6)):
        abroad = rng.random() < 0.1
        geo = (
            None if rng.random() < 0.1 else (NEW_YORK[0] + rng.uniform(-0.6, 0.6), NEW_YORK[1] + rng.uniform(-0.6, 0.6))
        )
        sites.append(
            site(
                facility=f"Site {rng.randint(1, 9)}",
                city="Toronto" if abroad else "New York",
                state="Ontario" if abroad else "New York",
                zip_code="M5G 1Z5" if abroad else rng.choice(["10001", "10065", "11201", "07030"]),
                country="Canada" if abroad else US_COUNTRY,
                geo=geo,
                status=rng.choice(["RECRUITING", "RECRUITING", None, "COMPLETED", "NOT_YET_RECRUITING"]),
            )
        )
    status = rng.choice([RECRUITING, RECRUITING, "COMPLETED", "ACTIVE_NOT_RECRUITING"])
    conditions = rng.sample(["Breast Cancer", "Lung Cancer", "Melanoma", "Lymphoma"], rng.randint(1, 2))
    return study(number, status=status, conditions=conditions, sites=sites)


def _exact(origin, miles: float, cancer: int | None) -> list[tuple[str, float, int]]:
    """The search worked out from the studies' own rows: every site's distance by earthdistance, the
    recruiting studies (and their cancer types) from the trial table, in Python."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.id, s.trial_id, s.position, s.country, s.status,"
            " earth_distance(ll_to_earth(s.latitude, s.longitude), ll_to_earth(%s, %s)) / 1609.344"
            " FROM trials_site s",
            origin,
        )
        sites = cursor.fetchall()
    recruiting = {t.pk: t for t in Trial.objects.recruiting().prefetch_related("cancer_types")}
    best: dict[int, tuple[float, int, int]] = {}
    for site_id, trial_id, position, country, status, distance in sites:
        trial = recruiting.get(trial_id)
        if trial is None or country != US_COUNTRY or status not in ("RECRUITING", "") or distance is None:
            continue
        if cancer is not None and cancer not in {c.pk for c in trial.cancer_types.all()}:
            continue
        if distance <= miles and (trial_id not in best or (distance, position) < best[trial_id][:2]):
            best[trial_id] = (distance, position, site_id)
    rows = [(recruiting[t].nct_id, d, s) for t, (d, _, s) in best.items()]
    return sorted(rows, key=lambda row: (row[1], row[0]))


@pytest.mark.parametrize("miles", [5, 25, 60])
def test_results_and_order_are_those_of_the_exact_computation(import_trials, tmp_path, miles):
    rng = random.Random(20261204)
    import_trials(write_zip(tmp_path / "a.zip", [_random_study(rng, n) for n in range(1, 121)]))
    breast = CancerType.objects.get(slug="breast").pk
    for cancer in (None, breast):
        found = [
            (t.nct_id, t.distance_miles, t.nearest_site_id)
            for t in Trial.objects.recruiting_near(*NEW_YORK, miles, cancer_type_id=cancer)
        ]
        expected = _exact(NEW_YORK, miles, cancer)
        assert len(expected) > 3
        assert [row[0] for row in found] == [row[0] for row in expected]
        assert [row[2] for row in found] == [row[2] for row in expected]
        assert [row[1] for row in found] == pytest.approx([row[1] for row in expected], abs=1e-9)
