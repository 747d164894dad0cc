"""Synthetic NPPES files, in the exact published layouts, for the registry tests."""

import csv
import io
import zipfile
from pathlib import Path

from apps.directory.validators import npi_with_check_digit
from apps.registry import layout

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "nppes_sample_2018_subset.csv"
NUCC = DATA / "nucc_taxonomy_25.1.csv"


def npi(n: int) -> str:
    """The n-th synthetic NPI, with a valid check digit."""
    return npi_with_check_digit(str(200000000 + n))


def wrong_check_digit(value: str) -> str:
    return value[:9] + str((int(value[9]) + 1) % 10)


def row(
    number: str,
    *,
    last="CURIE",
    first="MARIE",
    middle="",
    suffix="",
    credentials="MD",
    sex="F",
    codes=(("207RX0202X", "Y"),),
    entity="1",
    line1="1275 YORK AVE",
    line2="",
    city="NEW YORK",
    state="NY",
    postal="100656007",
    phone="2126392000",
    enumerated="05/23/2005",
    updated="01/15/2024",
    deactivated="",
    reactivated="",
    current=True,
) -> dict:
    """One provider row as {column name: value}; columns not named stay blank."""
    values = {
        layout.NPI: number,
        layout.ENTITY_TYPE: entity,
        layout.LAST_NAME: last,
        layout.FIRST_NAME: first,
        layout.MIDDLE_NAME: middle,
        layout.NAME_SUFFIX: suffix,
        layout.CREDENTIALS: credentials,
        layout.SEX_CODES[0 if current else 1]: sex,
        layout.PRACTICE_LINE1: line1,
        layout.PRACTICE_LINE2: line2,
        layout.PRACTICE_CITY: city,
        layout.PRACTICE_STATE: state,
        layout.PRACTICE_POSTAL_CODE: postal,
        layout.PRACTICE_PHONE: phone,
        layout.ENUMERATION_DATE: enumerated,
        layout.LAST_UPDATE_DATE: updated,
        layout.DEACTIVATION_DATE: deactivated,
        layout.REACTIVATION_DATE: reactivated,
        "Provider First Line Business Mailing Address": "PO BOX 1",
        "Provider Business Mailing Address City Name": city,
    }
    for slot, (code, switch) in enumerate(codes, start=1):
        values[layout.taxonomy_code(slot)] = code
        values[layout.primary_switch(slot)] = switch
        values[f"Provider License Number_{slot}"] = f"{slot}12345"
    return values


def deactivated_row(number: str, *, on="06/01/2024", reactivated="") -> dict:
    """How NPPES publishes a deactivated NPI: the NPI and the dates, everything else blank."""
    return {layout.NPI: number, layout.DEACTIVATION_DATE: on, layout.REACTIVATION_DATE: reactivated}


def mixed_rows() -> list[dict]:
    """150 rows of every kind: new, deactivated, of another specialty, rejected (no last name), two over
    two lines, and a duplicate NPI (the later row wins). Against a directory built from
    `[row(npi(n)) for n in range(1, 40, 3)]`, some change known physicians."""
    rows = [row(npi(n), last=f"NEW{n}", line2="SUITE 1\r\nBACK" if n % 11 == 0 else "") for n in range(1, 150)]
    rows[3] = deactivated_row(npi(4))
    rows[20] = row(npi(21), codes=(("363L00000X", "Y"),))
    rows[30] = row(npi(31), last="")
    rows.append(row(npi(7), last="DUPLICATE WINS"))
    return rows


def csv_text(rows, *, current=True, newline="\r\n", quote_all=True) -> str:
    header = layout.nppes_header(current=current)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for values in rows:
        if isinstance(values, list):  # a raw row, written as given (for malformed rows)
            writer.writerow(values)
            continue
        unknown = set(values) - set(header)
        assert not unknown, unknown
        writer.writerow([values.get(name, "") for name in header])
    return buffer.getvalue()


def write_nppes(path: Path, rows, *, current=True, newline="\r\n", bom=False, quote_all=True) -> Path:
    text = csv_text(rows, current=current, newline=newline, quote_all=quote_all)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def zip_nppes(path: Path, rows, *, member="npidata_pfile_20050523-20241110.csv") -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("npidata_pfile_20050523-20241110_fileheader.csv", csv_text([]))
        archive.writestr(member, csv_text(rows))
        archive.writestr("othername_pfile_20050523-20241110.csv", "x\r\n")
    return path


def location(number: str, *, line1="100 MAIN ST", line2="", city="HARTFORD", state="CT", postal="061031234", **more):
    """One secondary practice location row as {column name: value}; columns not named stay blank."""
    values = {
        layout.NPI: number,
        layout.SECONDARY_LINE1: line1,
        layout.SECONDARY_LINE2: line2,
        layout.SECONDARY_CITY: city,
        layout.SECONDARY_STATE: state,
        layout.SECONDARY_POSTAL_CODE: postal,
    }
    names = {
        "country": layout.SECONDARY_COUNTRY,
        "phone": layout.SECONDARY_PHONE,
        "extension": layout.SECONDARY_EXTENSION,
        "fax": layout.SECONDARY_FAX,
    }
    values.update({names[name]: value for name, value in more.items()})
    return values


def locations_text(rows) -> str:
    header = layout.secondary_header()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    for values in rows:
        writer.writerow(values if isinstance(values, list) else [values.get(name, "") for name in header])
    return buffer.getvalue()


def write_locations(path: Path, rows) -> Path:
    path.write_text(locations_text(rows), encoding="utf-8")
    return path


def zip_with_locations(path: Path, rows, locations) -> Path:
    """A monthly zip: the main file, its header file, the secondary location file and another file."""
    zip_nppes(path, rows)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pl_pfile_20050523-20241110.csv", locations_text(locations))
        archive.writestr("pl_pfile_20050523-20241110_FileHeader.csv", locations_text([]))
    return path
