"""A small world of studies near New York, loaded through the real import and matching, that the page, API
and browser tests of the trials pages share."""

from dataclasses import dataclass

from apps.directory.models import Physician
from tests.factories import PhysicianFactory, PracticeLocationFactory

from .ctgov_files import nct, site, study, write_zip

MIDTOWN = {
    "facility": "Midtown Cancer Institute",
    "city": "New York",
    "state": "New York",
    "zip_code": "10016",
    "geo": (40.7459, -73.9781),
}
NEWARK = {
    "facility": "Newark Breast Center",
    "city": "Newark",
    "state": "New Jersey",
    "zip_code": "07102",
    "geo": (40.7357, -74.1724),
}
BOSTON = {
    "facility": "Boston Cancer Hospital",
    "city": "Boston",
    "state": "Massachusetts",
    "zip_code": "02215",
    "geo": (42.3584, -71.0598),
}
CHICAGO = {
    "facility": "Lakeshore Oncology",
    "city": "Chicago",
    "state": "Illinois",
    "zip_code": "60611",
    "geo": (41.8925, -87.6200),
}
TORONTO = {
    "facility": "Toronto Cancer Centre",
    "city": "Toronto",
    "state": "Ontario",
    "zip_code": "M5G 2M9",
    "country": "Canada",
    "geo": (40.7400, -73.9900),
}


@dataclass
class Trials:
    doe: Physician  # PI at Midtown of the near breast study and of the lung study
    roe: Physician  # sub-investigator at Newark
    namesake: Physician  # "Jane Doe" in Chicago: a near-miss, never linked to the New York studies


def load(import_trials, tmp_path, extra=()) -> Trials:
    """The physicians and the studies below (and `extra` studies), imported and matched."""
    doe = PhysicianFactory(first_name="Jane", last_name="Doe")
    PracticeLocationFactory(physician=doe, city="New York", state="NY", zip_code="10016")
    roe = PhysicianFactory(first_name="Richard", last_name="Roe")
    PracticeLocationFactory(physician=roe, city="Newark", state="NJ", zip_code="07102")
    namesake = PhysicianFactory(first_name="Janet", last_name="Dole")
    PracticeLocationFactory(physician=namesake, city="Chicago", state="IL", zip_code="60611")
    pi = "PRINCIPAL_INVESTIGATOR"
    studies = [
        # breast, recruiting: Midtown (about a mile from 10001) and Boston
        study(
            1,
            title="Breast study near",
            # a namesake in Boston: the same name at a site in a state where Dr Doe does not practise
            sites=[site(**BOSTON, contacts=[("Jane Doe", pi)]), site(**MIDTOWN, contacts=[("Jane Doe, MD", pi)])],
        ),
        # breast, recruiting: Newark (about 9 miles)
        study(
            2,
            title="Breast study in Newark",
            phases=("PHASE1", "PHASE2"),
            sites=[site(**NEWARK, contacts=[("Richard Roe", "SUB_INVESTIGATOR")])],
        ),
        # lung, recruiting, at Midtown
        study(
            3,
            title="Lung study",
            conditions=("Non-small Cell Lung Cancer",),
            sites=[site(**MIDTOWN, contacts=[("Jane Doe", pi)])],
        ),
        # breast, completed, at Midtown
        study(4, title="Breast study completed", status="COMPLETED", sites=[site(**MIDTOWN, status="COMPLETED")]),
        # breast, recruiting, Chicago (far) and a site abroad whose coordinates (wrongly) are in New York
        study(5, title="Breast study far", sites=[site(**CHICAGO), site(**TORONTO)]),
        # breast, recruiting, but its Midtown site is not recruiting yet
        study(6, title="Breast study not yet at Midtown", sites=[site(**MIDTOWN, status="NOT_YET_RECRUITING")]),
    ]
    import_trials(write_zip(tmp_path / "studies.zip", [*studies, *extra]))
    return Trials(doe=doe, roe=roe, namesake=namesake)


NEAR_BREAST = [nct(1), nct(2)]
