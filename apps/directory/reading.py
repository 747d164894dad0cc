"""Reading the search box as a person means it: "leukemia specialist 10001" is a cancer type and a ZIP code,
not three words to find in names. PhysicianFilterSet reads `q` with `read_query` (unless `literal` is on), so
the page and the API read it the same way.

What is read, in this order, each only once:
- a ZIP code (5 digits or ZIP+4) -> `near`; "City, ST" (a comma, then a state's two letters) at the end -> `near`
  at the ZIP code nearest the middle of that city's ZIP codes;
- a specialty ("radiation oncologist", "surgeon", "hematologist", ...) -> `specialty` (a category);
- a cancer type (its name, its slug's words, or a common synonym: "colon", "skin", "blood"...) -> `cancer`;
- an insurance carrier by its full name, alone or with a plan type ("aetna", "medicare", "cigna ppo") ->
  `insurance` (never a word of a longer name: "Kaiser" and "Molina" are surnames too);
- filler words ("specialist", "doctor", "near", "oncologist", "cancer", ...) are dropped;
- but the word right after "Dr." or "doctor" is a name ("Dr. Lung"), never a filter.
What is left stays in `q`: names, practices, hospitals and cities.
"""

import re
from dataclasses import dataclass, field
from functools import cache

from .geo import all_zip_centroids
from .models import SpecialtyCategory
from .reference import ReferenceData

SPECIALTY_PHRASES = {
    SpecialtyCategory.MEDICAL_ONCOLOGY: ("medical oncologist", "medical oncology"),
    SpecialtyCategory.HEMATOLOGY_ONCOLOGY: (
        "hematologist oncologist", "hematology oncology", "hematology-oncology", "hem onc", "hemonc",
    ),
    SpecialtyCategory.HEMATOLOGY: ("hematologist", "hematology"),
    SpecialtyCategory.SURGICAL_ONCOLOGY: ("surgical oncologist", "surgical oncology", "cancer surgeon", "surgeon"),
    SpecialtyCategory.RADIATION_ONCOLOGY: (
        "radiation oncologist", "radiation oncology", "radiation therapy", "radiotherapy", "radiation",
    ),
    SpecialtyCategory.GYNECOLOGIC_ONCOLOGY: ("gynecologic oncologist", "gynecologic oncology", "gyn onc"),
    SpecialtyCategory.PEDIATRIC_HEMATOLOGY_ONCOLOGY: (
        "pediatric oncologist", "pediatric oncology", "pediatric hematologist", "childhood", "children's",
        "children", "kids",
    ),
    SpecialtyCategory.PALLIATIVE_CARE: ("palliative care", "palliative"),
}  # fmt: skip
# Words patients use for a cancer type beside its name (slug -> phrases).
CANCER_SYNONYMS = {
    "colorectal": ("colon", "rectal", "bowel"),
    "melanoma": ("skin",),
    "leukemia": ("blood", "leukaemia"),
    "myeloma": ("myeloma",),
    "stomach-esophageal": ("stomach", "esophageal", "esophagus", "gastric"),
    "kidney": ("renal",),
    "liver": ("hepatocellular",),
    "brain": ("spine", "spinal", "glioma", "glioblastoma"),
    "head-and-neck": ("throat", "oral", "mouth"),
    "uterine": ("endometrial",),
}
# The words of a cancer type's name that do not name it ("Brain and spinal cord tumors").
NAME_FILLER = {"cancer", "cancers", "tumor", "tumors", "and", "multiple", "skin", "cord"}
FILLER = frozenset(
    [
        "specialist",
        "specialists",
        "doctor",
        "doctors",
        "dr",
        "physician",
        "physicians",
        "oncologist",
        "oncologists",
        "oncology",
        "cancer",
        "cancers",
        "tumor",
        "tumors",
        "near",
        "nearby",
        "around",
        "in",
        "at",
        "for",
        "me",
        "my",
        "a",
        "an",
        "the",
        "who",
        "with",
        "treating",
        "treats",
        "treat",
        "treatment",
        "best",
        "top",
        "good",
        "find",
        "takes",
        "accepts",
        "insurance",
    ]
)
CITY_STATE = re.compile(r"(?:^|\s)([a-z][a-z .'-]*),\s*([a-z]{2})$")
TITLED = re.compile(r"(?<![\w'-])(?:dr|doctor)\s+([\w'-]+)")
PUNCTUATION = re.compile(r"[^\w\s'-]")
ZIP = re.compile(r"\b\d{5}(?:-\d{4})?\b")


@dataclass
class Reading:
    """What the box said: `words` left for the text search and `params` read out of it."""

    text: str
    words: str = ""
    params: dict[str, str] = field(default_factory=dict)
    place: str = ""  # "Chicago, IL" when `near` was read from a city


def read_query(text: str, reference: ReferenceData) -> Reading:
    reading = Reading(text)
    rest = " ".join(text.casefold().split())
    if zip_code := ZIP.search(rest):
        reading.params["near"] = zip_code.group()  # an unknown one is then near's error, as typed there
        rest = f"{rest[: zip_code.start()]} {rest[zip_code.end() :]}"
    elif city := CITY_STATE.search(rest):
        before, state = city.group(1).split(), city.group(2).upper()
        for start in range(len(before)):  # "oncologists in chicago, il": the longest known city wins
            if middle := _city_zip(" ".join(before[start:]).upper(), state):
                reading.params["near"] = middle
                reading.place = f"{' '.join(before[start:]).title()}, {state}"
                rest = f"{rest[: city.start()]} {' '.join(before[:start])}"
                break
    rest = " " + PUNCTUATION.sub(" ", rest) + " "  # punctuation names nothing here
    # "Dr. Lung": the word after a title is a name, whatever else it could mean ("Dr. Jane Lung" still reads
    # "lung" as the cancer type; the page's one click to the exact words is there for that).
    names = [word for found in TITLED.finditer(rest) for word in found.group(1).split() if word not in FILLER]
    for index, word in enumerate(names):
        rest = re.sub(rf"(?<![\w'-]){re.escape(word)}(?![\w'-])", f"\x00{index}\x00", rest, count=1)
    readable = (
        ("specialty", _specialty_phrases()),
        ("cancer", _cancer_phrases(reference)),
        ("insurance", _insurance_phrases(reference)),
    )
    for name, phrases in readable:
        for phrase, value in phrases:
            if found := re.search(rf"(?<![\w'-]){re.escape(phrase)}(?![\w'-])", rest):
                reading.params[name] = value
                rest = f"{rest[: found.start()]} {rest[found.end() :]}"
                break
    rest = re.sub(r"\x00(\d+)\x00", lambda kept: names[int(kept.group(1))], rest)
    words = [word for word in rest.split() if word not in FILLER]
    # Nothing read and nothing dropped: the text stays as typed.
    changed = reading.params or len(words) < len(rest.split())
    reading.words = " ".join(words) if changed else " ".join(text.split())
    return reading


def _specialty_phrases() -> list[tuple[str, str]]:
    pairs = [(phrase, category.value) for category, phrases in SPECIALTY_PHRASES.items() for phrase in phrases]
    return sorted(pairs, key=lambda pair: -len(pair[0]))  # the longest first: "hematologist oncologist"


def _cancer_phrases(reference: ReferenceData) -> list[tuple[str, str]]:
    pairs = []
    for cancer in reference.cancer_types:
        pairs.append((cancer.name.casefold(), cancer.slug))  # "breast cancer", "multiple myeloma"
        pairs.append((cancer.slug.replace("-", " "), cancer.slug))  # "head and neck"
        pairs += [(word, cancer.slug) for word in cancer.name.casefold().split() if word not in NAME_FILLER]
        pairs += [(synonym, cancer.slug) for synonym in CANCER_SYNONYMS.get(cancer.slug, ())]
    return sorted(set(pairs), key=lambda pair: (-len(pair[0]), pair))


def _insurance_phrases(reference: ReferenceData) -> list[tuple[str, str]]:
    pairs = []
    for plan in reference.insurance_plans:
        carrier = " ".join(PUNCTUATION.sub(" ", plan.carrier.name.casefold()).split())
        pairs.append((carrier, plan.carrier.slug))  # "kaiser permanente"
        pairs.append((f"{carrier} {plan.get_plan_type_display().casefold()}", plan.search_value))  # "aetna ppo"
    return sorted(set(pairs), key=lambda pair: (-len(pair[0]), pair))


@cache
def _city_zips() -> dict[tuple[str, str], list[tuple[str, float, float]]]:
    cities: dict[tuple[str, str], list[tuple[str, float, float]]] = {}
    for zip_code, (lat, lng, city, state) in all_zip_centroids().items():
        cities.setdefault((city.upper(), state), []).append((zip_code, lat, lng))
    return cities


def _city_zip(city: str, state: str) -> str | None:
    """The ZIP code nearest the middle of a city's ZIP codes (the city's own centre, roughly)."""
    zips = _city_zips().get((city, state))
    if not zips:
        return None
    lat = sum(z[1] for z in zips) / len(zips)
    lng = sum(z[2] for z in zips) / len(zips)
    return min(zips, key=lambda z: ((z[1] - lat) ** 2 + (z[2] - lng) ** 2, z[0]))[0]
