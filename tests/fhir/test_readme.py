"""The README's FHIR examples work as written: each curl address answers what it says."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from .helpers import physician_at

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
    assert len(examples) == 11
    for path, headers in examples:
        response = fhir.get(f"/fhir{path}", headers=headers)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["resourceType"] in ("CapabilityStatement", "Bundle", "Practitioner")
