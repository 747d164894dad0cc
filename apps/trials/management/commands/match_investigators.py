"""python manage.py match_investigators: match the people studies name to directory physicians again
(import_trials does it after each import; run this after the directory changed, e.g. an NPPES import)."""

import time

from django.core.management.base import BaseCommand

from apps.trials import matching


class Command(BaseCommand):
    requires_system_checks = []
    help = "Match every investigator of every study to directory physicians; curators' decisions are kept."

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = matching.match_all()
        self.stdout.write(
            f"linked {counts['linked']:,}, waiting for review {counts['pending']:,} "
            f"in {time.monotonic() - started:.1f}s"
        )
