"""python manage.py import_nucc PATH: load the NUCC Health Care Provider Taxonomy code set."""

from django.core.management.base import BaseCommand, CommandError

from apps.registry.services import RegistryImportError, nucc_import


class Command(BaseCommand):
    # A data load: the project's system checks run in CI and on deploy, not before each weekly import.
    requires_system_checks = []
    help = (
        "Load every code of the NUCC taxonomy CSV into the specialties, idempotently. The oncology "
        "categories the directory set stay; new codes get no category."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the NUCC taxonomy CSV (Code, Grouping, Classification, ...)")

    def handle(self, *args, path, **options):
        try:
            run = nucc_import(path=path)
        except RegistryImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"read {run.read:,}, created {run.created:,}, updated {run.updated:,}, unchanged {run.unchanged:,}, "
            f"rejected {run.rejected:,}; import run {run.pk}"
        )
