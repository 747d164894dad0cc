"""Parse: turn a candidate record's bytes into a Row (the directory's fields), a Reject (ours, but bad:
with its line and reason) or None (not ours), and digest records so that one read before need not be
parsed again (Seen)."""

import csv
import datetime
import hashlib
import re
from collections.abc import Container
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from apps.directory.validators import npi_check_digit_ok

from .. import layout
from .scan import Columns

if TYPE_CHECKING:
    from .scan import Scanner

DATE_FORMAT = re.compile(r"(\d{2})/(\d{2})/(\d{4})")

REJECT_COLUMNS = "wrong number of columns: {found} instead of {expected}"
REJECT_NPI_FORMAT = "NPI is not 10 digits"
REJECT_NPI_CHECK_DIGIT = "NPI check digit is wrong"
REJECT_NO_LAST_NAME = "no last name"
REJECT_DATE = "malformed date in {column}: {value!r}"
REJECT_UNTERMINATED = "a quoted field is not closed before the end of the file"
# Part of every record digest: change it when parse_record or the import's comparison changes what the
# same bytes mean, so no import takes a physician as unchanged on an older reading.
DIGEST_VERSION = b"1"


class Row(NamedTuple):
    """One NPPES record, mapped to the directory's fields. `status_only` rows (a deactivated NPI, published
    blank but for its dates) change only the activity fields."""

    line_no: int
    npi: str
    status_only: bool
    first_name: str
    middle_name: str
    last_name: str
    name_suffix: str
    credentials: str
    sex: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    enumerated_on: datetime.date | None
    nppes_updated_on: datetime.date | None
    deactivated_on: datetime.date | None
    reactivated_on: datetime.date | None
    is_active: bool
    specialties: tuple[str, ...]  # wanted codes, sorted
    primary_specialty: str  # the wanted code the registry marks primary, else the first wanted one
    taxonomies: tuple[str, ...] = ()  # every code of the row, in slot order
    registry_primary: str = ""  # the code the registry marks primary, wanted or not
    digest: str = ""  # of the record's bytes and the codes imported (record_digest)


class Reject(NamedTuple):
    """A record of ours that cannot be imported: its physical line, its NPI as written and why."""

    line_no: int
    npi: str
    reason: str


class Seen(NamedTuple):
    """A record whose very bytes an earlier import read for the same codes: it is parsed (Seen.parse)
    only if its physician turns out to have changed since, which is rare from one file to the next."""

    line_no: int
    npi: str
    digest: str
    raw: bytes

    def parse(self, scanner: "Scanner") -> "Row | Reject | None":
        return parse_record(
            self.line_no,
            self.raw,
            scanner.columns,
            codes=scanner.codes,
            known_npis=scanner.known_npis,
            states=scanner.states,
            digest=self.digest,
        )


def read_record(line_no: int, raw: bytes, scanner: "Scanner") -> "Row | Reject | Seen | None":
    """parse_record of a candidate of `scanner`, or a Seen for a record the scanner's `remembered` digests
    know (hashing a record costs a few microseconds, parsing its 330 fields about fifty)."""
    codes, digest = scanner.codes, None
    if scanner.remembered:
        digest = record_digest(raw, codes)
        npi = scanner.remembered.get(digest)
        if npi is not None:
            return Seen(line_no, npi, digest, raw)
    return parse_record(
        line_no, raw, scanner.columns, codes=codes, known_npis=scanner.known_npis, states=scanner.states, digest=digest
    )


def record_digest(raw: bytes, codes: frozenset[str]) -> str:
    """32 hex digits identifying a record's bytes read for these codes: the same digest means the same
    row, whatever the file's line ends."""
    return hashlib.blake2b(raw, digest_size=16, key=codes_key(codes)).hexdigest()


@lru_cache(maxsize=8)
def codes_key(codes: frozenset[str]) -> bytes:
    """A key for what this set of codes (read with this DIGEST_VERSION) makes of a record."""
    return hashlib.blake2b(DIGEST_VERSION + b"|" + ",".join(sorted(codes)).encode(), digest_size=32).digest()


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _date(value: str, column: str) -> datetime.date | None:
    if not value:
        return None
    match = DATE_FORMAT.fullmatch(value)
    if match:
        month, day, year = (int(part) for part in match.groups())
        try:
            return datetime.date(year, month, day)
        except ValueError:
            pass
    raise ValueError(REJECT_DATE.format(column=column, value=value))


def _zip(value: str) -> str:
    digits = value.replace("-", "").strip()
    if digits.isdigit() and len(digits) == 9:
        return f"{digits[:5]}-{digits[5:]}"
    if digits.isdigit() and len(digits) == 5:
        return digits
    return ""


def _taxonomies(fields: list[str], columns: Columns, codes: frozenset[str]) -> tuple[list, str, list, str]:
    """Every taxonomy code of the row in slot order (the registry's facts, whatever is imported) and the
    one the registry marks primary; the wanted codes among them and the primary among those."""
    listed, registry_primary, wanted, primary = [], "", [], ""
    for code_at, switch_at in columns.taxonomy_slots:
        code = fields[code_at].strip()
        if not code or code in listed:
            continue
        listed.append(code)
        is_primary = fields[switch_at].strip().upper() == "Y"
        if is_primary and not registry_primary:
            registry_primary = code
        if code in codes:
            wanted.append(code)
            if is_primary and not primary:
                primary = code
    return listed, registry_primary, wanted, primary


def parse_record(
    line_no: int,
    raw: bytes,
    columns: Columns,
    *,
    codes: frozenset[str],
    known_npis: Container[str],
    states: frozenset[str],
    digest: str | None = None,
) -> Row | Reject | None:
    """The Row for a candidate record, a Reject when it is ours but bad, None when it is not ours.
    `digest`: record_digest(raw, codes), when the caller has it already."""
    try:
        fields = next(csv.reader([_decode(raw)], strict=True))
    except csv.Error:
        return Reject(line_no, raw[:12].strip(b'",').decode("latin-1"), REJECT_UNTERMINATED)
    npi = fields[columns.npi].strip() if len(fields) > columns.npi else ""
    if len(fields) != columns.count:
        return Reject(line_no, npi, REJECT_COLUMNS.format(found=len(fields), expected=columns.count))
    entity_type = fields[columns.entity_type].strip()
    listed, registry_primary, wanted, primary = _taxonomies(fields, columns, codes)
    ours = (entity_type == "1" and wanted) or npi in known_npis
    if not ours:
        return None
    if not (len(npi) == 10 and npi.isdigit()):
        return Reject(line_no, npi, REJECT_NPI_FORMAT)
    if not npi_check_digit_ok(npi):
        return Reject(line_no, npi, REJECT_NPI_CHECK_DIGIT)
    try:
        enumerated_on = _date(fields[columns.enumerated_on].strip(), layout.ENUMERATION_DATE)
        updated_on = _date(fields[columns.updated_on].strip(), layout.LAST_UPDATE_DATE)
        deactivated_on = _date(fields[columns.deactivated_on].strip(), layout.DEACTIVATION_DATE)
        reactivated_on = _date(fields[columns.reactivated_on].strip(), layout.REACTIVATION_DATE)
    except ValueError as error:
        return Reject(line_no, npi, str(error))
    is_active = deactivated_on is None or (reactivated_on is not None and reactivated_on > deactivated_on)
    last_name = fields[columns.last_name].strip()
    # A deactivated NPI is published blank but for its dates: only its activity changes, and it is ours
    # only when the directory lists it already.
    status_only = not is_active
    if status_only and npi not in known_npis:
        return None
    if not last_name and not status_only:
        return Reject(line_no, npi, REJECT_NO_LAST_NAME)
    state = fields[columns.state].strip().upper()
    zip_code = _zip(fields[columns.postal_code])
    line1 = fields[columns.line1].strip()[:200]
    city = fields[columns.city].strip()[:100]
    has_location = bool(line1 and city and state in states and zip_code)
    sex = fields[columns.sex].strip().upper()
    primary = primary or (wanted[0] if wanted else "")  # the registry's primary may not be an oncology code
    wanted.sort()
    return Row(
        line_no=line_no,
        npi=npi,
        status_only=status_only,
        first_name=fields[columns.first_name].strip()[:100],
        middle_name=fields[columns.middle_name].strip()[:100],
        last_name=last_name[:100],
        name_suffix=fields[columns.name_suffix].strip()[:20],
        credentials=fields[columns.credentials].strip()[:100],
        sex=sex if sex in ("F", "M") else "",
        address_line1=line1 if has_location else "",
        address_line2=fields[columns.line2].strip()[:200] if has_location else "",
        city=city if has_location else "",
        state=state if has_location else "",
        zip_code=zip_code if has_location else "",
        phone=fields[columns.phone].strip()[:30] if has_location else "",
        enumerated_on=enumerated_on,
        nppes_updated_on=updated_on,
        deactivated_on=deactivated_on,
        reactivated_on=reactivated_on,
        is_active=is_active,
        specialties=tuple(wanted),
        primary_specialty=primary,
        taxonomies=tuple(listed),
        registry_primary=registry_primary,
        digest=digest or record_digest(raw, codes),
    )


# The secondary practice location file (pl_pfile_*.csv): one additional location of a provider a row.
REJECT_LOCATION_ADDRESS = "secondary location: no address line, city or state"
REJECT_LOCATION_STATE = "secondary location: not a US state: {value!r}"
REJECT_LOCATION_ZIP = "secondary location: malformed postal code: {value!r}"
REJECT_LOCATION_ABROAD = "secondary location: outside the US ({value!r})"
LOCATION_COLUMNS = (
    layout.NPI,
    layout.SECONDARY_LINE1,
    layout.SECONDARY_LINE2,
    layout.SECONDARY_CITY,
    layout.SECONDARY_STATE,
    layout.SECONDARY_POSTAL_CODE,
    layout.SECONDARY_COUNTRY,
    layout.SECONDARY_PHONE,
    layout.SECONDARY_EXTENSION,
)


class LocationRow(NamedTuple):
    """One secondary practice location of a physician the directory lists, in the directory's fields."""

    line_no: int
    npi: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str

    def values(self) -> dict:
        """The location's fields (apps.registry.pipeline.diff.LOCATION_FIELDS), as the diff compares them."""
        return dict(zip(self._fields[2:], self[2:], strict=True))


def location_positions(header: list[str]) -> list[int]:
    """Where each of LOCATION_COLUMNS is in a secondary location file's header; a missing one is an error."""
    names = [name.strip().lstrip("\ufeff") for name in header]
    missing = [name for name in LOCATION_COLUMNS if name not in names]
    if missing:
        raise ValueError(f"Not an NPPES secondary practice location file: the header has no column {missing[0]!r}.")
    return [names.index(name) for name in LOCATION_COLUMNS]


def read_location(line_no: int, fields: list[str], states: Container[str]) -> LocationRow | Reject:
    """A secondary location's fields (in LOCATION_COLUMNS order) as a LocationRow, or why not."""
    npi, line1, line2, city, state, postal, country, phone, extension = (field.strip() for field in fields)
    if country and country.upper() != "US":
        return Reject(line_no, npi, REJECT_LOCATION_ABROAD.format(value=country))
    if not (line1 and city and state):
        return Reject(line_no, npi, REJECT_LOCATION_ADDRESS)
    if state.upper() not in states:
        return Reject(line_no, npi, REJECT_LOCATION_STATE.format(value=state))
    zip_code = _zip(postal)
    if not zip_code:
        return Reject(line_no, npi, REJECT_LOCATION_ZIP.format(value=postal))
    phone = f"{phone} x{extension}" if phone and extension else phone
    return LocationRow(
        line_no=line_no,
        npi=npi,
        address_line1=line1[:200],
        address_line2=line2[:200],
        city=city[:100],
        state=state.upper(),
        zip_code=zip_code,
        phone=phone[:30],
    )
