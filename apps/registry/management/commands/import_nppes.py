"""python manage.py import_nppes PATH: load oncologists from an NPPES data file (CSV or zip)."""

import atexit
import gc
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from apps.common.arguments import positive_int
from apps.registry.services import DEFAULT_BATCH_SIZE, RegistryImportError, nppes_import


class Command(BaseCommand):
    # A data load: the project's system checks run in CI and on deploy, not before each weekly import.
    requires_system_checks = []
    help = (
        "Import physicians with an oncology taxonomy from an NPPES data file (npidata_pfile_*.csv, or the "
        "dissemination zip, streamed), and their secondary practice locations (pl_pfile_*.csv, in the zip "
        "or on its own). Safe to rerun: unchanged physicians are not written, and a run "
        "interrupted at any point can simply be run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            help="npidata_pfile_*.csv, a weekly file, a zip holding one (and its pl_pfile_*.csv), or a pl_pfile_*.csv",
        )
        parser.add_argument("--dry-run", action="store_true", help="read and compare, write nothing")
        parser.add_argument("--limit", type=int, metavar="N", help="stop after N rows of the file")
        parser.add_argument(
            "--taxonomies",
            metavar="CODE,...",
            help="taxonomy codes to import (default: every specialty with a category)",
        )
        parser.add_argument("--rejects", metavar="PATH", help="where to write rejected rows (line, NPI, reason)")
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=DEFAULT_BATCH_SIZE,
            metavar="N",
            help="rows per transaction (default %(default)s; the first ones are smaller)",
        )
        parser.add_argument(
            "--workers",
            type=int,
            metavar="N",
            help="processes scanning a plain CSV file (default: one per CPU for files of 64 MB or more; 0: none)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, path, dry_run, limit, taxonomies, rejects, batch_size, workers, no_progress, **options):
        if limit is not None and limit < 0:
            raise CommandError("--limit cannot be negative.")
        if workers is not None and workers < 0:
            raise CommandError("--workers cannot be negative.")
        started = time.monotonic()
        try:
            run = nppes_import(
                path=path,
                dry_run=dry_run,
                limit=limit,
                taxonomies=taxonomies.split(",") if taxonomies else None,
                rejects_path=rejects,
                batch_size=batch_size,
                progress=not no_progress and sys.stderr.isatty(),
                workers=workers,
            )
        except RegistryImportError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        # When this process ends, spare it the interpreter's last garbage collection over every object
        # Django and the import left (0.2-0.3 s on the 2-core benchmark machine); atexit, so a process
        # that goes on after the command (a test run) keeps collecting as usual.
        atexit.register(gc.freeze)
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}read {run.read:,}, matched {run.matched:,}, created {run.created:,}, "
            f"updated {run.updated:,}, unchanged {run.unchanged:,}, deactivated {run.deactivated:,}, "
            f"reactivated {run.reactivated:,}, rejected {run.rejected:,}, duplicates {run.duplicates:,} "
            f"in {elapsed:.1f}s ({run.read / max(elapsed, 1e-9):,.0f} rows/s); import run {run.pk}"
        )
        if run.locations_created or run.locations_updated or run.locations_removed:
            self.stdout.write(
                f"Secondary practice locations: created {run.locations_created:,}, moved {run.locations_updated:,}, "
                f"removed {run.locations_removed:,}"
            )
        if run.message:
            self.stdout.write(run.message)
        if run.scan_reused:
            self.stdout.write(
                "The file is unchanged since an import scanned it: only the records found then were read."
            )
        if run.rejects_path:
            self.stdout.write(f"Rejected rows: {run.rejects_path}")
