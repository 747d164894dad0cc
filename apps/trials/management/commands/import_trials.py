"""python manage.py import_trials PATH: load oncology studies from ClinicalTrials.gov (API v2 JSON)."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from apps.common.arguments import positive_int
from apps.trials.services import DEFAULT_BATCH_SIZE, RegistryImportError, trials_import


class Command(BaseCommand):
    requires_system_checks = []  # a data load: checks run in CI and on deploy
    help = (
        "Import interventional cancer studies from ClinicalTrials.gov API v2 JSON: the bulk zip (one "
        "NCTxxxxxxxx.json per study, read member by member), a directory of such files, one study, or a search "
        'response ({"studies": [...]}). Then match the people they name to directory physicians. Safe to rerun: '
        "unchanged studies are skipped, and studies missing from a zip or directory are marked as gone."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the bulk zip, a directory of NCT*.json, a study or a search response")
        parser.add_argument("--rejects", metavar="PATH", help="where to write rejected studies (file, reason)")
        parser.add_argument(
            "--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE, metavar="N", help="studies per transaction"
        )
        parser.add_argument("--no-match", action="store_true", help="do not match investigators to physicians")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, path, rejects, batch_size, no_match, no_progress, **options):
        started = time.monotonic()
        try:
            run = trials_import(
                path=path,
                rejects_path=rejects,
                batch_size=batch_size,
                progress=not no_progress and sys.stderr.isatty(),
                match=not no_match,
            )
        except RegistryImportError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"read {run.read:,}, kept {run.matched:,}, created {run.created:,}, updated {run.updated:,}, "
            f"unchanged {run.unchanged:,}, left the file {run.deactivated:,}, rejected {run.rejected:,} "
            f"in {elapsed:.1f}s; import run {run.pk}"
        )
        if run.rejects_path:
            self.stdout.write(f"Rejected studies: {run.rejects_path}")
