"""python manage.py backup_database --output DIR: the database and the attachments' files, with a manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.common.backups import BackupError, backup_create, describe


class Command(BaseCommand):
    requires_system_checks = []  # a nightly job: the checks run on deploy
    help = (
        "Back up the database (pg_dump, custom format, from one snapshot) and the referral attachments' files "
        "into DIR: oncodir-<time>.dump, attachments-<time>.tar (not when they are in a bucket, which keeps its own "
        "versions) and manifest-<time>.json (row counts, SHA-256), which restore_database checks. For a small site; "
        "see docs/operations.md, Backups."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, metavar="DIR", help="the folder to write into")

    def handle(self, *, output: Path, **options):
        try:
            done = backup_create(output=output)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backed up {describe(done.counts)} in {done.seconds:.1f} s: {done.manifest}")
