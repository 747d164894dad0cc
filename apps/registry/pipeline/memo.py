"""Importing a plain NPPES file again without scanning it again.

Scanning is what a re-import of an unchanged file costs: about a second per million records, to find
the 1% that concern the directory. A full scan of a plain file is remembered (ScannedFile): the file's
identity and where its candidate records lie. The next import of that path reads just those records
(and hands them to the same parsing, comparison and writes as a scan would) when all of this holds:
- the file is unchanged: same size, device, inode, modification and change time. The change time
  cannot be set by hand, and any write or replacement moves it. As git does with its index, a file
  changed shortly before its scan began is not trusted (file times tick coarser than the clock);
- the scan looked for the same taxonomy codes, with this version of the scanner;
- every NPI the directory holds now was either known then (so its records were candidates) or is the
  NPI of a candidate record. A physician a curator added since, whose record carries no wanted code,
  would otherwise be missed.
Zip files and --limit runs always scan.
"""

import os
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..models import ScannedFile
from .parse import Reject, Row, Seen, codes_key, read_record
from .scan import FOUND_FIELDS, Scanner

SCAN_VERSION = 2  # raise it when the scanner's choice of candidates or the stored format changes
RACY_SECONDS = 2.0  # a file changed less than this before its scan began is scanned again next time
KEEP = 10  # files remembered, the most recently scanned: a re-import is of a recent file


@dataclass(frozen=True)
class FileStamp:
    """What says a file is unchanged without reading it."""

    size: int
    device: int
    inode: int
    modified_ns: int
    changed_ns: int

    @classmethod
    def of(cls, path: Path) -> "FileStamp":
        stat = os.stat(path)
        return cls(stat.st_size, stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns)


def _key(path: Path) -> str:
    return str(path.resolve())


def recall(path: Path, *, scanner: Scanner) -> ScannedFile | None:
    """The remembered scan of the file at `path`, when it still holds for this import."""
    memo = ScannedFile.objects.filter(path=_key(path)).first()
    if memo is None or memo.scan_version != SCAN_VERSION or memo.codes_key != codes_key(scanner.codes).hex():
        return None
    if FileStamp(memo.size, memo.device, memo.inode, memo.modified_ns, memo.changed_ns) != FileStamp.of(path):
        return None
    found = _numbers(memo.found)
    covered = set(_numbers(memo.known_npis))
    covered.update(found[FOUND_FIELDS - 1 :: FOUND_FIELDS])
    if any(npi not in covered for npi in _known_numbers(scanner)):
        return None
    return memo


def remember(path: Path, *, stamp: FileStamp, started_ns: int, scanner: Scanner, records, run) -> bool:
    """Remember a finished full scan of the file at `path`, unless the file changed during the scan or
    shortly before it began. `stamp` is the file's before the scan, `started_ns` the wall clock then."""
    key = _key(path)
    if len(key) > ScannedFile._meta.get_field("path").max_length:
        return False
    if stamp.changed_ns > started_ns - RACY_SECONDS * 1e9 or FileStamp.of(path) != stamp:
        return False
    ScannedFile.objects.update_or_create(
        path=key,
        defaults={
            "size": stamp.size,
            "device": stamp.device,
            "inode": stamp.inode,
            "modified_ns": stamp.modified_ns,
            "changed_ns": stamp.changed_ns,
            "scan_version": SCAN_VERSION,
            "codes_key": codes_key(scanner.codes).hex(),
            "records": records.read,
            "found": _packed(records.found),
            "known_npis": _packed(array("q", sorted(_known_numbers(scanner)))),
            "import_run": run,
        },
    )
    stale = ScannedFile.objects.order_by("-scanned_at", "-pk").values_list("pk", flat=True)[KEEP:]
    ScannedFile.objects.filter(pk__in=list(stale)).delete()
    return True


def _packed(numbers: array) -> bytes:
    # Compressed, so a national file's memo (about 3 MB of numbers) is not escaped as text for the
    # database three times over at the end of an import, which would set its peak memory.
    return zlib.compress(numbers.tobytes(), 1)


def _numbers(packed) -> array:
    return array("q", zlib.decompress(packed))


def _known_numbers(scanner: Scanner) -> Iterator[int]:
    """The NPIs the scanner looks for, as numbers."""
    return (int(npi) for npi in scanner.known_npis if npi.isdigit())


class RecalledRecords:
    """The read records (Row, Reject or Seen, in file order) among the candidates a remembered scan found,
    each read from its offset; the same a scan of the unchanged file would give."""

    def __init__(self, *, path: Path, memo: ScannedFile, scanner: Scanner):
        self.path, self.scanner = path, scanner
        self.found = _numbers(memo.found)
        self.total, self.size = memo.records, memo.size
        self.read = 0
        self.bytes_read = scanner.data_start

    def __iter__(self) -> Iterator[Row | Reject | Seen]:
        found, scanner = self.found, self.scanner
        with open(self.path, "rb") as stream:
            descriptor = stream.fileno()
            for at in range(0, len(found), FOUND_FIELDS):
                line_no, offset, length = found[at], found[at + 1], found[at + 2]
                raw = os.pread(descriptor, length, offset)
                self.read, self.bytes_read = line_no - 2, offset + length  # for the progress bar
                parsed = read_record(line_no, raw, scanner)
                if parsed is not None:
                    yield parsed
        self.read, self.bytes_read = self.total, self.size

    def close(self) -> None:
        pass
