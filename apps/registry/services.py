"""Registry imports: NPPES physicians into the directory (apps.registry.pipeline), NUCC taxonomy codes
into Specialty (apps.registry.nucc), and the review of curator edits an import kept. The commands and
the admin call these functions; each import runs alone (an advisory lock) and is recorded as an ImportRun."""

import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.common.jobs import enqueue
from apps.directory import reference
from apps.directory.models import Physician, Specialty

from . import nucc
from .models import ImportRun, KeptEdit
from .nucc import TAXONOMY_CODE, NuccFileError
from .pipeline import nppes
from .pipeline.nppes import DEFAULT_BATCH_SIZE
from .pipeline.rejects import Rejects
from .pipeline.scan import NppesFileError

# One import at a time: a session-level advisory lock, released when the process ends however it ends.
IMPORT_LOCK_KEY = 0x0DC0_6E91
LOCK_WAIT_SECONDS = 15
BUSY_MESSAGE = "Another registry import is running; try again when it has finished."
UNKNOWN_CODES_MESSAGE = "Unknown taxonomy codes (load them with import_nucc first): {codes}"
BAD_CODES_MESSAGE = "Not NUCC taxonomy codes: {codes}"
NO_CODES_MESSAGE = "No taxonomy codes to import: no specialty has a category."
INTERRUPTED_MESSAGE = "Interrupted before it finished; noticed by run {run_id}."


class RegistryImportError(Exception):
    """An import that cannot start or cannot read its file; the message says why."""


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


def start_run(*, file_name: str, kind: str, dry_run: bool) -> ImportRun:
    """Create this run's row; runs left `running` can only be dead ones, since we hold the lock."""
    run = ImportRun.objects.create(file_name=file_name[:500], kind=kind, dry_run=dry_run)
    ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exclude(pk=run.pk).update(
        status=ImportRun.Status.INCOMPLETE, message=INTERRUPTED_MESSAGE.format(run_id=run.pk)
    )
    return run


def _wanted_codes(taxonomies: list[str] | None) -> frozenset[str]:
    """The codes to import: the given ones, or every code with a category."""
    if taxonomies:
        codes = sorted({code.strip().upper() for code in taxonomies if code.strip()})
        bad = [code for code in codes if not TAXONOMY_CODE.fullmatch(code)]
        if bad:
            raise RegistryImportError(BAD_CODES_MESSAGE.format(codes=", ".join(bad)))
        found = set(Specialty.objects.filter(code__in=codes).values_list("code", flat=True))
        missing = [code for code in codes if code not in found]
        if missing:
            raise RegistryImportError(UNKNOWN_CODES_MESSAGE.format(codes=", ".join(missing)))
        return frozenset(found)
    found = frozenset(Specialty.objects.exclude(category="").values_list("code", flat=True))
    if not found:
        raise RegistryImportError(NO_CODES_MESSAGE)
    return found


def import_kind(path: str | Path) -> str:
    return ImportRun.Kind.WEEKLY if "weekly" in Path(path).name.lower() else ImportRun.Kind.FULL


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
    with import_lock():
        wanted = _wanted_codes(taxonomies)
        run = start_run(file_name=path.name, kind=import_kind(path), dry_run=dry_run)
        default_rejects = Path(settings.BASE_DIR) / "var" / "imports" / f"nppes-rejects-{run.pk}.csv"
        rejects = Rejects(Path(rejects_path) if rejects_path else None, default_rejects)
        try:
            with recorded(run):
                options = nppes.Options(
                    dry_run=dry_run, limit=limit, batch_size=batch_size, workers=workers, progress=progress
                )
                nppes.import_path(run, path, wanted=wanted, rejects=rejects, options=options)
        finally:
            rejects.close()
    return run


def nucc_import(*, path: str | Path) -> ImportRun:
    """Load every NUCC taxonomy code into Specialty, idempotently. Categories are the directory's own:
    existing ones are kept, new codes get none."""
    path = Path(path)
    if not path.is_file():
        raise RegistryImportError(f"No such file: {path}")
    try:
        with import_lock():
            run = start_run(file_name=path.name, kind=ImportRun.Kind.NUCC, dry_run=False)
            with recorded(run):
                entries = nucc.read_entries(run, path)
                with transaction.atomic():
                    nucc.write_entries(run, entries)
                    run.status = ImportRun.Status.SUCCEEDED
                    run.finished_at = timezone.now()
                    run.save()
    finally:
        reference.forget()  # written in bulk: no signal tells this process's searches
    return run


@contextmanager
def import_lock():
    """Hold the one-import-at-a-time lock (every registry import, and the trials import, take it)."""
    _acquire_lock()
    try:
        yield
    finally:
        _release_lock()


@contextmanager
def recorded(run: ImportRun, readable_errors: tuple[type[Exception], ...] = (NppesFileError, NuccFileError)):
    """Record a run that fails as failed, with the error; a file we cannot read (one of `readable_errors`)
    is the caller's error, raised as a RegistryImportError."""
    try:
        yield
    except Exception as error:
        run.status = ImportRun.Status.FAILED
        run.message = str(error)[:2000]
        run.finished_at = timezone.now()
        run.save()
        if isinstance(error, readable_errors):
            raise RegistryImportError(str(error)) from error
        raise


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


# -- imports started from the admin, run by a worker -----------------------------------------------

# What the admin can start, and the service a worker runs for it (dotted: the worker imports it).
IMPORT_JOBS = {
    "nppes": ("NPPES data file (full or weekly, CSV or zip)", "apps.registry.services.nppes_import"),
    "nucc": ("NUCC taxonomy (CSV)", "apps.registry.services.nucc_import"),
    "trials": ("ClinicalTrials.gov studies (zip, JSON file or directory)", "apps.trials.services.trials_import"),
}


def inbox_files() -> list[str]:
    """The names in IMPORT_INBOX, where registry files are put for the admin to import (newest first)."""
    inbox = Path(settings.IMPORT_INBOX)
    if not inbox.is_dir():
        return []
    entries = [entry for entry in inbox.iterdir() if not entry.name.startswith(".")]
    return [entry.name for entry in sorted(entries, key=lambda entry: entry.stat().st_mtime, reverse=True)]


def inbox_receive(upload) -> str:
    """Keep an uploaded file in the inbox under a name of its own; that name."""
    inbox = Path(settings.IMPORT_INBOX)
    inbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    base = Path(upload.name).name.replace(" ", "_") or "upload"
    name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}-{base}"
    with open(inbox / name, "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return name


def import_enqueue(*, source: str, name: str, dry_run: bool = False) -> str:
    """Start the import of inbox file `name` as `source` (a key of IMPORT_JOBS) on a worker; the task's id.
    Its ImportRun appears when a worker starts it and counts its rows as it goes."""
    if name not in inbox_files():
        raise RegistryImportError(f"{name} is not in the import inbox.")
    options = {"dry_run": dry_run} if source == "nppes" else {}
    return enqueue(IMPORT_JOBS[source][1], path=str(Path(settings.IMPORT_INBOX) / name), **options)
