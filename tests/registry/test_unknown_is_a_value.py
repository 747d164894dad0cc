"""Unknown is a value: NPPES says nothing of new patients, telehealth or languages, so after an import of
the real 2,000-row sample nothing claims them, the yes filters find none of the imported physicians, the
pages say "not known" in words, and a curator's yes or no survives any later import."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.directory import display
from apps.directory.models import Physician, PracticeLocation
from tests.registry.nppes_files import NUCC, SAMPLE, location, write_locations

pytestmark = pytest.mark.django_db

SPIRO = "1003813403"
PAGE, API = "/physicians/", "/api/v1/physicians/"
RESULT = re.compile(r'<h3 id="result-(\d{10})">')
NOT_KNOWN_BADGE = f'<span class="badge unknown">New patients? {display.NOT_KNOWN}</span>'


def import_nppes(path) -> None:
    call_command("import_nppes", str(path), "--no-progress", stdout=StringIO())


@pytest.fixture
def imported(tmp_path):
    """The real sample imported, and a secondary practice location file for Spiro imported alone."""
    call_command("import_nucc", str(NUCC), stdout=StringIO())
    import_nppes(SAMPLE)
    import_nppes(write_locations(tmp_path / "pl_pfile_20180101-20180107.csv", [location(SPIRO, line1="5 ELM ST")]))
    return list(Physician.objects.order_by("npi"))


@pytest.fixture
def api():
    return APIClient()


def page_npis(client, query: str) -> list[str]:
    response = client.get(f"{PAGE}?{query}")
    assert response.status_code == 200
    return RESULT.findall(response.content.decode())


def api_npis(api, query: str) -> list[str]:
    response = api.get(f"{API}?{query}")
    assert response.status_code == 200
    return [item["npi"] for item in response.json()["results"]]


def test_after_the_import_nothing_claims_what_the_registry_does_not_say(imported):
    assert len(imported) == 54
    assert PracticeLocation.objects.count() == 55  # 54 primary, Spiro's secondary
    assert set(PracticeLocation.objects.values_list("accepting_new_patients", flat=True)) == {None}
    assert {(p.accepting_new_patients, p.telehealth, tuple(p.languages)) for p in imported} == {(None, None, ())}
    assert all(p.accepting_geo_cells == [] and p.geo_cells for p in imported)


@pytest.mark.parametrize("flag", ["accepting", "telehealth"])
def test_a_yes_filter_finds_none_of_the_imported_physicians(client, api, imported, flag):
    # given the directory lists them all
    assert len(api_npis(api, "page_size=100")) == 54
    # when the flag is on / then neither the page nor the API lists any
    assert page_npis(client, f"{flag}=1") == api_npis(api, f"{flag}=1") == []
    # nor near their place
    assert page_npis(client, f"{flag}=1&near=06030&radius=50") == api_npis(api, f"{flag}=1&near=06030&radius=50") == []


def test_a_curators_yes_is_found_by_the_filters(client, api, imported):
    spiro = Physician.objects.get(npi=SPIRO)
    primary = spiro.locations.get(is_primary=True)
    primary.accepting_new_patients = True
    primary.save()
    spiro.telehealth = True
    spiro.save()

    assert page_npis(client, "accepting=1") == api_npis(api, "accepting=1") == [SPIRO]
    assert page_npis(client, "accepting=1&near=06030&radius=5") == [SPIRO]
    assert page_npis(client, "accepting=1&near=06001&radius=1") == []  # accepting, but not near there
    assert page_npis(client, "telehealth=1") == api_npis(api, "telehealth=1") == [SPIRO]


def changed_sample(tmp_path, changes: dict[str, tuple[str, str]]):
    """The sample with the lines of some physicians changed: {NPI: (old text, new text)}."""
    lines = SAMPLE.read_text().splitlines(keepends=True)
    for npi, (old, new) in changes.items():
        index = next(n for n, line in enumerate(lines) if line.startswith(f'"{npi}"'))
        assert old in lines[index]
        lines[index] = lines[index].replace(old, new)
    path = tmp_path / "npidata_20180108-20180114.csv"
    path.write_text("".join(lines))
    return path


@pytest.mark.parametrize("changed", [False, True], ids=["same-file", "changed-file"])
def test_a_curators_yes_and_no_survive_a_reimport(imported, tmp_path, changed):
    # given a curator's yes at Spiro's main and secondary locations, and a no (and no telehealth) elsewhere
    spiro = Physician.objects.get(npi=SPIRO)
    other = next(p for p in imported if p.npi != SPIRO)
    yes = list(spiro.locations.all())
    no = other.locations.get()
    PracticeLocation.objects.filter(pk__in=[loc.pk for loc in yes]).update(accepting_new_patients=True)
    PracticeLocation.objects.filter(pk=no.pk).update(accepting_new_patients=False)
    Physician.objects.filter(pk=spiro.pk).update(telehealth=True)
    Physician.objects.filter(pk=other.pk).update(telehealth=False)
    # when the same file is imported again, or one in which both physicians' records changed
    if changed:
        import_nppes(
            changed_sample(tmp_path, {SPIRO: ("8606792100", "8606790000"), other.npi: (no.address_line1, "1 NEW RD")})
        )
    else:
        import_nppes(SAMPLE)
    # then the records were (or were not) updated, and every yes and no is as the curator left it
    assert spiro.locations.get(is_primary=True).phone == ("8606790000" if changed else "8606792100")
    assert other.locations.get().address_line1 == ("1 NEW RD" if changed else no.address_line1)
    assert sorted(PracticeLocation.objects.filter(accepting_new_patients=True).values_list("pk", flat=True)) == sorted(
        loc.pk for loc in yes
    )
    assert list(PracticeLocation.objects.filter(accepting_new_patients=False).values_list("pk", flat=True)) == [no.pk]
    assert PracticeLocation.objects.filter(accepting_new_patients=None).count() == 55 - 3
    assert Physician.objects.get(npi=SPIRO).telehealth is True
    assert Physician.objects.get(pk=other.pk).telehealth is False
    derived = dict(Physician.objects.filter(pk__in=[spiro.pk, other.pk]).values_list("npi", "accepting_new_patients"))
    assert derived == {SPIRO: True, other.npi: False}


def test_the_profile_of_an_imported_physician_says_not_known_in_words(client, api, imported):
    spiro = Physician.objects.get(npi=SPIRO)

    html = client.get(spiro.get_absolute_url()).content.decode()

    assert html.count(NOT_KNOWN_BADGE) == 2  # both locations
    assert "badge ok" not in html and "Accepting new patients" not in html
    assert "Not accepting new patients" not in html  # not known is not a no either
    assert f"Telehealth: {display.NOT_KNOWN}" in html
    assert f"<dt>Languages</dt>\n        <dd>{display.NOT_KNOWN}</dd>" in html
    json_ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert "isAcceptingNewPatients" not in json_ld and json_ld["knowsLanguage"] == []
    # and the API says null, documented as not known
    data = api.get(f"{API}{SPIRO}/").json()
    assert (data["accepting_new_patients"], data["telehealth"], data["languages"]) == (None, None, [])
    assert [loc["accepting_new_patients"] for loc in data["locations"]] == [None, None]


def test_a_search_result_of_an_imported_physician_says_not_known(client, imported):
    html = client.get(f"{PAGE}?q=spiro").content.decode()

    assert RESULT.findall(html) == [SPIRO]
    assert NOT_KNOWN_BADGE in html
    assert "badge ok" not in html and "ccepting new patients</span>" not in html


def test_a_known_no_reads_not_accepting_new_patients(client, imported):
    spiro = Physician.objects.get(npi=SPIRO)
    spiro.locations.filter(is_primary=True).update(accepting_new_patients=False)

    html = client.get(spiro.get_absolute_url()).content.decode()

    assert html.count('<span class="badge">Not accepting new patients</span>') == 1
    assert html.count(NOT_KNOWN_BADGE) == 1  # the secondary location is still not known
