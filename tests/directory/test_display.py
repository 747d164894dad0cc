"""Readable display of registry capitals (apps/directory/display.py): the hard cases, table by table."""

import pytest

from apps.directory import display
from apps.directory.models import Physician, PracticeLocation

# (first, middle, last, suffix, credentials) as NPPES or a curator stores them -> the name a page shows.
FULL_NAMES = [
    pytest.param(("JEFFERY", "", "SPIRO", "", "MD"), "Jeffery Spiro, MD", id="registry-capitals"),
    pytest.param(("RONALD", "", "MCDONALD", "", "M.D."), "Ronald McDonald, MD", id="mc"),
    pytest.param(("ALISTAIR", "", "MACLEOD", "", "MD"), "Alistair MacLeod, MD", id="mac-known"),
    pytest.param(("LUIS", "", "MACHADO", "", "MD"), "Luis Machado, MD", id="mac-lookalike-machado"),
    pytest.param(("ANA", "", "MACIAS", "", "MD"), "Ana Macias, MD", id="mac-lookalike-macias"),
    pytest.param(("JOHN", "", "MACK", "", "DO"), "John Mack, DO", id="mac-lookalike-mack"),
    pytest.param(("SEAN", "P", "O'BRIEN", "", "MD"), "Sean P O'Brien, MD", id="o-apostrophe"),
    pytest.param(("MARIA", "", "D'ANGELO", "", "D.O."), "Maria D'Angelo, DO", id="d-apostrophe"),
    pytest.param(("EMILY", "", "SMITH-JONES", "", "MD"), "Emily Smith-Jones, MD", id="hyphenated"),
    pytest.param(("KATHLEEN", "", "MCDONALD-O'NEIL", "", "MD"), "Kathleen McDonald-O'Neil, MD", id="hyphen-mc-o"),
    pytest.param(("PIETER", "", "VAN DER BERG", "", "MD"), "Pieter van der Berg, MD", id="van-der"),
    pytest.param(("JUAN", "", "DE LA CRUZ", "", "MD"), "Juan de la Cruz, MD", id="de-la"),
    pytest.param(("ROSA", "", "DOS SANTOS", "", "MD"), "Rosa dos Santos, MD", id="dos"),
    pytest.param(("ANTHONY", "", "LA ROSA", "", "MD"), "Anthony La Rosa, MD", id="la-alone-is-a-surname"),
    pytest.param(("MARTIN", "", "VAN", "", "MD"), "Martin Van, MD", id="particle-as-whole-surname"),
    pytest.param(("MARIA", "DE LOURDES", "GARCIA", "", "MD"), "Maria de Lourdes Garcia, MD", id="particle-in-middle"),
    pytest.param(("DE ANDRE", "", "JONES", "", "MD"), "De Andre Jones, MD", id="given-name-starting-with-particle"),
    pytest.param(("ROBERT", "", "SMITH", "III", "MD"), "Robert Smith III, MD", id="suffix-iii"),
    pytest.param(("HENRY", "", "FORD", "II", "MD"), "Henry Ford II, MD", id="suffix-ii"),
    pytest.param(("JAMES", "", "BROWN", "JR", "MD"), "James Brown Jr., MD", id="suffix-jr"),
    pytest.param(("JAMES", "", "BROWN", "JR.", "MD"), "James Brown Jr., MD", id="suffix-jr-dot"),
    pytest.param(("PAUL", "", "GREEN", "SR", "DO"), "Paul Green Sr., DO", id="suffix-sr"),
    pytest.param(("WILLIAM", "", "GATES IV", "", "MD"), "William Gates IV, MD", id="roman-inside-last-name"),
    pytest.param(("XI", "", "CHEN", "", "MD"), "Xi Chen, MD", id="roman-lookalike-first-name"),
    pytest.param(("LI", "", "WANG", "", "MD, PHD"), "Li Wang, MD, PhD", id="li-and-phd"),
    pytest.param(("JOHN", "Q.", "PUBLIC", "", "M.D., PH.D."), "John Q. Public, MD, PhD", id="initial-with-dot"),
    pytest.param(("MARY ANN", "", "O'CONNOR", "", "MD FACS"), "Mary Ann O'Connor, MD FACS", id="two-first-names"),
    pytest.param(("Catherine", "", "MacKenzie", "", "MD"), "Catherine MacKenzie, MD", id="curator-mac-kept"),
    pytest.param(("Vincent", "T", "DeVita", "Jr.", "MD"), "Vincent T DeVita Jr., MD", id="curator-devita-kept"),
    pytest.param(("Machado", "", "Macintosh", "", "MD"), "Machado Macintosh, MD", id="curator-mixed-not-recased"),
    pytest.param(("María", "", "García", "", "MD PhD"), "María García, MD PhD", id="curator-accents-and-spacing"),
    pytest.param(("ROBERT", "(BOB)", "HALL", "", "MD"), "Robert (Bob) Hall, MD", id="nickname-in-parentheses"),
    pytest.param(("JOSÉ", "", "NÚÑEZ", "", "MD"), "José Núñez, MD", id="accented-capitals"),
    pytest.param(("anne", "", "lee", "", "md"), "anne lee, MD", id="lower-case-typed-is-kept"),
    pytest.param(("ARJUN", "", "PATEL", "", "MBBS, FRCPC"), "Arjun Patel, MBBS, FRCPC", id="foreign-credentials"),
    pytest.param(("LEE", "", "KIM", "", ""), "Lee Kim", id="no-credentials"),
]


@pytest.mark.parametrize(("parts", "expected"), FULL_NAMES)
def test_physician_display_name(parts, expected):
    first, middle, last, suffix, credentials = parts
    physician = Physician(
        first_name=first, middle_name=middle, last_name=last, name_suffix=suffix, credentials=credentials
    )
    assert physician.display_name == expected
    # the stored text is untouched
    assert (physician.first_name, physician.last_name, physician.credentials) == (first, last, credentials)


ADDRESSES = [
    pytest.param("263 FARMINGTON AVE", "263 Farmington Ave", id="avenue"),
    pytest.param("1000 ASYLUM AVE", "1000 Asylum Ave", id="asylum"),
    pytest.param("114 WOODLAND ST", "114 Woodland St", id="st-street"),
    pytest.param("123 ST MARY'S WAY", "123 St Mary's Way", id="st-saint-and-possessive"),
    pytest.param("STE 200", "Ste 200", id="suite-abbrev"),
    pytest.param("SUITE 4310", "Suite 4310", id="suite"),
    pytest.param("APT 4B", "Apt 4B", id="apartment-letter"),
    pytest.param("UNIT C", "Unit C", id="unit-letter"),
    pytest.param("STE #12", "Ste #12", id="suite-hash"),
    pytest.param("HASBRO LL", "Hasbro LL", id="lower-level"),
    pytest.param("SW350", "SW350", id="room-code-with-direction"),
    pytest.param("PO BOX 1234", "PO Box 1234", id="po-box"),
    pytest.param("P.O. BOX 55", "PO Box 55", id="po-box-dots"),
    pytest.param("P O BOX 9", "PO Box 9", id="po-box-spaced"),
    pytest.param("1ST ST NE", "1st St NE", id="ordinal-and-direction"),
    pytest.param("222 E 42ND ST", "222 E 42nd St", id="ordinal-42nd"),
    pytest.param("3RD FL", "3rd Fl", id="ordinal-floor"),
    pytest.param("1000 N MCDONALD BLVD SW", "1000 N McDonald Blvd SW", id="mc-street-directions"),
    pytest.param("800 MACARTHUR BLVD", "800 MacArthur Blvd", id="mac-street"),
    pytest.param("1 O'HARE PLZ", "1 O'Hare Plz", id="o-apostrophe-street"),
    pytest.param("US HIGHWAY 1", "US Highway 1", id="us-highway"),
    pytest.param("100 MLK JR BLVD", "100 MLK Jr Blvd", id="mlk"),
    pytest.param("ENT (OTOLARYNGOLOGY)", "ENT (Otolaryngology)", id="parentheses"),
    pytest.param("BOSTON PAIN SPECIALIST, P.C.", "Boston Pain Specialist, P.C.", id="dotted-initials"),
    pytest.param("BLDG II", "Bldg II", id="roman-building"),
    pytest.param("300 PASTEUR DR RM H0101", "300 Pasteur Dr Rm H0101", id="room-code"),
    pytest.param("C/O DEPT OF MEDICINE", "c/o Dept of Medicine", id="care-of-and-small-word"),
    pytest.param("1515 HOLCOMBE BLVD UNIT 1462", "1515 Holcombe Blvd Unit 1462", id="md-anderson-unit"),
    pytest.param("1 Gustave L. Levy Pl", "1 Gustave L. Levy Pl", id="curator-mixed-kept"),
    pytest.param("WINSTON-SALEM", "Winston-Salem", id="city-hyphen"),
    pytest.param("ST. LOUIS", "St. Louis", id="city-saint-dot"),
    pytest.param("KING OF PRUSSIA", "King of Prussia", id="city-small-word"),
    pytest.param("MCALLEN", "McAllen", id="city-mc"),
    pytest.param("O'FALLON", "O'Fallon", id="city-o-apostrophe"),
    pytest.param("LA JOLLA", "La Jolla", id="city-la-capitalized"),
]


@pytest.mark.parametrize(("stored", "expected"), ADDRESSES)
def test_address_display(stored, expected):
    assert display.address(stored) == expected


CREDENTIALS = [
    pytest.param("M.D.", "MD", id="md-dots"),
    pytest.param("M D", "MD", id="md-spaced"),
    pytest.param("M. D.", "MD", id="md-dots-spaced"),
    pytest.param("md", "MD", id="md-lower"),
    pytest.param("D.O.", "DO", id="do-dots"),
    pytest.param("MD, M.D.", "MD", id="repeat-dropped"),
    pytest.param("M.D., PH.D.", "MD, PhD", id="phd"),
    pytest.param("MD.PHD", "MD PhD", id="dot-between-credentials"),
    pytest.param("MD,FACS", "MD, FACS", id="facs"),
    pytest.param("M.B.B.S.", "MBBS", id="mbbs"),
    pytest.param("MBCHB", "MBChB", id="mbchb"),
    pytest.param("MD/MPH", "MD, MPH", id="slash"),
    pytest.param("PHARMD", "PharmD", id="pharmd"),
    pytest.param("PHARM.D.", "PharmD", id="pharmd-dots"),
    pytest.param("AU.D.", "AuD", id="aud"),
    pytest.param("D.D.S., M.S. F.A.G.D", "DDS, MS, FAGD", id="mixed-separators"),
    pytest.param("PA-C", "PA-C", id="pa-c"),
    pytest.param("MD MPhil", "MD MPhil", id="curator-unknown-spelling-kept"),
    pytest.param("", "", id="empty"),
]


@pytest.mark.parametrize(("stored", "expected"), CREDENTIALS)
def test_credentials_display(stored, expected):
    assert display.credentials(stored) == expected


PHONES = [
    pytest.param("8606792100", "(860) 679-2100", "tel:+18606792100", id="registry-digits"),
    pytest.param("860-679-2100", "(860) 679-2100", "tel:+18606792100", id="dashes"),
    pytest.param("860.679.2100", "(860) 679-2100", "tel:+18606792100", id="dots"),
    pytest.param("(860) 679-2100", "(860) 679-2100", "tel:+18606792100", id="already-formatted"),
    pytest.param("+1 860 679 2100", "(860) 679-2100", "tel:+18606792100", id="country-code"),
    pytest.param("18606792100", "(860) 679-2100", "tel:+18606792100", id="leading-one"),
    pytest.param("860-679-2100 x12", "(860) 679-2100 ext. 12", "tel:+18606792100;ext=12", id="x-extension"),
    pytest.param("8606792100 EXT. 4", "(860) 679-2100 ext. 4", "tel:+18606792100;ext=4", id="ext-extension"),
    pytest.param("860 679 2100 extension 301", "(860) 679-2100 ext. 301", "tel:+18606792100;ext=301", id="word"),
    pytest.param("860679210012", "860679210012", "tel:+860679210012", id="too-many-digits-as-stored"),
    pytest.param("679-2100", "679-2100", "tel:+6792100", id="seven-digits-as-stored"),
    pytest.param("", "", "", id="none"),
]


@pytest.mark.parametrize(("stored", "shown", "tel"), PHONES)
def test_phone_display_and_link(stored, shown, tel):
    location = PracticeLocation(phone=stored)
    assert (location.display_phone, location.tel_uri) == (shown, tel)


ZIPS = [
    pytest.param("060300001", "06030-0001", id="zip4-registry-digits"),
    pytest.param("06030-0001", "06030-0001", id="zip4-hyphenated"),
    pytest.param("06030", "06030", id="zip5"),
    pytest.param("0603", "0603", id="malformed-as-stored"),
]


@pytest.mark.parametrize(("stored", "expected"), ZIPS)
def test_zip_display(stored, expected):
    assert display.zip_code(stored) == expected


LOCATION_TITLES = [
    pytest.param("", "263 FARMINGTON AVE", "263 Farmington Ave", id="no-name-is-titled-by-address"),
    pytest.param("Practice", "1 MAIN ST", "1 Main St", id="placeholder-is-titled-by-address"),
    pytest.param("  ", "1 MAIN ST", "1 Main St", id="blank-name"),
    pytest.param(
        "SAINT FRANCIS HOSPITAL AND MEDICAL CENTER",
        "114 WOODLAND ST",
        "Saint Francis Hospital and Medical Center",
        id="name-in-capitals",
    ),
    pytest.param("Chelsea Cancer Care", "1 Main St", "Chelsea Cancer Care", id="curator-name"),
]


@pytest.mark.parametrize(("name", "line1", "expected"), LOCATION_TITLES)
def test_location_title(name, line1, expected):
    assert PracticeLocation(name=name, address_line1=line1).title == expected


def test_location_street_and_place_lines():
    location = PracticeLocation(
        address_line1="1000 ASYLUM AVE", address_line2="STE 4309", city="HARTFORD", state="CT", zip_code="061051770"
    )
    assert (location.display_street, location.display_place) == ("1000 Asylum Ave, Ste 4309", "Hartford, CT 06105-1770")
