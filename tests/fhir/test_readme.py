"""The README's FHIR examples work as written: each curl address answers what it says."""

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from apps.referrals.models import Referral, Status
from tests.factories import GPFactory, OncologistUserFactory, PracticeLocationFactory

from .helpers import physician_at
from .referrals import put, token_client

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_addresses() -> list[tuple[str, dict]]:
    section = README.read_text().split("## FHIR", 1)[1].split("\n## ", 1)[0]
    found = []
    for line in section.splitlines():
        match = re.match(r"curl -s (?P<headers>(-H '[^']+' )*)\"\$BASE(?P<path>[^\"]+)\"", line)
        if match:
            headers = dict(h.split(": ", 1) for h in re.findall(r"-H '([^']+)'", match["headers"]))
            found.append((unquote(match["path"]), headers))
    return found


def test_every_fhir_example_of_the_readme_answers_200(fhir):
    physician_at("10001", npi="1234567893", first_name="Ann", last_name="Smith", cancers=["breast"])
    examples = readme_addresses()
    assert len(examples) == 13
    for path, headers in examples:
        response = fhir.get(f"/fhir{path}", headers=headers)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["resourceType"] in ("CapabilityStatement", "Bundle", "Practitioner")


def test_the_readmes_referral_examples_create_a_referral_and_accept_it():
    section = README.read_text().split("### Referrals over FHIR", 1)[1].split("\n## ", 1)[0]
    bodies = re.findall(r"-d '(.*?)'\n", section.replace("'\"$REFERRAL_ID\"'", "$REFERRAL_ID"), flags=re.S)
    assert len(bodies) == 2
    oncologist = OncologistUserFactory()
    location = PracticeLocationFactory(physician=oncologist.physician, is_primary=True)
    gp_client, oncologist_client = token_client(GPFactory()), token_client(oncologist)

    created = gp_client.post("/fhir/ServiceRequest", bodies[0].replace("PractitionerRole/1234", f"PractitionerRole/"
                             f"{location.pk}"), content_type="application/fhir+json")  # fmt: skip
    assert created.status_code == 201, created.content
    referral_id = created.json()["id"]
    found = oncologist_client.get(f"/fhir/Task?focus=ServiceRequest/{referral_id}").json()
    version = found["entry"][0]["resource"]["meta"]["versionId"]
    assert version == "2"  # as the example says: created, then submitted
    task = json.loads(bodies[1].replace("$REFERRAL_ID", referral_id))
    response = put(oncologist_client, f"/fhir/Task/{referral_id}", task, **{"If-Match": f'W/"{version}"'})

    assert response.status_code == 200, response.content
    assert Referral.objects.get(pk=referral_id).status == Status.ACCEPTED
