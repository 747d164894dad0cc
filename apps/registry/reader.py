"""Reading NPPES files fast: stream the CSV (or its zip member), skip records that cannot match before
parsing them, and turn the rest into plain rows or rejects.

The national file has about 9.7 million records of which about 1% concern oncology, so what costs is
looking at the other 99%. The scanner reads 256 kB blocks and walks their lines with `bytes.find` and
`bytes.count` (C speed); only a record whose bytes hold one of the wanted taxonomy codes, or starting
with an NPI already in the directory (deactivation rows carry no taxonomy), goes through the csv module.
A quoted field may contain a newline: a line with an odd number of double quotes continues on the next
line, so records are always whole, and line numbers are physical line numbers. Counting quotes is the
costly part, so it is skipped when the next line starts with a quoted NPI, which proves a record ends
there (as it does on every line of the published files): inside a quoted field a quote is doubled or
followed by a comma or a line end. So a record never runs over such a line, not even a broken one whose
quote never closes; that also lets several processes scan ranges of one file (apps.registry.parallel).
"""

import csv
import datetime
import hashlib
import re
import zipfile
from array import array
from collections.abc import Container, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, NamedTuple

from apps.directory.validators import npi_check_digit_ok

from . import layout

BLOCK_SIZE = 1 << 18
RECORD_STARTS = (b'"1', b'"2')  # every NPI starts with 1 or 2
_STARTS = frozenset(RECORD_STARTS)
_LINE_STARTS = tuple(b"\n" + start for start in RECORD_STARTS)
MEMBER_PATTERN = re.compile(r"npidata_pfile_.*\.csv", re.IGNORECASE)
TAXONOMY_CODE = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
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
FOUND_FIELDS = 4  # numbers per candidate in Scanner.found: line, offset, length, NPI (0 when not one)


class NppesFileError(Exception):
    """The file is not an NPPES data file we can read (no member, missing columns)."""


@contextmanager
def open_nppes(path: str | Path) -> Iterator[tuple[BinaryIO, int, str]]:
    """(binary stream, size in bytes, name) of the NPPES CSV at `path`, or of the
    `npidata_pfile_*.csv` member of the zip at `path`, streamed without extracting it."""
    path = Path(path)
    if not path.is_file():
        raise NppesFileError(f"No such file: {path}")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if MEMBER_PATTERN.fullmatch(Path(info.filename).name) and "fileheader" not in info.filename.lower()
            ]
            if not members:
                raise NppesFileError(f"{path.name} has no npidata_pfile_*.csv member.")
            member = max(members, key=lambda info: info.file_size)
            with archive.open(member) as stream:
                yield stream, member.file_size, f"{path.name}:{member.filename}"
    else:
        with path.open("rb") as stream:
            yield stream, path.stat().st_size, path.name


@dataclass(frozen=True)
class Columns:
    """Positions of the columns the importer reads, found by header name."""

    count: int
    quoted: bool
    npi: int
    entity_type: int
    last_name: int
    first_name: int
    middle_name: int
    name_suffix: int
    credentials: int
    line1: int
    line2: int
    city: int
    state: int
    postal_code: int
    phone: int
    enumerated_on: int
    updated_on: int
    deactivated_on: int
    reactivated_on: int
    sex: int
    taxonomy_slots: tuple[tuple[int, int], ...]  # (code column, primary switch column)

    @classmethod
    def from_header(cls, header_line: bytes) -> "Columns":
        text = header_line.decode("utf-8-sig").rstrip("\r\n")
        names = [name.strip() for name in next(csv.reader([text]))]
        position = {name: index for index, name in enumerate(names)}

        def find(name: str) -> int:
            if name not in position:
                raise NppesFileError(f"Not an NPPES data file: the header has no column {name!r}.")
            return position[name]

        sex_names = [name for name in layout.SEX_CODES if name in position]
        if not sex_names:
            raise NppesFileError("Not an NPPES data file: the header has no Provider Sex Code column.")
        slots = tuple(
            (find(layout.taxonomy_code(slot)), find(layout.primary_switch(slot)))
            for slot in range(1, layout.TAXONOMY_SLOTS + 1)
        )
        return cls(
            count=len(names),
            quoted=text.startswith('"'),
            npi=find(layout.NPI),
            entity_type=find(layout.ENTITY_TYPE),
            last_name=find(layout.LAST_NAME),
            first_name=find(layout.FIRST_NAME),
            middle_name=find(layout.MIDDLE_NAME),
            name_suffix=find(layout.NAME_SUFFIX),
            credentials=find(layout.CREDENTIALS),
            line1=find(layout.PRACTICE_LINE1),
            line2=find(layout.PRACTICE_LINE2),
            city=find(layout.PRACTICE_CITY),
            state=find(layout.PRACTICE_STATE),
            postal_code=find(layout.PRACTICE_POSTAL_CODE),
            phone=find(layout.PRACTICE_PHONE),
            enumerated_on=find(layout.ENUMERATION_DATE),
            updated_on=find(layout.LAST_UPDATE_DATE),
            deactivated_on=find(layout.DEACTIVATION_DATE),
            reactivated_on=find(layout.REACTIVATION_DATE),
            sex=position[sex_names[0]],
            taxonomy_slots=slots,
        )


class Scanner:
    """Walks the records of an open NPPES stream, yielding only those that could match.

    `read` counts every data record seen, `bytes_read` the bytes consumed (for a progress bar), and
    `found` holds (line number, offset, length, NPI or 0) of each candidate yielded, FOUND_FIELDS numbers
    a record, so that a later import of the unchanged file can read just those (apps.registry.memo).
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        codes: frozenset[str],
        known_npis: Iterable[str] = (),
        remembered: Mapping[str, str] | None = None,
    ):
        self.stream = stream
        # {record digest: NPI} of the records an earlier import read for these codes (see read_record).
        self.remembered = remembered or {}
        self.read = 0
        self.bytes_read = 0
        self.found = array("q")
        header = stream.readline()
        if not header.strip():
            raise NppesFileError("The file is empty.")
        self.bytes_read = len(header)
        self.data_start = len(header)
        self.columns = Columns.from_header(header)
        # Every NUCC code is 10 characters ending in X: find each X preceded by a wanted code. The codes
        # go into the look-behind as a trie, so each X costs a few byte comparisons, not one per code.
        self._hit_pattern = re.compile(b"X(?<=" + _trie(sorted(code.encode() for code in codes)) + b")")
        if self.columns.quoted:
            self._npi_keys = frozenset(f'"{npi}"'.encode() for npi in known_npis)
            self._npi_width = 12
        else:
            self._npi_keys = frozenset(f"{npi},".encode() for npi in known_npis)
            self._npi_width = 11
        self.known_npis = KnownNpis(self._npi_keys, quoted=self.columns.quoted)

    def candidates(self, limit: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(physical line number, raw record without its line end) of each record that holds a wanted
        taxonomy code or starts with a known NPI. Stops after `limit` records read when given."""
        return self._scan(self.stream.read, line_no=2, limit=limit, offset=self.data_start, stop_at=None)

    def scan_range(self, stream: BinaryIO, start: int, stop: int) -> tuple[int, int, list[tuple[int, bytes]]]:
        """Scan the records of a seekable quoted file that begin in [start, stop): from the first line at
        or after `start` that starts with a quoted NPI (from `start` itself at the first record) up to the
        first such line at or after `stop`. Consecutive ranges thus cover every record once, as one scan
        of the whole file would. Returns the records read, the physical lines they span and the
        candidates, numbered from line 0 of the range."""
        if start > self.data_start:
            start = _next_record_start(stream, start, stop)
            if start is None:
                return 0, 0, []
        stream.seek(start)
        self.read = 0
        self.found = array("q")  # this range's own: a worker's scanner is a shallow copy
        found = list(self._scan(stream.read, line_no=0, limit=None, offset=start, stop_at=stop))
        return self.read, self.line_no, found

    def _scan(
        self, read, *, line_no: int, limit: int | None, offset: int, stop_at: int | None
    ) -> Iterator[tuple[int, bytes]]:
        """The candidates among the records `read` returns, the first starting at stream offset `offset`
        on physical line `line_no`. With `stop_at`, the scan ends before the first record at or after that
        offset whose line starts with a quoted NPI (where a parallel scan of the next range begins)."""
        hit_pattern, npi_keys, npi_width = self._hit_pattern, self._npi_keys, self._npi_width
        note = self._note
        carry = b""
        base = offset  # stream offset of buf[0]
        self.line_no = line_no
        while True:
            data = read(BLOCK_SIZE)
            self.bytes_read += len(data)
            buf = carry + data if carry else data
            if not buf:
                return
            at_eof = not data
            end = len(buf) if at_eof else buf.rfind(b"\n") + 1
            if end == 0:  # one line longer than a block: read on
                carry = buf
                continue
            finished = False
            if stop_at is not None and base + end >= stop_at:
                # The range ends in this block: at the first record start proven by a quoted NPI.
                if base >= stop_at and buf.startswith(RECORD_STARTS):
                    return
                cut = _first_record_start(buf, max(stop_at - base, 1), end)
                if cut != -1:
                    end, finished = cut, True
            find, count = buf.find, buf.count
            # Where wanted codes end, found by the regex engine in C; most blocks hold a few.
            hits = [match.start() for match in hit_pattern.finditer(buf, 0, end)]
            hits.append(len(buf) + 1)  # sentinel
            next_hit, hit_index = hits[0], 0
            room = end + 1 if limit is None else limit - self.read  # records this block may still read
            records = 0
            extra = 0  # physical lines of this block's records beyond their first
            start = 0
            carry = b""
            while start < end:
                stop = find(b"\n", start, end)
                if stop == -1:
                    stop = end
                # The next line starts with a quoted NPI ("1... or "2...): then this line end is a record
                # end, since inside a quoted field a quote is doubled or followed by a comma or a line end.
                # Otherwise count the line's quotes: an odd count means a quoted field runs on, to the
                # line where the quotes balance (in a broken file: at most to a line proving a start).
                if buf[stop + 1 : stop + 3] not in _STARTS and count(b'"', start, stop) & 1:
                    quotes, lines = 1, 1
                    while quotes & 1 and stop < end and buf[stop + 1 : stop + 3] not in _STARTS:
                        following = find(b"\n", stop + 1, end)
                        if following == -1:
                            following = end
                        quotes += count(b'"', stop + 1, following)
                        lines += 1
                        stop = following
                    if quotes & 1 and stop >= end and not (at_eof or finished):
                        carry = buf[start:]
                        break
                    if records == room:
                        break
                    first = line_no + records + extra
                    records += 1
                    extra += lines - 1
                    if next_hit < stop or (npi_keys and buf[start : start + npi_width] in npi_keys):
                        yield note(first, base + start, buf[start:stop])
                        while hits[hit_index] < stop:
                            hit_index += 1
                        next_hit = hits[hit_index]
                    start = stop + 1
                    continue
                if records == room:
                    break
                records += 1
                if next_hit < stop:
                    yield note(line_no + records - 1 + extra, base + start, buf[start:stop])
                    while hits[hit_index] < stop:
                        hit_index += 1
                    next_hit = hits[hit_index]
                elif npi_keys and buf[start : start + npi_width] in npi_keys:
                    yield note(line_no + records - 1 + extra, base + start, buf[start:stop])
                start = stop + 1
            else:
                if not finished:
                    carry = buf[end:]
            self.read += records
            line_no += records + extra
            self.line_no = line_no
            if records == room or finished or (at_eof and not carry):
                return
            base += len(buf) - len(carry)

    def _note(self, line_no: int, offset: int, record: bytes) -> tuple[int, bytes]:
        """(line number, record without its line end), noted in `found`."""
        raw = record.rstrip(b"\r\n")
        npi = raw[1:11] if self.columns.quoted else raw[:10]
        self.found.extend((line_no, offset, len(raw), int(npi) if npi.isdigit() and len(npi) == 10 else 0))
        return line_no, raw


def _trie(words: list[bytes]) -> bytes:
    """A regex matching exactly `words` (sorted, equally long), branching one byte at a time."""
    if not words:
        return b"(?!)"
    if len(words[0]) == 0:
        return b""
    branches = []
    for first in sorted({word[:1] for word in words}):
        rest = [word[1:] for word in words if word[:1] == first]
        branches.append(re.escape(first) + _trie(rest))
    return branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"


def _first_record_start(buf: bytes, start: int, end: int) -> int:
    """The first position from `start` to `end` where a line starts with a quoted NPI, else -1."""
    found = [at + 1 for at in (buf.find(prefix, start - 1, end + 2) for prefix in _LINE_STARTS) if at != -1]
    return min(found, default=-1)


def _next_record_start(stream: BinaryIO, start: int, stop: int) -> int | None:
    """The offset of the first line at or after `start` (and before `stop`) starting with a quoted NPI."""
    stream.seek(start - 1)
    base, buf = start - 1, b""
    while base + 1 < stop:
        data = stream.read(BLOCK_SIZE)
        if not data:
            return None
        buf += data
        found = _first_record_start(buf, 1, len(buf) - 2)
        if found != -1:
            return base + found if base + found < stop else None
        base, buf = base + len(buf) - 2, buf[-2:]
    return None


class Records:
    """The parsed records (Row or Reject, in file order) among a scanner's candidates; `read` and
    `bytes_read` say how far the scan got."""

    def __init__(self, scanner: Scanner, *, limit: int | None, codes: frozenset[str], states: frozenset[str]):
        self.scanner, self.limit, self.codes, self.states = scanner, limit, codes, states

    @property
    def read(self) -> int:
        return self.scanner.read

    @property
    def bytes_read(self) -> int:
        return self.scanner.bytes_read

    @property
    def found(self) -> array:
        return self.scanner.found

    def __iter__(self) -> Iterator["Row | Reject | Seen"]:
        scanner = self.scanner
        for line_no, raw in scanner.candidates(self.limit):
            parsed = read_record(line_no, raw, scanner, codes=self.codes, states=self.states)
            if parsed is not None:
                yield parsed

    def close(self) -> None:
        pass


class KnownNpis:
    """`npi in known` for NPI strings, over the scanner's byte keys (one set in memory, not two)."""

    def __init__(self, keys: frozenset[bytes], *, quoted: bool):
        self._keys = keys
        self._form = '"{}"' if quoted else "{},"

    def __contains__(self, npi: str) -> bool:
        return self._form.format(npi).encode() in self._keys

    def __iter__(self) -> Iterator[str]:
        return (key.strip(b'",').decode() for key in self._keys)


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

    def parse(self, scanner: "Scanner", *, codes: frozenset[str], states: frozenset[str]) -> "Row | Reject | None":
        return parse_record(
            self.line_no,
            self.raw,
            scanner.columns,
            codes=codes,
            known_npis=scanner.known_npis,
            states=states,
            digest=self.digest,
        )


def read_record(
    line_no: int, raw: bytes, scanner: "Scanner", *, codes: frozenset[str], states: frozenset[str]
) -> "Row | Reject | Seen | None":
    """parse_record, or a Seen for a record the scanner's `remembered` digests know (hashing a record
    costs a few microseconds, parsing its 330 fields about fifty)."""
    digest = None
    if scanner.remembered:
        digest = record_digest(raw, codes)
        npi = scanner.remembered.get(digest)
        if npi is not None:
            return Seen(line_no, npi, digest, raw)
    return parse_record(
        line_no, raw, scanner.columns, codes=codes, known_npis=scanner.known_npis, states=states, digest=digest
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
    wanted = []
    primary = ""
    listed = []  # every taxonomy of the row, in slot order: the registry's facts, whatever is imported
    registry_primary = ""
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
