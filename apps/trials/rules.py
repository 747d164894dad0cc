"""What the trials import keeps and how it reads it: each rule once, used by the import's SQL (passed as
parameters) and by the models.

The patterns are PostgreSQL regular expressions (ARE: \\m and \\M are word starts and ends), matched
against a study's conditions and derived MeSH terms in lower case.
"""

from localflavor.us.us_states import US_STATES

US_COUNTRY = "United States"
INTERVENTIONAL = "INTERVENTIONAL"
RECRUITING = "RECRUITING"
# The statuses of a site enrolling now (SiteQuerySet.recruiting, the radius search's index): none given
# means the study's overall status speaks.
SITE_RECRUITING = (RECRUITING, "")

# What an NCT id is: the Trial table's constraint and every form and URL that takes one.
NCT_ID_PATTERN = r"^NCT[0-9]{8}$"
NCT_ID_FORMAT = "An NCT id is NCT and 8 digits."
# A study's own page on ClinicalTrials.gov.
STUDY_URL = "https://clinicaltrials.gov/study/{nct_id}"

# Overall statuses after which a study enrols no one (ClinicalTrials.gov's closed statuses).
CLOSED_STATUSES = frozenset(
    {"COMPLETED", "TERMINATED", "WITHDRAWN", "SUSPENDED", "ACTIVE_NOT_RECRUITING", "UNKNOWN", "NO_LONGER_AVAILABLE"}
)

# A study is about cancer when its conditions or its derived MeSH terms (or their ancestors, which name
# "Neoplasms" for every tumour the NLM indexed) say so.
CANCER = (
    r"cancer|neoplas|carcino|tumou?r|malignan|lymphoma|leuk[ae]mia|melanoma|sarcoma|myeloma|glioma|"
    r"blastoma|oncolog|metasta|mesothelioma|myelodysplas|\mhgg\M|\mnsclc\M"
)

# OncoDir's cancer types (apps.directory CancerType slugs) and the words that put a study under them.
CANCER_TYPE_PATTERNS = {
    "breast": r"breast",
    "lung": r"\mlung|nsclc|\msclc\M|bronch",
    "colorectal": r"colorectal|\mcolon|\mrect(al|um)\M|\mcrc\M",
    "prostate": r"prostat",
    "pancreatic": r"pancrea",
    "melanoma": r"melanoma|\mskin\M|merkel|basal cell|cutaneous",
    "leukemia": r"leuk[ae]mia|myelodysplas",
    "lymphoma": r"lymphoma|hodgkin",
    "myeloma": r"myeloma|plasma cell",
    "brain": r"glioma|glioblastoma|astrocytoma|\mbrain|spinal cord|medulloblastoma|ependymoma|central nervous system|\mhgg\M",
    "head-and-neck": r"head and neck|oropharyn|laryn|nasopharyn|hypopharyn|salivary|oral cavity|tongue|\mhnscc\M",
    "gynecologic": r"gyn[ae]colog|\movar|cervi[xc]|\muter|endometri|vulv|vagin|fallopian",
    "ovarian": r"\movar|fallopian|primary peritoneal",
    "cervical": r"cervi(x|cal cancer|cal carcinoma|cal neoplasm)",
    "uterine": r"\muter|endometri",
    "sarcoma": r"sarcoma|\mgist\M|gastrointestinal stromal",
    "pediatric": r"child|pediatric|paediatric|neuroblastoma|wilms|retinoblastoma",
    "kidney": r"\mkidney|\mrenal",
    "bladder": r"bladder|urothelial",
    "liver": r"\mliver|hepatocellular|cholangio|biliary|bile duct",
    "stomach-esophageal": r"stomach|gastric|(o)?esophag",
    "thyroid": r"thyroid",
    "testicular": r"testi(s|cular)|germ cell",
    "neuroendocrine": r"neuroendocrine|carcinoid|pheochromocytoma",
}

# A site's state as a US postal code: a state's full name as published (any case) gives its code; anything else
# (a code already, a province abroad, nothing) is upper-cased, so it equals a practice's state only when it is one.
# The matching (its SQL) and the pages (models.StateCode) both write it from this text: {state} is the site's
# state column, {codes} and {names} the placeholders of STATE_CODES and STATE_NAMES.
STATE_CODES = [code for code, _ in US_STATES]
STATE_NAMES = [str(name) for _, name in US_STATES]
STATE_CODE_SQL = (
    "coalesce((SELECT s.code FROM unnest({codes}::text[], {names}::text[]) AS s(code, name)"
    " WHERE upper(s.name) = upper({state}) LIMIT 1), upper({state}))"
)
