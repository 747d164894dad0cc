"""The NPPES dissemination file's columns, by name, in both published layouts.

The importer finds columns by header name; these lists exist to name the columns it reads and to write
synthetic files in the exact published shape (tests and benchmarks).
"""

TAXONOMY_SLOTS = 15
OTHER_IDENTIFIER_SLOTS = 50

NPI = "NPI"
ENTITY_TYPE = "Entity Type Code"
LAST_NAME = "Provider Last Name (Legal Name)"
FIRST_NAME = "Provider First Name"
MIDDLE_NAME = "Provider Middle Name"
NAME_SUFFIX = "Provider Name Suffix Text"
CREDENTIALS = "Provider Credential Text"
PRACTICE_LINE1 = "Provider First Line Business Practice Location Address"
PRACTICE_LINE2 = "Provider Second Line Business Practice Location Address"
PRACTICE_CITY = "Provider Business Practice Location Address City Name"
PRACTICE_STATE = "Provider Business Practice Location Address State Name"
PRACTICE_POSTAL_CODE = "Provider Business Practice Location Address Postal Code"
PRACTICE_PHONE = "Provider Business Practice Location Address Telephone Number"
ENUMERATION_DATE = "Provider Enumeration Date"
LAST_UPDATE_DATE = "Last Update Date"
DEACTIVATION_DATE = "NPI Deactivation Date"
REACTIVATION_DATE = "NPI Reactivation Date"
SEX_CODES = ("Provider Sex Code", "Provider Gender Code")  # current layout first, then the 329-column one
CERTIFICATION_DATE = "Certification Date"


def taxonomy_code(slot: int) -> str:
    return f"Healthcare Provider Taxonomy Code_{slot}"


def primary_switch(slot: int) -> str:
    return f"Healthcare Provider Primary Taxonomy Switch_{slot}"


_HEAD = [
    NPI,
    ENTITY_TYPE,
    "Replacement NPI",
    "Employer Identification Number (EIN)",
    "Provider Organization Name (Legal Business Name)",
    LAST_NAME,
    FIRST_NAME,
    MIDDLE_NAME,
    "Provider Name Prefix Text",
    NAME_SUFFIX,
    CREDENTIALS,
    "Provider Other Organization Name",
    "Provider Other Organization Name Type Code",
    "Provider Other Last Name",
    "Provider Other First Name",
    "Provider Other Middle Name",
    "Provider Other Name Prefix Text",
    "Provider Other Name Suffix Text",
    "Provider Other Credential Text",
    "Provider Other Last Name Type Code",
    "Provider First Line Business Mailing Address",
    "Provider Second Line Business Mailing Address",
    "Provider Business Mailing Address City Name",
    "Provider Business Mailing Address State Name",
    "Provider Business Mailing Address Postal Code",
    "Provider Business Mailing Address Country Code (If outside U.S.)",
    "Provider Business Mailing Address Telephone Number",
    "Provider Business Mailing Address Fax Number",
    PRACTICE_LINE1,
    PRACTICE_LINE2,
    PRACTICE_CITY,
    PRACTICE_STATE,
    PRACTICE_POSTAL_CODE,
    "Provider Business Practice Location Address Country Code (If outside U.S.)",
    PRACTICE_PHONE,
    "Provider Business Practice Location Address Fax Number",
    ENUMERATION_DATE,
    LAST_UPDATE_DATE,
    "NPI Deactivation Reason Code",
    DEACTIVATION_DATE,
    REACTIVATION_DATE,
    "{sex}",
    "Authorized Official Last Name",
    "Authorized Official First Name",
    "Authorized Official Middle Name",
    "Authorized Official Title or Position",
    "Authorized Official Telephone Number",
]

_TAIL = [
    "Is Sole Proprietor",
    "Is Organization Subpart",
    "Parent Organization LBN",
    "Parent Organization TIN",
    "Authorized Official Name Prefix Text",
    "Authorized Official Name Suffix Text",
    "Authorized Official Credential Text",
]


def nppes_header(*, current: bool = True) -> list[str]:
    """The column names: 330 in the current layout, 329 in the older one (`Provider Gender Code`)."""
    sex = SEX_CODES[0] if current else SEX_CODES[1]
    header = [sex if name == "{sex}" else name for name in _HEAD]
    for slot in range(1, TAXONOMY_SLOTS + 1):
        header += [
            taxonomy_code(slot),
            f"Provider License Number_{slot}",
            f"Provider License Number State Code_{slot}",
            primary_switch(slot),
        ]
    for slot in range(1, OTHER_IDENTIFIER_SLOTS + 1):
        header += [
            f"Other Provider Identifier_{slot}",
            f"Other Provider Identifier Type Code_{slot}",
            f"Other Provider Identifier State_{slot}",
            f"Other Provider Identifier Issuer_{slot}",
        ]
    header += _TAIL
    header += [f"Healthcare Provider Taxonomy Group_{slot}" for slot in range(1, TAXONOMY_SLOTS + 1)]
    if current:
        header.append(CERTIFICATION_DATE)
    return header


# The secondary practice location file (pl_pfile_*.csv, NPPES's "Practice Location Reference File"):
# one row per additional location of a provider, headed exactly so (the double space is NPPES's).
_SECONDARY = "Provider Secondary Practice Location Address"
SECONDARY_LINE1 = f"{_SECONDARY}- Address Line 1"
SECONDARY_LINE2 = f"{_SECONDARY}-  Address Line 2"
SECONDARY_CITY = f"{_SECONDARY} - City Name"
SECONDARY_STATE = f"{_SECONDARY} - State Name"
SECONDARY_POSTAL_CODE = f"{_SECONDARY} - Postal Code"
SECONDARY_COUNTRY = f"{_SECONDARY} - Country Code (If outside U.S.)"
SECONDARY_PHONE = f"{_SECONDARY} - Telephone Number"
SECONDARY_EXTENSION = f"{_SECONDARY} - Telephone Extension"
SECONDARY_FAX = "Provider Practice Location Address - Fax Number"


def secondary_header() -> list[str]:
    """The secondary practice location file's 10 columns."""
    return [
        NPI,
        SECONDARY_LINE1,
        SECONDARY_LINE2,
        SECONDARY_CITY,
        SECONDARY_STATE,
        SECONDARY_POSTAL_CODE,
        SECONDARY_COUNTRY,
        SECONDARY_PHONE,
        SECONDARY_EXTENSION,
        SECONDARY_FAX,
    ]
