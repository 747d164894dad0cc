"""A realistic synthetic oncologist directory, built fast and deterministically for demos and benchmarks.

Everything derives from the seed: the NPIs from one generator, then each chunk of physicians from its own
generator (seeded by the chunk's number), row after row. So the same seed gives the same directory, a larger
`--physicians` keeps the first physicians unchanged, and a chunk whose NPIs all exist already is skipped
without generating anything. Rows are written with PostgreSQL COPY, never the ORM per row.
"""

import datetime
import io
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import connection
from django.utils import timezone

from apps.accounts.models import Role, User

from .geo import all_zip_centroids
from .models import (
    Affiliation,
    Board,
    BoardCertification,
    CancerType,
    CertificationStatus,
    Institution,
    ListingProblem,
    ListingReport,
    MOCStatus,
    Physician,
    PhysicianSpecialty,
    PracticeLocation,
    Specialty,
)
from .validators import npi_check_digit, npi_with_check_digit

CHUNK_SIZE = 20_000
SEEDED_TABLES = (
    "directory_physician",
    "directory_practicelocation",
    "directory_physicianspecialty",
    "directory_physician_cancer_types",
    "directory_boardcertification",
    "directory_affiliation",
    "directory_acceptedplan",
)

# The demo accounts README.md lists. They are created here and nowhere else.
DEMO_CURATOR_EMAIL = "curator@oncodir.example"
DEMO_CURATOR_PASSWORD = "oncodir-demo-curator"  # noqa: S105 (a public demo login, listed in README.md)
DEMO_GP_EMAIL = "gp@oncodir.example"
DEMO_GP_PASSWORD = "oncodir-demo-gp"  # noqa: S105 (a public demo login, listed in README.md)
DEMO_ONCOLOGIST_EMAIL = "oncologist@oncodir.example"
DEMO_ONCOLOGIST_PASSWORD = "oncodir-demo-oncologist"  # noqa: S105 (a public demo login, listed in README.md)

# Population in millions (2020 census, rounded): where the patients, and so the oncologists, are.
STATE_WEIGHTS = {
    "NY": 20.2, "CA": 39.5, "TX": 29.1, "FL": 21.5, "PA": 13.0, "IL": 12.8, "OH": 11.8, "GA": 10.7,
    "NC": 10.4, "MI": 10.1, "NJ": 9.3, "VA": 8.6, "WA": 7.7, "AZ": 7.2, "MA": 7.0, "TN": 6.9, "IN": 6.8,
    "MD": 6.2, "MO": 6.2, "WI": 5.9, "CO": 5.8, "MN": 5.7, "SC": 5.1, "AL": 5.0, "LA": 4.7, "KY": 4.5,
    "OR": 4.2, "OK": 4.0, "CT": 3.6, "UT": 3.3, "IA": 3.2, "NV": 3.1, "AR": 3.0, "MS": 3.0, "KS": 2.9,
    "NM": 2.1, "NE": 2.0, "ID": 1.8, "WV": 1.8, "HI": 1.5, "NH": 1.4, "ME": 1.4, "RI": 1.1, "MT": 1.1,
    "DE": 1.0, "SD": 0.9, "ND": 0.8, "AK": 0.7, "DC": 0.7, "VT": 0.6, "WY": 0.6,
}  # fmt: skip

# Primary NUCC code -> share of physicians. Mostly hematology-oncology and medical oncology.
PRIMARY_SPECIALTY_WEIGHTS = {
    "207RH0003X": 36,  # hematology & oncology
    "207RX0202X": 22,  # medical oncology
    "2085R0001X": 11,  # radiation oncology
    "2085R0203X": 1,  # therapeutic radiology
    "2086X0206X": 8,  # surgical oncology
    "207VX0201X": 5,  # gynecologic oncology
    "2080P0207X": 4,  # pediatric hematology-oncology
    "207RH0000X": 5,  # hematology
    "207ZH0000X": 1,  # hematology (pathology)
    "207RH0002X": 4,  # palliative (internal medicine)
    "207QH0002X": 1,  # palliative (family medicine)
    "2080H0002X": 0.5,  # palliative (pediatrics)
    "2086H0002X": 0.5,  # palliative (surgery)
}
# A second taxonomy some physicians also hold: primary code -> (probability, code).
SECONDARY_SPECIALTY = {
    "207RH0003X": (0.25, "207RX0202X"),
    "207RX0202X": (0.08, "207RH0002X"),
    "207RH0000X": (0.10, "207RH0003X"),
    "2085R0001X": (0.10, "2085R0203X"),
    "207RH0002X": (0.30, "207RX0202X"),
}

SOLID_TUMORS = [
    "breast", "lung", "colorectal", "prostate", "pancreatic", "melanoma", "kidney", "bladder", "liver",
    "stomach-esophageal", "head-and-neck", "sarcoma", "neuroendocrine", "testicular", "brain", "thyroid",
]  # fmt: skip
BLOOD_CANCERS = ["leukemia", "lymphoma", "myeloma"]
# Category -> (cancer types it treats, how many of them a physician lists: min, max).
CANCERS_BY_CATEGORY = {
    "medical-oncology": (SOLID_TUMORS, 2, 5),
    "hematology-oncology": (SOLID_TUMORS + BLOOD_CANCERS * 2, 2, 6),
    "hematology": (BLOOD_CANCERS, 1, 3),
    "radiation-oncology": (
        ["breast", "lung", "prostate", "brain", "head-and-neck", "colorectal", "gynecologic", "cervical", "sarcoma",
         "lymphoma", "bladder", "stomach-esophageal"],
        2, 5,
    ),
    "surgical-oncology": (
        ["breast", "colorectal", "pancreatic", "melanoma", "liver", "stomach-esophageal", "sarcoma", "thyroid",
         "neuroendocrine"],
        1, 4,
    ),
    "gynecologic-oncology": (["gynecologic", "ovarian", "cervical", "uterine"], 2, 4),
    "pediatric-hematology-oncology": (["pediatric", "leukemia", "brain", "sarcoma", "lymphoma"], 2, 4),
    "palliative-care": (SOLID_TUMORS + BLOOD_CANCERS, 0, 2),
}  # fmt: skip
SPECIALTY_PHRASE = {
    "medical-oncology": "medical oncologist",
    "hematology-oncology": "hematologist-oncologist",
    "hematology": "hematologist",
    "radiation-oncology": "radiation oncologist",
    "surgical-oncology": "surgical oncologist",
    "gynecologic-oncology": "gynecologic oncologist",
    "pediatric-hematology-oncology": "pediatric hematologist-oncologist",
    "palliative-care": "palliative care physician",
}
# NUCC code -> the certificates (board, certificate name) an MD holds for it.
CERTIFICATES = {
    "207RH0003X": [("ABIM", "Medical Oncology"), ("ABIM", "Hematology")],
    "207RX0202X": [("ABIM", "Medical Oncology")],
    "207RH0000X": [("ABIM", "Hematology")],
    "207ZH0000X": [("ABPath", "Hematopathology")],
    "2085R0001X": [("ABR", "Radiation Oncology")],
    "2085R0203X": [("ABR", "Radiation Oncology")],
    "2086X0206X": [("ABS", "Complex General Surgical Oncology")],
    "207VX0201X": [("ABOG", "Gynecologic Oncology")],
    "2080P0207X": [("ABP", "Pediatric Hematology-Oncology")],
    "207RH0002X": [("ABIM", "Hospice and Palliative Medicine")],
    "207QH0002X": [("ABFM", "Hospice and Palliative Medicine")],
    "2080H0002X": [("ABP", "Hospice and Palliative Medicine")],
    "2086H0002X": [("ABS", "Hospice and Palliative Medicine")],
}
# The AOA board a DO may hold instead of the ABMS one.
AOA_EQUIVALENT = {"ABIM": "AOBIM", "ABR": "AOBR", "ABOG": "AOBOG", "ABS": "AOBS", "ABP": "AOBP", "ABFM": "AOBFP"}
CERTIFICATION_STATUS_WEIGHTS = {
    CertificationStatus.CERTIFIED: 84,
    CertificationStatus.LAPSED: 6,
    CertificationStatus.EXPIRED: 5,
    CertificationStatus.INACTIVE: 1.5,
    CertificationStatus.SUSPENDED: 0.5,
    CertificationStatus.REVOKED: 0.2,
    None: 2.8,  # not board certified
}

# Name origins: (share, Faker locale or None for the hand-written lists, languages spoken beyond English).
NAME_ORIGINS = {
    "en_US": (60, [("es", 0.05), ("fr", 0.01)]),
    "es_MX": (9, [("es", 0.75)]),
    "es_ES": (3, [("es", 0.8)]),
    "zh_CN": (5, [("zh", 0.6)]),
    "en_IN": (6, [("hi", 0.5), ("gu", 0.1), ("pa", 0.08), ("ur", 0.05)]),
    "vi_VN": (2.5, [("vi", 0.75)]),
    "ko": (2, [("ko", 0.65)]),
    "ru": (2, [("ru", 0.65)]),
    "ar": (2, [("ar", 0.65), ("fr", 0.15)]),
    "fr_FR": (2, [("fr", 0.6)]),
    "de_DE": (2, [("de", 0.35)]),
    "pt_BR": (2, [("pt", 0.7), ("es", 0.2)]),
    "it_IT": (1.5, [("it", 0.35)]),
    "pl_PL": (1, [("pl", 0.45)]),
}
HAND_WRITTEN_NAMES = {
    "ko": (
        ["Ji-ho", "Min-jun", "Seo-jun", "Hyun-woo", "Jae-won", "Sung-min", "Dong-hyun", "Young-ho"],
        ["Seo-yeon", "Ji-woo", "Min-seo", "Eun-ji", "Hye-jin", "Soo-ah", "Ha-eun", "Yoon-hee"],
        ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Shin", "Oh", "Seo"],
        None,
    ),
    "ru": (
        ["Dmitri", "Sergei", "Alexei", "Mikhail", "Ivan", "Andrei", "Nikolai", "Pavel", "Yuri", "Artyom"],
        ["Olga", "Natalia", "Elena", "Irina", "Tatiana", "Svetlana", "Anastasia", "Yulia", "Ksenia", "Marina"],
        ["Ivanov", "Petrov", "Smirnov", "Volkov", "Sokolov", "Popov", "Lebedev", "Kozlov", "Novikov", "Morozov"],
        ["Ivanova", "Petrova", "Smirnova", "Volkova", "Sokolova", "Popova", "Lebedeva", "Kozlova", "Novikova"],
    ),
    "ar": (
        ["Omar", "Yusuf", "Karim", "Khaled", "Tariq", "Samir", "Rami", "Hassan", "Nabil", "Ziad"],
        ["Layla", "Fatima", "Nadia", "Rania", "Yasmin", "Huda", "Salma", "Amira", "Dalia", "Leïla"],
        ["Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Hamdan", "Aziz", "Farouk", "Khoury", "Said"],
        None,
    ),
}
# Accented names the demo must contain whatever its size, so accent-insensitive search can be shown.
SHOWCASE_NAMES = [
    ("F", "Zoë", "García"),
    ("M", "José", "Nuñez"),
    ("M", "Jürgen", "Müller"),
    ("F", "Renée", "Pérez"),
    ("F", "Inés", "Muñoz"),
    ("M", "François", "Lefèvre"),
    ("F", "Zoë", "Müller"),
    ("M", "Thanh", "Nguyễn"),
]
EXTRA_ACCENTED_LAST = ["García", "Núñez", "Nuñez", "Müller", "Peña", "Gómez", "Ramírez", "Hernández", "Jiménez"]
EXTRA_ACCENTED_FIRST = {"F": ["Zoë", "Chloé", "Inés", "Renée", "Noémie", "María"], "M": ["José", "Joaquín", "Agustín"]}

OTHER_LANGUAGES = ["es", "zh", "vi", "ko", "ru", "ar", "fr", "hi", "pt", "de", "it", "tl", "fa", "ja", "pl", "he"]
SUFFIXES = ["Jr.", "Sr.", "II", "III"]
SAINTS = ["St. Mary's", "St. Joseph's", "St. Luke's", "St. Francis", "St. Vincent's", "Mercy", "Good Samaritan"]

# Real NCI-designated cancer centers (name, city, state, designation).
NCI_CENTERS = [
    ("Memorial Sloan Kettering Cancer Center", "New York", "NY", "comprehensive"),
    ("Dana-Farber/Harvard Cancer Center", "Boston", "MA", "comprehensive"),
    ("The University of Texas MD Anderson Cancer Center", "Houston", "TX", "comprehensive"),
    ("Mayo Clinic Comprehensive Cancer Center", "Rochester", "MN", "comprehensive"),
    ("Fred Hutchinson Cancer Center", "Seattle", "WA", "comprehensive"),
    ("City of Hope Comprehensive Cancer Center", "Duarte", "CA", "comprehensive"),
    ("UCSF Helen Diller Family Comprehensive Cancer Center", "San Francisco", "CA", "comprehensive"),
    ("Sidney Kimmel Comprehensive Cancer Center at Johns Hopkins", "Baltimore", "MD", "comprehensive"),
    ("Abramson Cancer Center of the University of Pennsylvania", "Philadelphia", "PA", "comprehensive"),
    ("Robert H. Lurie Comprehensive Cancer Center of Northwestern University", "Chicago", "IL", "comprehensive"),
    ("Moffitt Cancer Center", "Tampa", "FL", "comprehensive"),
    ("Winship Cancer Institute of Emory University", "Atlanta", "GA", "comprehensive"),
    ("Huntsman Cancer Institute at the University of Utah", "Salt Lake City", "UT", "comprehensive"),
    ("University of Colorado Cancer Center", "Aurora", "CO", "comprehensive"),
    ("Vanderbilt-Ingram Cancer Center", "Nashville", "TN", "comprehensive"),
    ("Rogel Cancer Center, University of Michigan", "Ann Arbor", "MI", "comprehensive"),
    ("Siteman Cancer Center", "Saint Louis", "MO", "comprehensive"),
    ("Case Comprehensive Cancer Center", "Cleveland", "OH", "comprehensive"),
    ("UNC Lineberger Comprehensive Cancer Center", "Chapel Hill", "NC", "comprehensive"),
    ("University of Kansas Cancer Center", "Kansas City", "KS", "comprehensive"),
    ("Roswell Park Comprehensive Cancer Center", "Buffalo", "NY", "comprehensive"),
    ("University of Arizona Cancer Center", "Tucson", "AZ", "comprehensive"),
    ("Markey Cancer Center, University of Kentucky", "Lexington", "KY", "cancer-center"),
    ("Stephenson Cancer Center, University of Oklahoma", "Oklahoma City", "OK", "cancer-center"),
    ("University of New Mexico Comprehensive Cancer Center", "Albuquerque", "NM", "comprehensive"),
    ("Cold Spring Harbor Laboratory Cancer Center", "Cold Spring Harbor", "NY", "basic-laboratory"),
]

NULL = r"\N"


def _copy_text(value: str) -> str:
    """Escape a value for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", " ").replace("\n", " ").replace("\r", " ")


def demo_npis(count: int, seed: int) -> list[str]:
    """`count` distinct NPIs with valid check digits; a prefix of the same seed's longer list."""
    rng = random.Random(f"oncodir-demo:{seed}:npi")
    stems = rng.sample(range(100_000_000, 200_000_000), count)
    return [f"{stem}{npi_check_digit(str(stem))}" for stem in stems]


@dataclass
class Counts:
    physicians: int = 0
    specialties: int = 0
    cancer_types: int = 0
    certifications: int = 0
    locations: int = 0
    affiliations: int = 0
    institutions: int = 0
    accounts: int = 0
    referrals: int = 0
    listing_reports: int = 0

    def add(self, other: "Counts") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class NamePool:
    first: dict[str, list[str]]  # sex -> names
    last: dict[str, list[str]]  # sex -> names
    languages: list[tuple[str, float]]


@dataclass
class Reference:
    """Ids of the reference rows seeded by migration 0003, and the ZIP table by state."""

    specialty_ids: dict[str, int]
    specialty_category: dict[str, str]
    cancer_ids: dict[str, int]
    board_ids: dict[str, int]
    board_kind: dict[str, str]
    zips_by_state: dict[str, list[tuple[str, float, float, str]]]
    zips_by_prefix: dict[str, list[tuple[str, float, float, str]]] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _zip_tables() -> tuple[dict, dict]:
    """ZIP centroids of the 50 states and DC, by state and by 3-digit prefix (the area around a ZIP)."""
    zips_by_state = defaultdict(list)
    zips_by_prefix = defaultdict(list)
    for zip_code, (lat, lng, city, state) in sorted(all_zip_centroids().items()):
        if state in STATE_WEIGHTS and (lat or lng):
            row = (zip_code, lat, lng, _copy_text(city))
            zips_by_state[state].append(row)
            zips_by_prefix[zip_code[:3]].append(row)
    return dict(zips_by_state), dict(zips_by_prefix)


def load_reference() -> Reference:
    zips_by_state, zips_by_prefix = _zip_tables()
    specialties = list(Specialty.objects.values_list("code", "id", "category"))
    boards = list(Board.objects.values_list("code", "id", "kind"))
    return Reference(
        specialty_ids={code: pk for code, pk, _ in specialties},
        specialty_category={code: category for code, _, category in specialties},
        cancer_ids=dict(CancerType.objects.values_list("slug", "id")),
        board_ids={code: pk for code, pk, _ in boards},
        board_kind={code: kind for code, _, kind in boards},
        zips_by_state=zips_by_state,
        zips_by_prefix=zips_by_prefix,
    )


@lru_cache(maxsize=4)
def build_name_pools(seed: int) -> dict[str, NamePool]:
    """Names drawn from Faker once per locale (seeded), so generating a row never calls Faker."""
    from faker import Faker

    pools = {}
    for origin, (_, languages) in NAME_ORIGINS.items():
        if origin in HAND_WRITTEN_NAMES:
            male, female, last_male, last_female = HAND_WRITTEN_NAMES[origin]
            first = {"M": male, "F": female}
            last = {"M": last_male, "F": last_female or last_male}
        else:
            fake = Faker(origin)
            fake.seed_instance(f"{seed}:{origin}")
            romanized = origin == "zh_CN"
            size = 600 if origin == "en_US" else 150

            def draw(method, fake=fake, size=size):
                return sorted({_copy_text(method()) for _ in range(size)})

            if romanized:
                first = {"M": draw(fake.first_romanized_name), "F": draw(fake.first_romanized_name)}
                last = {"M": draw(fake.last_romanized_name), "F": draw(fake.last_romanized_name)}
            else:
                first = {"M": draw(fake.first_name_male), "F": draw(fake.first_name_female)}
                last = {"M": draw(fake.last_name_male), "F": draw(fake.last_name_female)}
        if origin.startswith("es"):
            last = {sex: names + EXTRA_ACCENTED_LAST for sex, names in last.items()}
        if origin in ("es_MX", "fr_FR"):
            first = {sex: names + EXTRA_ACCENTED_FIRST[sex] for sex, names in first.items()}
        pools[origin] = NamePool(first=first, last=last, languages=languages)
    return pools


@lru_cache(maxsize=4)
def build_street_pool(seed: int) -> list[str]:
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(f"{seed}:streets")
    return [_copy_text(f"{fake.building_number()} {fake.street_name()}") for _ in range(3000)]


@dataclass
class DemoPlan:
    """What to build: how many physicians from which seed, and the pools every chunk draws from."""

    physicians: int
    seed: int
    today: datetime.date = field(default_factory=timezone.localdate)

    def __post_init__(self):
        self.reference = load_reference()
        self.npis = demo_npis(self.physicians, self.seed)
        self.names = build_name_pools(self.seed)
        self.streets = build_street_pool(self.seed)
        self.origins = list(NAME_ORIGINS)
        self.origin_weights = [NAME_ORIGINS[o][0] for o in self.origins]
        self.states = list(STATE_WEIGHTS)
        self.state_weights = [STATE_WEIGHTS[s] for s in self.states]
        self.primary_codes = list(PRIMARY_SPECIALTY_WEIGHTS)
        self.primary_weights = list(PRIMARY_SPECIALTY_WEIGHTS.values())
        self.statuses = list(CERTIFICATION_STATUS_WEIGHTS)
        self.status_weights = list(CERTIFICATION_STATUS_WEIGHTS.values())
        # The first physicians each get a different state, so every state appears whatever the size.
        self.state_order = ["NY"] + sorted(s for s in STATE_WEIGHTS if s != "NY")


# --- institutions --------------------------------------------------------------------------------------


def institution_rows(plan: DemoPlan) -> list[tuple[str, str, str, str, str]]:
    """(name, kind, nci_designation, city, state) of the demo's hospitals and cancer centers."""
    rng = random.Random(f"oncodir-demo:{plan.seed}:institutions")
    rows = [(name, "cancer-center", designation, city, state) for name, city, state, designation in NCI_CENTERS]
    total = min(3000, max(150, plan.physicians // 100))
    weight_sum = sum(STATE_WEIGHTS.values())
    for state in plan.states:
        zips = plan.reference.zips_by_state[state]
        for _ in range(max(2, round(total * STATE_WEIGHTS[state] / weight_sum))):
            city = rng.choice(zips)[3]
            pattern = rng.random()
            if pattern < 0.25:
                name, kind = f"{city} General Hospital", "hospital"
            elif pattern < 0.45:
                name, kind = f"{city} Regional Medical Center", "hospital"
            elif pattern < 0.6:
                name, kind = f"{rng.choice(SAINTS)} Hospital {city}", "hospital"
            elif pattern < 0.75:
                name, kind = f"{city} Cancer Institute", "cancer-center"
            elif pattern < 0.9:
                name, kind = f"{city} Oncology Clinic", "clinic"
            else:
                name, kind = f"{city} University Medical Center", "academic"
            rows.append((name, kind, "", city, state))
    unique = {}
    for row in rows:
        unique.setdefault((row[0], row[3], row[4]), row)
    return list(unique.values())


def seed_institutions(plan: DemoPlan) -> tuple[dict[str, list[tuple[int, str]]], int]:
    """Insert the institutions that are missing; return {state: [(id, name)]} and how many were created."""
    rows = institution_rows(plan)
    now = timezone.now()
    table = Institution._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (table name from model meta)
        before = cursor.fetchone()[0]
        buffer = io.StringIO()
        for name, kind, designation, city, state in rows:
            buffer.write(f"{name}\t{kind}\t{designation}\t{city}\t{state}\t{now}\t{now}\n")
        buffer.seek(0)
        cursor.execute(
            "CREATE TEMP TABLE demo_institution (name text, kind text, nci_designation text, city text, "
            "state text, created_at timestamptz, updated_at timestamptz) ON COMMIT DROP"
        )
        cursor.copy_expert("COPY demo_institution FROM STDIN", buffer)
        cursor.execute(
            f"INSERT INTO {table} (name, kind, nci_designation, city, state, created_at, updated_at) "  # noqa: S608
            "SELECT * FROM demo_institution ON CONFLICT (name, city, state) DO NOTHING"
        )
        cursor.execute("DROP TABLE demo_institution")
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        created = cursor.fetchone()[0] - before
    wanted = {(name, city, state) for name, _, _, city, state in rows}
    by_state = defaultdict(list)
    for pk, name, city, state in Institution.objects.order_by("pk").values_list("pk", "name", "city", "state"):
        if (name, city, state) in wanted:
            by_state[state].append((pk, _copy_text(name)))
    return dict(by_state), created


# --- physicians ----------------------------------------------------------------------------------------

PHYSICIAN_COLUMNS = (
    "id", "npi", "first_name", "middle_name", "last_name", "name_suffix", "credentials", "sex", "bio",
    "languages", "telehealth", "is_active", "deactivated_on", "reactivated_on", "enumerated_on",
    "nppes_updated_on", "last_verified_on", "source", "nppes_snapshot", "created_at", "updated_at",
)  # fmt: skip
SPECIALTY_COLUMNS = ("physician_id", "specialty_id", "is_primary")
CANCER_COLUMNS = ("physician_id", "cancertype_id")
CERTIFICATION_COLUMNS = (
    "physician_id", "board_id", "certificate_name", "status", "moc_status", "first_certified_on", "expires_on",
    "verified_on", "verification_source", "created_at", "updated_at",
)  # fmt: skip
LOCATION_COLUMNS = (
    "physician_id", "name", "address_line1", "address_line2", "city", "state", "zip_code", "phone", "latitude",
    "longitude", "accepting_new_patients", "is_primary", "created_at", "updated_at",
)  # fmt: skip
AFFILIATION_COLUMNS = ("physician_id", "institution_id")


class ChunkWriter:
    """Accumulates one chunk's rows as COPY text, table by table."""

    def __init__(self):
        self.buffers = {name: io.StringIO() for name in ("physician", "specialty", "cancer", "cert", "loc", "aff")}
        self.counts = Counts()

    def write(self, name: str, *values) -> None:
        self.buffers[name].write("\t".join(values))
        self.buffers[name].write("\n")

    def copy(self, cursor) -> None:
        cancer_table = Physician.cancer_types.through._meta.db_table
        targets = [
            ("physician", Physician._meta.db_table, PHYSICIAN_COLUMNS),
            ("specialty", PhysicianSpecialty._meta.db_table, SPECIALTY_COLUMNS),
            ("cancer", cancer_table, CANCER_COLUMNS),
            ("cert", BoardCertification._meta.db_table, CERTIFICATION_COLUMNS),
            ("loc", PracticeLocation._meta.db_table, LOCATION_COLUMNS),
            ("aff", Affiliation._meta.db_table, AFFILIATION_COLUMNS),
        ]
        for name, table, columns in targets:
            buffer = self.buffers[name]
            if buffer.tell():
                buffer.seek(0)
                cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


@dataclass
class DrawnPhysician:
    """Everything drawn for one physician, step by step, before any of it is written."""

    index: int
    sex: str = ""
    first: str = ""
    middle: str = ""
    last: str = ""
    suffix: str = ""
    credentials: str = ""
    pool: NamePool | None = None
    languages: list[str] = field(default_factory=lambda: ["en"])
    category: str = ""
    codes: list[str] = field(default_factory=list)
    cancers: list[str] = field(default_factory=list)
    telehealth: bool | None = None
    active: bool = True
    deactivated_on: str = NULL
    enumerated: int = 0
    nppes_updated: int = 0
    last_verified: str = NULL
    source: str = ""
    state: str = ""
    primary_zip: tuple[str, float, float, str] = ("", 0.0, 0.0, "")
    zips: list[tuple[str, float, float, str]] = field(default_factory=list)
    affiliations: list[tuple[int, str]] = field(default_factory=list)
    certificates: list[tuple] = field(default_factory=list)
    locations: list[tuple] = field(default_factory=list)


class PhysicianGenerator:
    """Generates the rows of one chunk from its own random generator, one physician after another."""

    def __init__(self, plan: DemoPlan, institutions: dict[str, list[tuple[int, str]]], chunk: int):
        self.plan = plan
        self.ref = plan.reference
        self.institutions = institutions
        self.rng = random.Random(f"oncodir-demo:{plan.seed}:chunk:{chunk}")
        self.today = plan.today.toordinal()
        self.now = str(timezone.now())

    def date(self, days_ago: int) -> str:
        return datetime.date.fromordinal(self.today - days_ago).isoformat()

    def physician(self, out: ChunkWriter, index: int, npi: str, pk: int, include: bool) -> None:
        """Draw physician number `index`; write its rows only when `include` (its NPI is new).

        The steps draw from one generator in a fixed order: reordering them changes every later physician.
        """
        drawn = DrawnPhysician(index=index)
        self.draw_name(drawn)
        self.draw_languages(drawn)
        self.draw_specialties(drawn)
        self.draw_record(drawn)
        self.draw_places(drawn)
        self.draw_certificates(drawn)
        # Every draw happens before `include` is looked at, so a skipped physician leaves the next unchanged.
        self.draw_locations(drawn)
        if include:
            self.write(out, drawn, npi, pk)

    def draw_name(self, drawn: "DrawnPhysician") -> None:
        rng, plan, index = self.rng, self.plan, drawn.index
        if index < len(SHOWCASE_NAMES):
            drawn.sex, drawn.first, drawn.last = SHOWCASE_NAMES[index]
            origin = "es_MX" if index % 2 == 0 else "en_US"
        else:
            roll = rng.random()
            drawn.sex = "M" if roll < 0.55 else "F" if roll < 0.98 else ""
            origin = rng.choices(plan.origins, plan.origin_weights)[0]
            pool = plan.names[origin]
            name_sex = drawn.sex or rng.choice("MF")
            drawn.first = rng.choice(pool.first[name_sex])
            drawn.last = rng.choice(pool.last[name_sex])
        drawn.pool = plan.names[origin]
        roll = rng.random()
        if roll < 0.3:
            drawn.middle = f"{chr(65 + rng.randrange(26))}."
        elif roll < 0.4:
            drawn.middle = rng.choice(drawn.pool.first[drawn.sex or "F"])
        drawn.suffix = rng.choice(SUFFIXES) if rng.random() < 0.02 else ""
        roll = rng.random()
        drawn.credentials = "MD" if roll < 0.86 else "DO" if roll < 0.96 else "MD, PhD"

    def draw_languages(self, drawn: "DrawnPhysician") -> None:
        rng, languages = self.rng, drawn.languages
        for code, probability in drawn.pool.languages:
            if rng.random() < probability and code not in languages:
                languages.append(code)
        if rng.random() < 0.06:
            extra = rng.choice(OTHER_LANGUAGES)
            if extra not in languages:
                languages.append(extra)

    def draw_specialties(self, drawn: "DrawnPhysician") -> None:
        """The primary taxonomy, perhaps a secondary one, and the cancer types the category treats."""
        rng, plan = self.rng, self.plan
        primary = "207RH0003X" if drawn.index == 0 else rng.choices(plan.primary_codes, plan.primary_weights)[0]
        drawn.category = self.ref.specialty_category[primary]
        drawn.codes = [primary]
        secondary = SECONDARY_SPECIALTY.get(primary)
        if secondary and rng.random() < secondary[0]:
            drawn.codes.append(secondary[1])
        cancer_pool, low, high = CANCERS_BY_CATEGORY[drawn.category]
        drawn.cancers = sorted(set(rng.sample(cancer_pool, rng.randint(low, high))))

    def draw_record(self, drawn: "DrawnPhysician") -> None:
        """Telehealth, whether active, and the dates of the NPPES record and of its last verification."""
        rng = self.rng
        drawn.telehealth = _yes_no_unknown(rng.random(), yes=0.45, no=0.40)
        drawn.active = drawn.index == 0 or rng.random() < 0.97
        drawn.deactivated_on = NULL if drawn.active else self.date(rng.randint(1, 900))
        drawn.enumerated = rng.randint(400, 7300)
        drawn.nppes_updated = rng.randint(0, drawn.enumerated - 1)
        roll = rng.random()
        drawn.last_verified = NULL if roll < 0.02 else self.date(rng.randint(0, 3 * 365))
        drawn.source = "nppes" if rng.random() < 0.8 else "manual"

    def draw_places(self, drawn: "DrawnPhysician") -> None:
        """The state, the ZIPs of the locations and the institutions: the first physicians cover every
        state, the rest follow the population."""
        rng, plan, ref, index = self.rng, self.plan, self.ref, drawn.index
        if index < len(plan.state_order):
            drawn.state = plan.state_order[index]
        else:
            drawn.state = rng.choices(plan.states, plan.state_weights)[0]
        drawn.primary_zip = rng.choice(ref.zips_by_state[drawn.state])
        roll = rng.random()
        location_count = 1 if roll < 0.55 else 2 if roll < 0.85 else 3
        drawn.zips = [drawn.primary_zip]
        for _ in range(location_count - 1):
            nearby = ref.zips_by_prefix[drawn.primary_zip[0][:3]]
            drawn.zips.append(rng.choice(nearby) if rng.random() < 0.8 else rng.choice(ref.zips_by_state[drawn.state]))

        local = self.institutions.get(drawn.state, [])
        roll = rng.random()
        if local and roll < 0.9:
            drawn.affiliations.append(rng.choice(local))
            if roll < 0.2:
                other = rng.choice(local)
                if other not in drawn.affiliations:
                    drawn.affiliations.append(other)

    def draw_certificates(self, drawn: "DrawnPhysician") -> None:
        rng = self.rng
        status = rng.choices(self.plan.statuses, self.plan.status_weights)[0]
        if status is None:
            return
        certificates = CERTIFICATES[drawn.codes[0]]
        if drawn.credentials == "DO" and rng.random() < 0.5:
            certificates = [(AOA_EQUIVALENT.get(board, board), name) for board, name in certificates]
        lifetime = status == CertificationStatus.CERTIFIED and rng.random() < 0.04
        first_days = rng.randint(36 * 365, 44 * 365) if lifetime else rng.randint(1100, 34 * 365)
        for board, certificate_name in certificates:
            first_certified = self.today - first_days - rng.randint(0, 400)
            expires, moc = self.draw_expiry(status, lifetime, first_certified)
            verified = self.date(rng.randint(0, 3 * 365))
            source_name = "ABMS Certification Matters" if self.ref.board_kind[board] == "abms" else "AOA Find a DO"
            drawn.certificates.append(
                (board, certificate_name, status, moc, datetime.date.fromordinal(first_certified).isoformat(),
                 expires, verified, source_name)
            )  # fmt: skip

    def draw_expiry(self, status: str, lifetime: bool, first_certified: int) -> tuple[str, str]:
        """A certificate's expiry date and maintenance-of-certification status, consistent with its status."""
        rng = self.rng
        if lifetime:
            return NULL, MOCStatus.NOT_REQUIRED
        if status == CertificationStatus.CERTIFIED:
            expires = self.date(-rng.randint(60, 3650))
            return expires, MOCStatus.MEETING if rng.random() < 0.9 else MOCStatus.UNKNOWN
        if status == CertificationStatus.LAPSED:
            return self.date(rng.randint(1, 700)), MOCStatus.NOT_MEETING
        if status == CertificationStatus.EXPIRED:
            span = self.today - first_certified - 365
            return self.date(rng.randint(1, max(1, min(3650, span)))), MOCStatus.NOT_MEETING
        return self.date(-rng.randint(30, 2000)), MOCStatus.NOT_MEETING

    def draw_locations(self, drawn: "DrawnPhysician") -> None:
        rng = self.rng
        for position, (zip_code, lat, lng, zip_city) in enumerate(drawn.zips):
            if drawn.affiliations and rng.random() < 0.4:
                name = drawn.affiliations[0][1]
            else:
                name = rng.choice(
                    (f"{zip_city} Oncology Associates", f"{zip_city} Cancer Care",
                     f"{drawn.last} Hematology & Oncology", f"Cancer Center of {zip_city}",
                     f"{zip_city} Hematology Oncology Group")
                )  # fmt: skip
            suite = f"Suite {rng.randint(1, 9)}{rng.randint(0, 9)}0" if rng.random() < 0.5 else ""
            phone = f"{rng.randint(201, 989)}-555-01{rng.randint(0, 99):02d}"
            accepting = True if drawn.index == 0 else _yes_no_unknown(rng.random(), yes=0.70, no=0.15)
            drawn.locations.append(
                (name, rng.choice(self.plan.streets), suite, zip_city, drawn.state, zip_code, phone, str(lat),
                 str(lng), _copy_bool(accepting), "t" if position == 0 else "f")
            )  # fmt: skip

    def write(self, out: ChunkWriter, drawn: "DrawnPhysician", npi: str, pk: int) -> None:
        """One physician's COPY rows in every table, and their counts."""
        ref, d = self.ref, drawn
        city = d.primary_zip[3]
        focus = f" Focus areas: {', '.join(slug.replace('-', ' ') for slug in d.cancers[:4])}." if d.cancers else ""
        bio = f"Dr. {d.last} is a {SPECIALTY_PHRASE[d.category]} in {city}, {d.state}.{focus}"
        out.write(
            "physician", str(pk), npi, d.first, d.middle, d.last, d.suffix, d.credentials, d.sex, bio,
            "{" + ",".join(d.languages) + "}", _copy_bool(d.telehealth), "t" if d.active else "f",
            d.deactivated_on, NULL, self.date(d.enumerated), self.date(d.nppes_updated), d.last_verified, d.source,
            "{}", self.now, self.now,
        )  # fmt: skip
        out.counts.physicians += 1
        for position, code in enumerate(d.codes):
            out.write("specialty", str(pk), str(ref.specialty_ids[code]), "t" if position == 0 else "f")
        out.counts.specialties += len(d.codes)
        for slug in d.cancers:
            out.write("cancer", str(pk), str(ref.cancer_ids[slug]))
        out.counts.cancer_types += len(d.cancers)
        for board, certificate_name, status_value, moc, first_on, expires, verified, source_name in d.certificates:
            out.write(
                "cert", str(pk), str(ref.board_ids[board]), certificate_name, str(status_value), str(moc), first_on,
                expires, verified, source_name, self.now, self.now,
            )  # fmt: skip
        out.counts.certifications += len(d.certificates)
        for location in d.locations:
            out.write("loc", str(pk), *location, self.now, self.now)
        out.counts.locations += len(d.zips)
        for institution_id, _ in d.affiliations:
            out.write("aff", str(pk), str(institution_id))
        out.counts.affiliations += len(d.affiliations)


# The insurance plans the demo locations take, drawn by hashing the NPI, ZIP code and carrier (the same on every
# run): 7 locations in 10 list plans (the others: not known); of those, 9 in 10 take Medicare, half Medicaid, and
# 45 in 100 each commercial carrier, all of its plan types but HMO half the time. About 9 rows per location.
DEMO_INSURANCE_SQL = """
    INSERT INTO directory_acceptedplan (location_id, plan_id, source, updated_at)
    SELECT l.id, p.id, 'curator', now()
      FROM directory_practicelocation l
      JOIN directory_physician ph ON ph.id = l.physician_id
      CROSS JOIN directory_insuranceplan p
      JOIN directory_insurancecarrier c ON c.id = p.carrier_id
     WHERE l.physician_id = ANY(%s::bigint[])
       AND abs(hashtext(ph.npi || l.zip_code)) %% 10 < 7
       AND abs(hashtext(ph.npi || l.zip_code || c.slug)) %% 100
           < CASE c.slug WHEN 'medicare' THEN 90 WHEN 'medicaid' THEN 50 ELSE 45 END
       AND (p.plan_type <> 'hmo' OR abs(hashtext(ph.npi || c.slug)) %% 2 = 0)
    ON CONFLICT DO NOTHING
"""


def _existing_npis(cursor, npis: list[str]) -> set[str]:
    cursor.execute(f"SELECT npi FROM {Physician._meta.db_table} WHERE npi = ANY(%s)", [npis])  # noqa: S608
    return {row[0] for row in cursor.fetchall()}


def _reserve_ids(cursor, count: int) -> list[int]:
    table = Physician._meta.db_table
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
    return [row[0] for row in cursor.fetchall()]


def seed_physicians(plan: DemoPlan, institutions: dict[str, list[tuple[int, str]]], progress=None) -> Counts:
    """Insert the plan's physicians whose NPIs are missing, with their specialties, cancers, certificates,
    locations and affiliations. Chunks whose NPIs all exist are skipped without generating anything."""
    total = Counts()
    with connection.cursor() as cursor:
        # Skip the per-table refresh triggers and derive each chunk's search columns in one UPDATE
        # (apps/directory/sql/directory_refresh_physicians.sql): five rewrites of every new physician row
        # become one.
        cursor.execute("SELECT set_config('oncodir.bulk_load', 'on', true)")
        seeded_chunks = 0
        try:
            for chunk, start in enumerate(range(0, plan.physicians, CHUNK_SIZE)):
                npis = plan.npis[start : start + CHUNK_SIZE]
                existing = _existing_npis(cursor, npis)
                if len(existing) == len(npis):
                    continue
                reserved = _reserve_ids(cursor, len(npis) - len(existing))
                ids = iter(reserved)
                generator = PhysicianGenerator(plan, institutions, chunk)
                out = ChunkWriter()
                for offset, npi in enumerate(npis):
                    include = npi not in existing
                    generator.physician(out, start + offset, npi, next(ids) if include else 0, include)
                out.copy(cursor)
                seeded_chunks += 1
                if seeded_chunks & (seeded_chunks - 1) == 0:
                    # The seed is one transaction, so autovacuum never sees its rows: without fresh
                    # statistics the refresh below is planned for empty tables (126 s instead of 15 s for
                    # the first 20,000 physicians). ANALYZE counts this transaction's own rows.
                    cursor.execute(f"ANALYZE {', '.join(SEEDED_TABLES)}")
                cursor.execute("SELECT directory_refresh_physicians(%s::bigint[])", [reserved])
                cursor.execute(DEMO_INSURANCE_SQL, [reserved])
                total.add(out.counts)
                if progress:
                    progress(start + len(npis), total)
        finally:
            cursor.execute("SELECT set_config('oncodir.bulk_load', 'off', true)")
    return total


# --- demo accounts -------------------------------------------------------------------------------------


def seed_demo_accounts(plan: DemoPlan) -> int:
    """The curator, GP and oncologist README.md lists; an account that exists already is left alone."""
    created = 0
    if not User.objects.filter(email=DEMO_CURATOR_EMAIL).exists():
        User.objects.create_superuser(DEMO_CURATOR_EMAIL, DEMO_CURATOR_PASSWORD, full_name="Casey Curator")
        created += 1
    if not User.objects.filter(email=DEMO_GP_EMAIL).exists():
        User.objects.create_user(
            DEMO_GP_EMAIL,
            DEMO_GP_PASSWORD,
            full_name="Dr. Gale Prentice",
            role=Role.GP,
            practice_name="Main Street Family Practice",
            phone="212-555-0199",
            npi=npi_with_check_digit("199999999"),
        )
        created += 1
    physician = Physician.objects.filter(npi=plan.npis[0], account__isnull=True).first() if plan.npis else None
    if physician and not User.objects.filter(email=DEMO_ONCOLOGIST_EMAIL).exists():
        User.objects.create_user(
            DEMO_ONCOLOGIST_EMAIL,
            DEMO_ONCOLOGIST_PASSWORD,
            full_name=f"Dr. {physician.first_name} {physician.last_name}",
            role=Role.ONCOLOGIST,
            physician=physician,
        )
        created += 1
    return created


# What visitors reported about the first demo physicians (by NPI), so the curators' queue shows on a fresh run.
DEMO_LISTING_REPORTS = [
    (1, ListingProblem.PHONE, "The number on the site rings a closed office."),
    (1, ListingProblem.NOT_ACCEPTING, ""),
    (2, ListingProblem.MOVED, "Moved to the new cancer center across town in the spring."),
    (3, ListingProblem.OTHER, "The languages are wrong: she also speaks Portuguese."),
]


def seed_demo_listing_reports(plan: DemoPlan) -> int:
    """A few open reports of wrong listings; none when any report exists already."""
    if ListingReport.objects.exists():
        return 0
    by_npi = Physician.objects.active().in_bulk(plan.npis[1:4], field_name="npi")
    reports = [
        ListingReport(physician=by_npi[plan.npis[index]], problem=problem, details=details)
        for index, problem, details in DEMO_LISTING_REPORTS
        if plan.npis[index : index + 1] and plan.npis[index] in by_npi
    ]
    ListingReport.objects.bulk_create(reports)
    return len(reports)


def elapsed(started: float) -> str:
    return f"{time.monotonic() - started:.1f}s"


def iter_counts(counts: Counts) -> Iterable[tuple[str, int]]:
    return ((name.replace("_", " "), getattr(counts, name)) for name in counts.__dataclass_fields__)


def _yes_no_unknown(roll: float, *, yes: float, no: float) -> bool | None:
    """Yes, no or not known from one draw, so the number of draws (and every later physician) stays the same."""
    return True if roll < yes else False if roll < yes + no else None


def _copy_bool(value: bool | None) -> str:
    return NULL if value is None else "t" if value else "f"
