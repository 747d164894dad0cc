"""An NPPES import of one file, batch by batch: scan -> parse (a RecordSource gives the parsed records)
-> diff -> write. Each batch commits on its own and is idempotent, so a run that dies part-way can
simply be run again."""

import time
import zipfile
from collections.abc import Callable, Container
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from apps.directory.models import Physician, Specialty

from ..models import ImportRun, NppesRecord, SecondaryLocation
from . import diff, memo, state, write
from .parse import Reject, Row, Seen
from .progress import Progress
from .rejects import Rejects
from .scan import LOCATIONS_PATTERN, Scanner, is_locations_file, open_nppes, zip_member
from .sources import LocationRecords, RecordSource, open_source

# The first batch is small and each next one twice as big, up to --batch-size: writing starts while
# most of the file is still to be scanned, instead of after the first full batch has been found.
FIRST_BATCH_SIZE = 500
# Larger batches save no time (10M rows, 82,029 written: 13.1-14.0 s at 2,000 rows, 13.2-13.3 s at 5,000)
# but hold more rows at once (peak 108-113 MB against 129-138 MB).
DEFAULT_BATCH_SIZE = 2000
COUNT_FIELDS = ("read", "matched", "created", "updated", "unchanged", "deactivated", "reactivated", "rejected")
LOCATION_COUNT_FIELDS = ("locations_created", "locations_updated", "locations_removed")
LIMITED_LOCATIONS_MESSAGE = "The secondary practice location file is read whole or not at all: not with --limit."


@dataclass(frozen=True)
class Options:
    """How to import a file, as the import_nppes command's options say."""

    dry_run: bool = False  # read and compare, write nothing
    limit: int | None = None  # stop after this many records of the file
    batch_size: int = DEFAULT_BATCH_SIZE  # rows per transaction at most
    workers: int | None = None  # scan processes: one per CPU for a large file when None, none when 0
    progress: bool = False  # a progress bar on stderr


@dataclass
class BatchResult:
    """What one batch did to the directory (or, in a dry run, would have done)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    created_npis: tuple[str, ...] = ()


def apply_batch(
    rows: list[Row | Seen],
    *,
    specialty_ids: dict[str, int],
    wanted: frozenset[str],
    run_id: int,
    dry_run: bool,
    known: Container[str] | None = None,
    parse: Callable[[Seen], Row | None] | None = None,
) -> BatchResult:
    """Diff and write one batch (one row per NPI) inside the caller's transaction. `specialty_ids` maps
    every taxonomy code in the directory to its Specialty id; `wanted` are the codes this import
    manages. `known`, when given, holds every NPI the directory may have: the ones it had when the
    import started and the ones the import created since. The others are new. A Seen row (a record read
    before, not parsed) that is not unchanged is given to `parse` for its Row."""
    with connection.cursor() as cursor:
        # Physicians whose record and whose tracked fields are both what the last import saw: nothing to
        # compare, nothing to write. The others are read and compared in full.
        listed = rows if known is None else [row for row in rows if row.npi in known]
        unchanged = state.unchanged_since_last_import(cursor, listed) if listed else set()
        rows = [row for row in rows if row.npi not in unchanged]
        rows = [parsed for row in rows if (parsed := parse(row) if isinstance(row, Seen) else row) is not None]
        if not rows:
            return BatchResult(unchanged=len(unchanged))
        lookup = [row.npi for row in rows if known is None or row.npi in known]
        current = state.read_current(cursor, lookup) if lookup else {}
        plan = diff.diff_batch(rows, current, wanted=wanted, specialty_ids=specialty_ids)
        result = BatchResult(
            created=len(plan.created),
            updated=plan.updated,
            unchanged=len(unchanged) + plan.unchanged,
            deactivated=plan.deactivated,
            reactivated=plan.reactivated,
        )
        if dry_run:
            return result
        written = write.write_plan(cursor, plan, specialty_ids=specialty_ids, run_id=run_id, now=timezone.now())
    # Rows whose write did not happen (a physician a curator added or saved meanwhile) count as unchanged.
    not_written = len(plan.created) - len(written.created_ids) + len(written.lost_ids)
    result.created, result.created_npis = len(written.created_ids), tuple(written.created_ids)
    result.updated -= len(written.lost_ids)
    result.unchanged += not_written
    return result


def import_path(run: ImportRun, path: Path, *, wanted: frozenset[str], rejects: Rejects, options: Options) -> None:
    """Import what `path` holds: the main file (a CSV, or the npidata_pfile member of a zip) and then the
    secondary practice location file beside it in the zip, or a pl_pfile_*.csv on its own."""
    alone = is_locations_file(path)
    if not alone:
        import_file(run, path, wanted=wanted, rejects=rejects, options=options)
    if alone or _holds_locations(path):
        if options.limit is None:
            import_locations(run, path, rejects=rejects, options=options)
        else:
            run.message = LIMITED_LOCATIONS_MESSAGE
    run.rejects_path = str(rejects.path) if rejects.written else ""
    run.status = ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    if options.limit is not None:
        run.message = " ".join(filter(None, [f"Limited to the first {options.limit:,} rows.", run.message]))
    run.save()


def _holds_locations(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return zip_member(archive, LOCATIONS_PATTERN) is not None


def import_locations(run: ImportRun, path: Path, *, rejects: Rejects, options: Options) -> None:
    """Import the secondary practice locations of the physicians the directory lists, from the pl_pfile
    CSV at `path` or in the zip at `path`: read the file through (keeping only their rows), then diff
    and write a batch of physicians at a time, each batch in its own transaction."""
    listed: dict[str, list[dict]] = {}
    with open_nppes(path, LOCATIONS_PATTERN) as (stream, size, name):
        if run.file_name != name:  # the zip's main file was imported first
            run.file_name = f"{run.file_name} + {name}"[:500]
            run.save(update_fields=["file_name"])
        known = frozenset(Physician.objects.values_list("npi", flat=True))
        records = LocationRecords(stream, known_npis=known, states=_states())
        bar = Progress.start(size, options.progress)
        try:
            for parsed in records:
                run.matched += 1
                if isinstance(parsed, Reject):
                    run.rejected += 1
                    rejects.write(parsed)
                else:
                    listed.setdefault(parsed.npi, []).append(parsed.values())
                bar.update(records.bytes_read, records.read)
        finally:
            bar.close()
        run.read += records.read
    imported = SecondaryLocation.objects.values_list("location__physician__npi", flat=True).distinct()
    npis = sorted(listed.keys() | set(imported))
    for start in range(0, len(npis), options.batch_size):
        _apply_locations(run, {npi: listed.get(npi, []) for npi in npis[start : start + options.batch_size]}, options)


def _apply_locations(run: ImportRun, rows: dict[str, list[dict]], options: Options) -> None:
    """Diff and write the secondary locations of one batch of physicians, in one transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        plan = diff.diff_locations(rows, state.read_locations(cursor, list(rows)))
        if options.dry_run:
            written = write.LocationsWritten(len(plan.created), len(plan.moved), len(plan.removed))
        else:
            written = write.write_locations(cursor, plan)
        run.locations_created += written.created
        run.locations_updated += written.moved
        run.locations_removed += written.removed
        if not options.dry_run:
            run.save(update_fields=[*COUNT_FIELDS, *LOCATION_COUNT_FIELDS])


def import_file(run: ImportRun, path: Path, *, wanted: frozenset[str], rejects: Rejects, options: Options) -> None:
    """Import the NPPES file at `path` (CSV or zip) into the directory, the physicians with a `wanted`
    taxonomy code, counting into `run`."""
    with connection.cursor() as cursor:
        write.ensure_temp_tables(cursor)
    stamp, started_ns = (memo.FileStamp.of(path), time.time_ns()) if path.is_file() else (None, 0)
    with open_nppes(path) as (stream, size, name):
        run.file_name = name[:500]
        run.save(update_fields=["file_name"])
        known_npis = Physician.objects.values_list("npi", flat=True).iterator(chunk_size=10000)
        # Records read before: whether their physician is unchanged is decided without parsing them.
        remembered = dict(NppesRecord.objects.values_list("digest", "physician__npi").iterator(chunk_size=10000))
        scanner = Scanner(stream, codes=wanted, states=_states(), known_npis=known_npis, remembered=remembered)
        plain = name == path.name  # not a zip member
        limit = options.limit
        max_rows = 4 * options.batch_size  # rows scan workers may find ahead of the writes
        records = open_source(
            path, scanner, plain=plain, size=size, limit=limit, workers=options.workers, max_rows=max_rows
        )
        run.scan_reused = isinstance(records, memo.RecalledRecords)
        _read(records, _Batches(run, records, scanner=scanner, rejects=rejects, dry_run=options.dry_run), size, options)
        if plain and limit is None and not run.scan_reused:
            memo.remember(path, stamp=stamp, started_ns=started_ns, scanner=scanner, records=records, run=run)
    run.read = records.read


def _states() -> frozenset[str]:
    from localflavor.us.us_states import STATE_CHOICES

    return frozenset(code for code, _ in STATE_CHOICES)


def _read(records: RecordSource, batches: "_Batches", size: int, options: Options) -> None:
    """Every record of the source into batches of up to `batch_size` rows; a reject into the rejects file.
    The first batch is FIRST_BATCH_SIZE rows and each next one twice as big."""
    batch_size = options.batch_size
    rows = min(batch_size, FIRST_BATCH_SIZE)
    bar = None
    try:
        bar = Progress.start(size, options.progress)
        for parsed in records:
            batches.run.matched += 1
            if isinstance(parsed, Reject):
                batches.reject(parsed)
                continue
            if batches.add(parsed) >= rows:
                batches.flush()
                rows = min(batch_size, 2 * rows)
            bar.update(records.bytes_read, records.read)
        batches.flush()
    finally:
        records.close()
        if bar is not None:
            bar.update(records.bytes_read, records.read)
            bar.close()


class _Batches:
    """The rows read, one per NPI (a later row of the file wins), written a batch at a time, each in its
    own transaction."""

    def __init__(self, run, records, *, scanner, rejects, dry_run):
        self.run, self.records, self.scanner = run, records, scanner
        self.rejects, self.dry_run = rejects, dry_run
        self.pending: dict[str, Row | Seen] = {}
        # Every code, not only the wanted ones: a curator may have added any specialty, and it stays.
        self.specialty_ids = dict(Specialty.objects.values_list("code", "id"))
        self.created: set[str] = set()  # NPIs this run added, which a later row of the file may update
        self.known = _Either(scanner.known_npis, self.created)

    def reject(self, reject: Reject) -> None:
        self.run.rejected += 1
        self.rejects.write(reject)

    def add(self, row: Row | Seen) -> int:
        """Add a row to the next batch; returns how many rows that batch has."""
        if row.npi in self.pending:
            self.run.duplicates += 1  # the later row wins
        self.pending[row.npi] = row
        return len(self.pending)

    def flush(self) -> None:
        if not self.pending:
            return
        rows = sorted(self.pending.values(), key=lambda row: row.npi)
        self.pending.clear()
        run = self.run
        with transaction.atomic():
            result = apply_batch(
                rows,
                specialty_ids=self.specialty_ids,
                wanted=self.scanner.codes,
                run_id=run.pk,
                dry_run=self.dry_run,
                known=self.known,
                parse=self._parse_seen,
            )
            self.created.update(result.created_npis)
            for name in ("created", "updated", "unchanged", "deactivated", "reactivated"):
                setattr(run, name, getattr(run, name) + getattr(result, name))
            run.read = self.records.read
            if not self.dry_run:
                run.save(update_fields=[*COUNT_FIELDS, "duplicates"])

    def _parse_seen(self, seen: Seen) -> Row | None:
        """A Seen record whose physician changed since: read in full after all."""
        parsed = seen.parse(self.scanner)
        if isinstance(parsed, Reject):
            self.reject(parsed)
            return None
        return parsed


class _Either:
    """`npi in either` when it is in one of two containers."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __contains__(self, npi: str) -> bool:
        return npi in self.first or npi in self.second
