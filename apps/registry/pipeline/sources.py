"""Where an import's records come from. Three sources give the same records of the same file, in the
same order, with the same line numbers and counts; they differ in how they find them:
- ScannedRecords: this process scans the file (any file, and the only one for a zip or --limit);
- ParallelRecords (apps.registry.pipeline.parallel): worker processes scan ranges of a plain file;
- RecalledRecords (apps.registry.pipeline.memo): the file is unchanged since a full scan, whose
  candidates are read from their offsets without scanning again.
"""

import csv
import io
from array import array
from collections.abc import Container, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from django.db import connections

from .memo import RecalledRecords, recall
from .parallel import MIN_BYTES, ParallelRecords, worker_count
from .parse import REJECT_COLUMNS, LocationRow, Reject, Row, Seen, location_positions, read_location, read_record
from .scan import NppesFileError, Scanner


@runtime_checkable
class RecordSource(Protocol):
    """The candidate records of one NPPES file, in file order: each a Row, a Reject (with its line and
    reason) or a Seen (a record read before, parsed only if its physician changed since). Iterated
    once, then closed."""

    @property
    def read(self) -> int:
        """Data records of the file passed so far, candidates or not."""
        ...

    @property
    def bytes_read(self) -> int:
        """Bytes of the file passed so far, for the progress bar."""
        ...

    @property
    def found(self) -> array:
        """The candidates passed so far, FOUND_FIELDS numbers each (see Scanner.found): what a memo of
        a full scan remembers."""
        ...

    def __iter__(self) -> Iterator[Row | Reject | Seen]: ...

    def close(self) -> None:
        """Release what the source holds (worker processes); safe to call before the end."""
        ...


class ScannedRecords:
    """The records among the candidates of a scan in this process; `limit` stops after that many records."""

    def __init__(self, scanner: Scanner, *, limit: int | None = None):
        self.scanner, self.limit = scanner, limit

    @property
    def read(self) -> int:
        return self.scanner.read

    @property
    def bytes_read(self) -> int:
        return self.scanner.bytes_read

    @property
    def found(self) -> array:
        return self.scanner.found

    def __iter__(self) -> Iterator[Row | Reject | Seen]:
        scanner = self.scanner
        for line_no, raw in scanner.candidates(self.limit):
            parsed = read_record(line_no, raw, scanner)
            if parsed is not None:
                yield parsed

    def close(self) -> None:
        pass


class LocationRecords:
    """The records of a secondary practice location file (pl_pfile_*.csv) that concern a physician the
    directory lists: each a LocationRow or a Reject. Its rows are few and short (a tenth of the main
    file's bytes), so the csv module reads them all; another physician's row is dropped on its NPI.
    Never remembered (`found` stays empty): the whole file is read each time."""

    def __init__(self, stream: BinaryIO, *, known_npis: Container[str], states: Container[str]):
        self.stream, self.known_npis, self.states = stream, known_npis, states
        self.reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
        try:
            self.positions = location_positions(next(self.reader, []))
        except ValueError as error:
            raise NppesFileError(str(error)) from error
        self._read = 0

    @property
    def read(self) -> int:
        return self._read

    @property
    def bytes_read(self) -> int:
        return self.stream.tell()

    @property
    def found(self) -> array:
        return array("q")

    def __iter__(self) -> Iterator[LocationRow | Reject]:
        reader, positions, width = self.reader, self.positions, max(self.positions) + 1
        start = reader.line_num + 1
        for fields in reader:
            self._read += 1
            line_no, start = start, reader.line_num + 1
            if not fields or fields[0].strip() not in self.known_npis:
                continue
            if len(fields) < width:
                yield Reject(line_no, fields[0].strip(), REJECT_COLUMNS.format(found=len(fields), expected=width))
                continue
            yield read_location(line_no, [fields[i] for i in positions], self.states)

    def close(self) -> None:
        pass


def open_source(
    path: Path,
    scanner: Scanner,
    *,
    plain: bool,
    size: int,
    limit: int | None,
    workers: int | None,
    max_rows: int,
) -> RecordSource:
    """The fastest source that gives the file's records: a remembered scan of the unchanged plain file,
    else scan workers for a plain file in the published quoted layout (`workers` None: one per CPU from
    MIN_BYTES up; 0: none), else a scan here. --limit counts records from the start, so it scans here, in
    order. `max_rows`: how many rows the workers may find ahead of the importer."""
    remembered = recall(path, scanner=scanner) if plain and limit is None else None
    if remembered is not None:
        return RecalledRecords(path=path, memo=remembered, scanner=scanner)
    if workers is None:
        workers = worker_count() if size >= MIN_BYTES else 0
    if workers and plain and scanner.columns.quoted and limit is None:
        return ParallelRecords(
            path=path,
            scanner=scanner,
            workers=workers,
            max_rows=max_rows,
            inherited_fds=_database_sockets(),
        )
    return ScannedRecords(scanner, limit=limit)


def _database_sockets() -> list[int]:
    """The descriptors of this process's open database connections."""
    return [c.connection.fileno() for c in connections.all(initialized_only=True) if c.connection is not None]
