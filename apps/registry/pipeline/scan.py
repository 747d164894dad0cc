"""Scan: stream an NPPES file (the CSV, or its zip member) and find the few records that could concern
the directory, without parsing the others (apps.registry.pipeline.parse reads those found).

The national file has about 9.7 million records of which about 1% concern oncology, so what costs is
looking at the other 99%. The scanner reads 256 kB blocks and walks their lines with `bytes.find` and
`bytes.count` (C speed); only a record whose bytes hold one of the wanted taxonomy codes, or starting
with an NPI already in the directory (deactivation rows carry no taxonomy), goes through the csv module.
A quoted field may contain a newline: a line with an odd number of double quotes continues on the next
line, so records are always whole, and line numbers are physical line numbers. Counting quotes is the
costly part, so it is skipped when the next line starts with a quoted NPI, which proves a record ends
there (as it does on every line of the published files): inside a quoted field a quote is doubled or
followed by a comma or a line end. So a record never runs over such a line, not even a broken one whose
quote never closes; that also lets several processes scan ranges of one file (apps.registry.pipeline.parallel).
"""

import csv
import re
import zipfile
from array import array
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .. import layout

BLOCK_SIZE = 1 << 18
RECORD_STARTS = (b'"1', b'"2')  # every NPI starts with 1 or 2
_STARTS = frozenset(RECORD_STARTS)
_LINE_STARTS = tuple(b"\n" + start for start in RECORD_STARTS)
MEMBER_PATTERN = re.compile(r"npidata_pfile_.*\.csv", re.IGNORECASE)
# The secondary practice location file, beside the main one in the monthly zip (or on its own).
LOCATIONS_PATTERN = re.compile(r"pl_pfile_.*\.csv", re.IGNORECASE)
FOUND_FIELDS = 4  # numbers per candidate in Scanner.found: line, offset, length, NPI (0 when not one)


class NppesFileError(Exception):
    """The file is not an NPPES data file we can read (no member, missing columns)."""


@contextmanager
def open_nppes(path: str | Path, member: re.Pattern = MEMBER_PATTERN) -> Iterator[tuple[BinaryIO, int, str]]:
    """(binary stream, size in bytes, name) of the NPPES CSV at `path`, or of the zip member at `path`
    whose name matches `member` (default `npidata_pfile_*.csv`), streamed without extracting it."""
    path = Path(path)
    if not path.is_file():
        raise NppesFileError(f"No such file: {path}")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            found = zip_member(archive, member)
            if found is None:
                label = member.pattern.replace(".*", "*").replace("\\", "")  # npidata_pfile_*.csv
                raise NppesFileError(f"{path.name} has no {label} member.")
            with archive.open(found) as stream:
                yield stream, found.file_size, f"{path.name}:{found.filename}"
    else:
        with path.open("rb") as stream:
            yield stream, path.stat().st_size, path.name


def is_locations_file(path: Path) -> bool:
    """Whether `path` is a plain secondary practice location file: named pl_pfile_*.csv, or headed so
    (what the main file's header never is)."""
    if LOCATIONS_PATTERN.fullmatch(path.name):
        return True
    if not path.is_file() or zipfile.is_zipfile(path):
        return False
    with path.open("rb") as stream:
        return layout.SECONDARY_LINE1.encode() in stream.readline(1 << 16)


def zip_member(archive: zipfile.ZipFile, member: re.Pattern) -> zipfile.ZipInfo | None:
    """The largest member whose name matches `member`, header-only files aside."""
    members = [
        info
        for info in archive.infolist()
        if member.fullmatch(Path(info.filename).name) and "fileheader" not in info.filename.lower()
    ]
    return max(members, key=lambda info: info.file_size) if members else None


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
    a record, so that a later import of the unchanged file can read just those (apps.registry.pipeline.memo).
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        codes: frozenset[str],
        states: frozenset[str] = frozenset(),
        known_npis: Iterable[str] = (),
        remembered: Mapping[str, str] | None = None,
    ):
        self.stream = stream
        # What a record must hold to be read (parse.read_record): a wanted code or a known NPI; and the
        # states whose addresses count as practice locations.
        self.codes, self.states = codes, states
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
                end, finished = _range_end(buf, base, end, stop_at)
                if end == 0 and finished:
                    return
            find, count = buf.find, buf.count
            # Where wanted codes end, found by the regex engine in C; most blocks hold a few.
            hits = [match.start() for match in hit_pattern.finditer(buf, 0, end)] + [len(buf) + 1]  # a sentinel
            next_hit, hit_index = hits[0], 0
            room = end + 1 if limit is None else limit - self.read  # records this block may still read
            records = extra = start = 0  # extra: physical lines of this block's records beyond their first
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
                    stop, lines, unbalanced = _continued_record_end(buf, stop, end)
                    if unbalanced and stop >= end and not (at_eof or finished):
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


def _range_end(buf: bytes, base: int, end: int, stop_at: int) -> tuple[int, bool]:
    """(end, finished) of the block `buf` (at stream offset `base`, whole lines up to `end`) in a scan that
    stops at `stop_at`: the range ends at the first record start proven by a quoted NPI from there. (0,
    True) when the block starts at or after `stop_at` with such a record: nothing of it is the range's."""
    if base >= stop_at and buf.startswith(RECORD_STARTS):
        return 0, True
    cut = _first_record_start(buf, max(stop_at - base, 1), end)
    return (cut, True) if cut != -1 else (end, False)


def _continued_record_end(buf: bytes, stop: int, end: int) -> tuple[int, int, bool]:
    """A record whose first line (ending at `stop`) holds an odd number of quotes runs on to the line
    where its quotes balance, or at most to a line proving a record start, or to `end`. Returns where it
    ends, the physical lines it spans, and whether its quotes are still unbalanced there."""
    quotes, lines = 1, 1
    while quotes & 1 and stop < end and buf[stop + 1 : stop + 3] not in _STARTS:
        following = buf.find(b"\n", stop + 1, end)
        if following == -1:
            following = end
        quotes += buf.count(b'"', stop + 1, following)
        lines += 1
        stop = following
    return stop, lines, bool(quotes & 1)


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


class KnownNpis:
    """`npi in known` for NPI strings, over the scanner's byte keys (one set in memory, not two)."""

    def __init__(self, keys: frozenset[bytes], *, quoted: bool):
        self._keys = keys
        self._form = '"{}"' if quoted else "{},"

    def __contains__(self, npi: str) -> bool:
        return self._form.format(npi).encode() in self._keys

    def __iter__(self) -> Iterator[str]:
        return (key.strip(b'",').decode() for key in self._keys)
