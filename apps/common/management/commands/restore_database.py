"""python manage.py restore_database --from DIR --database-url URL: a backup into a new, empty database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.common.backups import BackupError, backup_restore, describe


class Command(BaseCommand):
    requires_system_checks = []  # the configured database need not exist yet
    help = (
        "Restore a backup_database backup into an empty database (it refuses one with tables) and its "
        "attachments' tar into the attachments' storage (it overwrites no file), then check the restored rows and "
        "files (in a bucket: that each is there) against the backup's manifest; exits non-zero on any difference. "
        "See docs/operations.md, Backups."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="source", required=True, type=Path, metavar="PATH",
            help="a manifest-*.json, or a folder (its newest manifest)",
        )  # fmt: skip
        parser.add_argument(
            "--database-url", required=True, metavar="URL",
            help="the empty database, e.g. postgres://oncodir_owner:...@host:5432/oncodir_restored",
        )  # fmt: skip
        parser.add_argument(
            "--role", default="", help="the role that owns the restored tables (default: the URL's user)"
        )
        parser.add_argument(
            "--app-role", default=settings.DATABASE_APP_ROLE,
            help="the app's role, left INSERT/SELECT only on the audit trail (default: DATABASE_APP_ROLE)",
        )  # fmt: skip

    def handle(self, *, source: Path, database_url: str, role: str, app_role: str, **options):
        try:
            done = backup_restore(source=source, database_url=database_url, role=role, app_role=app_role)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {describe(done.counts)} from {done.manifest} in {done.seconds:.1f} s; checked.")
