"""Registry imports: NPPES physicians into the directory, NUCC taxonomy codes into Specialty, and the
review of curator edits an import kept."""

import csv
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from apps.directory import reference
from apps.directory.models import Physician, Specialty

from . import batch as batches
from . import memo
from .models import ImportRun, KeptEdit, NppesRecord
from .parallel import MIN_BYTES, ParallelRecords, worker_count
from .reader import NppesFileError, Records, Reject, Row, Scanner, Seen, open_nppes

# One import at a time: a session-level advisory lock, released when the process ends however it ends.
IMPORT_LOCK_KEY = 0x0DC0_6E91
LOCK_WAIT_SECONDS = 15
BUSY_MESSAGE = "Another registry import is running; try again when it has finished."
UNKNOWN_CODES_MESSAGE = "Unknown taxonomy codes (load them with import_nucc first): {codes}"
BAD_CODES_MESSAGE = "Not NUCC taxonomy codes: {codes}"
NO_CODES_MESSAGE = "No taxonomy codes to import: no specialty has a category."
INTERRUPTED_MESSAGE = "Interrupted before it finished; noticed by run {run_id}."
TAXONOMY_CODE = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
# The first batch is small and each next one twice as big, up to --batch-size: writing starts while
# most of the file is still to be scanned, instead of after the first full batch has been found.
FIRST_BATCH_SIZE = 500
# Larger batches save no time (10M rows, 82,029 written: 13.1-14.0 s at 2,000 rows, 13.2-13.3 s at 5,000)
# but hold more rows at once (peak 108-113 MB against 129-138 MB).
DEFAULT_BATCH_SIZE = 2000
COUNT_FIELDS = ("read", "matched", "created", "updated", "unchanged", "deactivated", "reactivated", "rejected")


class RegistryImportError(Exception):
    """An import that cannot start or cannot read its file; the message says why."""


@dataclass
class _Progress:
    """tqdm over the file's bytes, showing records per second; silent when disabled."""

    bar: object = None
    started: float = 0.0

    @classmethod
    def start(cls, total: int, enabled: bool) -> "_Progress":
        if not enabled:
            return cls()
        from tqdm import tqdm

        bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True)
        return cls(bar=bar, started=time.monotonic())

    def update(self, done: int, rows: int) -> None:
        if self.bar is None:
            return
        self.bar.update(done - self.bar.n)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.bar.set_postfix_str(f"{rows:,} rows, {rows / elapsed:,.0f} rows/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _acquire_lock() -> None:
    """Wait a little: the server session of a killed import lives on until it notices its client is gone."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [IMPORT_LOCK_KEY])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise RegistryImportError(BUSY_MESSAGE)
            time.sleep(0.1)


def _release_lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])


def _start_run(*, file_name: str, kind: str, dry_run: bool) -> ImportRun:
    """Create this run's row; runs left `running` can only be dead ones, since we hold the lock."""
    run = ImportRun.objects.create(file_name=file_name[:500], kind=kind, dry_run=dry_run)
    ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exclude(pk=run.pk).update(
        status=ImportRun.Status.INCOMPLETE, message=INTERRUPTED_MESSAGE.format(run_id=run.pk)
    )
    return run


def _wanted_codes(taxonomies: list[str] | None) -> dict[str, int]:
    """{code: specialty id} of the codes to import: the given ones, or every code with a category."""
    if taxonomies:
        codes = sorted({code.strip().upper() for code in taxonomies if code.strip()})
        bad = [code for code in codes if not TAXONOMY_CODE.fullmatch(code)]
        if bad:
            raise RegistryImportError(BAD_CODES_MESSAGE.format(codes=", ".join(bad)))
        found = dict(Specialty.objects.filter(code__in=codes).values_list("code", "id"))
        missing = [code for code in codes if code not in found]
        if missing:
            raise RegistryImportError(UNKNOWN_CODES_MESSAGE.format(codes=", ".join(missing)))
        return found
    found = dict(Specialty.objects.exclude(category="").values_list("code", "id"))
    if not found:
        raise RegistryImportError(NO_CODES_MESSAGE)
    return found


def import_kind(path: str | Path) -> str:
    return ImportRun.Kind.WEEKLY if "weekly" in Path(path).name.lower() else ImportRun.Kind.FULL


class _Rejects:
    """The rejects CSV (line, NPI, reason), opened on the first reject unless a path was asked for."""

    def __init__(self, path: Path | None, default: Path):
        self.path = path or default
        self._file = None
        self._writer = None
        if path is not None:
            self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._writer.writerow(["line", "npi", "reason"])

    def write(self, reject: Reject) -> None:
        if self._writer is None:
            self._open()
        self._writer.writerow([reject.line_no, reject.npi, reject.reason])

    @property
    def written(self) -> bool:
        return self._writer is not None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def nppes_import(
    *,
    path: str | Path,
    dry_run: bool = False,
    limit: int | None = None,
    taxonomies: list[str] | None = None,
    rejects_path: str | Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    workers: int | None = None,
) -> ImportRun:
    """Import an NPPES data file (CSV or zip). Each batch commits on its own and is idempotent, so a run
    that dies part-way can simply be run again. `workers` processes scan a plain file (default: one per
    CPU for files of 64 MB or more; 0 scans in this process). Returns the finished ImportRun."""
    if batch_size < 1:
        raise RegistryImportError("The batch size must be at least 1.")
    if workers is not None and workers < 0:
        raise RegistryImportError("The number of workers cannot be negative.")
    if limit is not None and limit < 0:
        raise RegistryImportError("The limit cannot be negative.")
    path = Path(path)
    _acquire_lock()
    try:
        specialty_ids = _wanted_codes(taxonomies)
        run = _start_run(file_name=path.name, kind=import_kind(path), dry_run=dry_run)
        default_rejects = Path(settings.BASE_DIR) / "var" / "imports" / f"nppes-rejects-{run.pk}.csv"
        rejects = _Rejects(Path(rejects_path) if rejects_path else None, default_rejects)
        try:
            _run_nppes(
                run,
                path=path,
                dry_run=dry_run,
                limit=limit,
                specialty_ids=specialty_ids,
                rejects=rejects,
                batch_size=batch_size,
                progress=progress,
                workers=workers,
            )
        except Exception as error:
            run.status = ImportRun.Status.FAILED
            run.message = str(error)[:2000]
            run.finished_at = timezone.now()
            run.save()
            if isinstance(error, NppesFileError):
                raise RegistryImportError(str(error)) from error
            raise
        finally:
            rejects.close()
    finally:
        _release_lock()
    return run


def _run_nppes(run, *, path, dry_run, limit, specialty_ids, rejects, batch_size, progress, workers) -> None:
    codes = frozenset(specialty_ids)
    # Every code, not only the wanted ones: a curator may have added any specialty, and it stays.
    all_specialty_ids = dict(Specialty.objects.values_list("code", "id"))
    known_npis = Physician.objects.values_list("npi", flat=True).iterator(chunk_size=10000)
    from localflavor.us.us_states import STATE_CHOICES

    states = frozenset(code for code, _ in STATE_CHOICES)
    with connection.cursor() as cursor:
        batches.ensure_temp_tables(cursor)
    stamp, started_ns = (memo.FileStamp.of(path), time.time_ns()) if path.is_file() else (None, 0)
    with open_nppes(path) as (stream, size, name):
        run.file_name = name[:500]
        run.save(update_fields=["file_name"])
        # Records read before: whether their physician is unchanged is decided without parsing them.
        remembered = dict(NppesRecord.objects.values_list("digest", "physician__npi").iterator(chunk_size=10000))
        scanner = Scanner(stream, codes=codes, known_npis=known_npis, remembered=remembered)
        plain = name == path.name  # not a zip member
        # A plain file scanned in full before and unchanged since: read where that scan found candidates.
        recalled = memo.recall(path, codes=codes, scanner=scanner) if plain and limit is None else None
        if workers is None:
            workers = worker_count() if size >= MIN_BYTES else 0
        if recalled is not None:
            run.scan_reused = True
            records = memo.RecalledRecords(path=path, memo=recalled, scanner=scanner, codes=codes, states=states)
        # Ranges of a plain file in the published quoted layout can be scanned apart; --limit counts
        # records from the start, so it reads in order.
        elif workers and plain and scanner.columns.quoted and limit is None:
            records = ParallelRecords(
                path=path,
                scanner=scanner,
                codes=codes,
                states=states,
                workers=workers,
                max_rows=4 * batch_size,
                inherited_fds=_database_sockets(),
            )
        else:
            records = Records(scanner, limit=limit, codes=codes, states=states)
        pending: dict[str, Row | Seen] = {}
        batch_rows = min(batch_size, FIRST_BATCH_SIZE)
        created: set[str] = set()  # NPIs this run added, which a later row of the file may update
        known = _Either(scanner.known_npis, created)

        def parse(seen: Seen) -> Row | None:
            """A Seen record whose physician changed since: read in full after all."""
            parsed = seen.parse(scanner, codes=codes, states=states)
            if isinstance(parsed, Reject):
                run.rejected += 1
                rejects.write(parsed)
                return None
            return parsed

        def flush() -> None:
            nonlocal batch_rows
            batch_rows = min(batch_size, 2 * batch_rows)
            rows = sorted(pending.values(), key=lambda row: row.npi)
            pending.clear()
            with transaction.atomic():
                result = batches.apply_batch(
                    rows,
                    specialty_ids=all_specialty_ids,
                    wanted=codes,
                    run_id=run.pk,
                    dry_run=dry_run,
                    known=known,
                    parse=parse,
                )
                created.update(result.created_npis)
                for name in ("created", "updated", "unchanged", "deactivated", "reactivated"):
                    setattr(run, name, getattr(run, name) + getattr(result, name))
                run.read = records.read
                if not dry_run:
                    run.save(update_fields=[*COUNT_FIELDS, "duplicates"])

        bar = None
        try:
            bar = _Progress.start(size, progress)
            for parsed in records:
                run.matched += 1
                if isinstance(parsed, Reject):
                    run.rejected += 1
                    rejects.write(parsed)
                    continue
                if parsed.npi in pending:
                    run.duplicates += 1  # the later row wins
                pending[parsed.npi] = parsed
                if len(pending) >= batch_rows:
                    flush()
                bar.update(records.bytes_read, records.read)
            if pending:
                flush()
        finally:
            records.close()
            if bar is not None:
                bar.update(records.bytes_read, records.read)
                bar.close()
        if plain and limit is None and recalled is None:
            memo.remember(
                path, stamp=stamp, started_ns=started_ns, codes=codes, scanner=scanner, records=records, run=run
            )
    run.read = records.read
    run.rejects_path = str(rejects.path) if rejects.written else ""
    run.status = ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    if limit is not None:
        run.message = f"Limited to the first {limit:,} rows."
    run.save()


class _Either:
    """`npi in either` when it is in one of two containers."""

    def __init__(self, first, second):
        self.first, self.second = first, second

    def __contains__(self, npi: str) -> bool:
        return npi in self.first or npi in self.second


def _database_sockets() -> list[int]:
    """The descriptors of this process's open database connections."""
    return [c.connection.fileno() for c in connections.all(initialized_only=True) if c.connection is not None]


def nucc_import(*, path: str | Path) -> ImportRun:
    """Load every NUCC taxonomy code into Specialty, idempotently. Categories are the directory's own:
    existing ones are kept, new codes get none."""
    path = Path(path)
    if not path.is_file():
        raise RegistryImportError(f"No such file: {path}")
    _acquire_lock()
    try:
        run = _start_run(file_name=path.name, kind=ImportRun.Kind.NUCC, dry_run=False)
        try:
            _run_nucc(run, path)
        except Exception as error:
            run.status = ImportRun.Status.FAILED
            run.message = str(error)[:2000]
            run.finished_at = timezone.now()
            run.save()
            raise
    finally:
        _release_lock()
        reference.forget()  # written in bulk: no signal tells this process's searches
    return run


NUCC_COLUMNS = ("Code", "Grouping", "Classification", "Specialization", "Display Name")


def _run_nucc(run: ImportRun, path: Path) -> None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in NUCC_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise RegistryImportError(f"Not a NUCC taxonomy file: no column {', '.join(missing)}.")
        entries = {}
        for row in reader:
            run.read += 1
            code = (row["Code"] or "").strip().upper()
            if not TAXONOMY_CODE.fullmatch(code):
                run.rejected += 1
                continue
            classification = (row["Classification"] or "").strip()
            specialization = (row["Specialization"] or "").strip()
            display = (row["Display Name"] or "").strip() or " - ".join(
                part for part in (classification, specialization) if part
            )
            entries[code] = (
                display[:200],
                (row["Grouping"] or "").strip()[:200],
                classification[:200],
                specialization[:200],
            )
    run.matched = len(entries)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT code, display_name, grouping, classification, specialization FROM directory_specialty")
        current = {code: tuple(rest) for code, *rest in cursor.fetchall()}
        created = [code for code in entries if code not in current]
        changed = [code for code in entries if code in current and current[code] != entries[code]]
        for codes, counter in ((created, "created"), (changed, "updated")):
            if not codes:
                continue
            codes.sort()
            cursor.execute(
                """INSERT INTO directory_specialty (code, display_name, grouping, classification, specialization,
                        category)
                   SELECT * , '' FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[])
                   ON CONFLICT (code) DO UPDATE SET display_name = EXCLUDED.display_name,
                       grouping = EXCLUDED.grouping, classification = EXCLUDED.classification,
                       specialization = EXCLUDED.specialization""",
                [codes, *([entries[code][i] for code in codes] for i in range(4))],
            )
            setattr(run, counter, len(codes))
        run.unchanged = len(entries) - run.created - run.updated
        run.status = ImportRun.Status.SUCCEEDED
        run.finished_at = timezone.now()
        run.save()


def kept_edits_resolve(*, edits, by) -> int:
    """Mark kept curator edits as reviewed; the next import reopens one only if the registry's value
    changes again. Returns how many were resolved."""
    return (
        KeptEdit.objects.filter(pk__in=[edit.pk for edit in edits], resolved=False)
        .select_for_update()
        .update(resolved=True, resolved_at=timezone.now(), resolved_by=by)
    )


def kept_edits_apply_registry(*, edits, by) -> int:
    """Give up the curator's value: write the registry's value into the physician (text fields of the
    physician only) and resolve the edit. Returns how many were applied."""
    applied = 0
    with transaction.atomic():
        for edit in KeptEdit.objects.filter(pk__in=[e.pk for e in edits], resolved=False).select_for_update():
            if edit.field not in TEXT_FIELDS:
                continue
            physician = Physician.objects.select_for_update().get(pk=edit.physician_id)
            setattr(physician, edit.field, edit.registry_value)
            physician._change_reason = "Registry value applied from an NPPES import review"
            physician.save(update_fields=[edit.field, "updated_at"])
            edit.resolved, edit.resolved_at, edit.resolved_by = True, timezone.now(), by
            edit.save(update_fields=["resolved", "resolved_at", "resolved_by"])
            applied += 1
    return applied


TEXT_FIELDS = frozenset({"first_name", "middle_name", "last_name", "name_suffix", "credentials"})
