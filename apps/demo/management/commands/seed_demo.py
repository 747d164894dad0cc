"""Fill the directory with a realistic synthetic data set, create the demo accounts README.md lists and
their demo referrals. Demo data only: refused unless settings.DEMO_DATA (DEBUG, a developer's machine)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.demo.real_sample import real_sample_load
from apps.directory import demo
from apps.directory.models import Physician
from apps.referrals.demo import seed_demo_referrals
from apps.registry.services import RegistryImportError
from apps.trials.demo import seed_demo_trials
from apps.trials.models import InvestigatorMatch

PRODUCTION_REFUSED = (
    "seed_demo creates accounts whose passwords README.md publishes: it runs only where DJANGO_DEBUG is true."
)


class Command(BaseCommand):
    help = (
        "Create a realistic synthetic oncologist directory (deterministic for a given --seed; running it again "
        "adds nothing) and the demo accounts listed in README.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--physicians", type=int, default=3000, help="How many physicians (default 3000).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed: same seed, same data (default 42).")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the directory already has any physician."
        )
        parser.add_argument(
            "--real-sample",
            action="store_true",
            help="Instead of synthetic data, import the real NPPES sample shipped in apps/demo/data (54 oncologists).",
        )

    def handle(self, *args, physicians: int, seed: int, if_empty: bool, real_sample: bool, **options):
        if not settings.DEMO_DATA:
            raise CommandError(PRODUCTION_REFUSED)
        if real_sample:
            self.load_real_sample()
            return
        if physicians < 0:
            raise CommandError("--physicians must be zero or more.")
        if if_empty and Physician.objects.exists():
            self.stdout.write("The directory already has physicians: nothing to do (--if-empty).")
            return
        started = time.monotonic()
        with transaction.atomic():
            plan = self.plan(physicians, seed)
            institutions, counts = self.seed_institutions(plan)
            counts.add(self.seed_physicians(plan, institutions))
            counts.accounts = self.seed_demo_accounts(plan)
            counts.referrals = self.seed_demo_referrals()
            counts.listing_reports = demo.seed_demo_listing_reports(plan)
        self.report(counts, started)
        self.seed_demo_trials(seed)

    def seed_demo_trials(self, seed: int) -> None:
        """Studies around the demo physicians, through the real import and matching (its own run, after the
        directory is committed: the import commits batch by batch)."""
        run = seed_demo_trials(seed=seed)
        if run is None:
            self.stdout.write("No demo trials: no physician has a practice with a known location.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo trials: {run.created} studies created, {run.updated} updated, {run.unchanged} unchanged "
                f"(import run {run.pk}); {InvestigatorMatch.objects.linked().count()} investigators linked, "
                f"{InvestigatorMatch.objects.to_review().count()} waiting for review."
            )
        )

    def load_real_sample(self) -> None:
        try:
            nucc, nppes = real_sample_load()
        except RegistryImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Real NPPES sample: {nucc.created} taxonomy codes created; {nppes.created} physicians created, "
                f"{nppes.updated} updated, {nppes.unchanged} unchanged (import runs {nucc.pk} and {nppes.pk})."
            )
        )

    def plan(self, physicians: int, seed: int) -> demo.DemoPlan:
        started = time.monotonic()
        plan = demo.DemoPlan(physicians=physicians, seed=seed)
        self.progress(f"Prepared name, street and ZIP pools and {physicians} NPIs in {demo.elapsed(started)}.")
        return plan

    def seed_institutions(self, plan: demo.DemoPlan):
        institutions, created = demo.seed_institutions(plan)
        return institutions, demo.Counts(institutions=created)

    def seed_physicians(self, plan: demo.DemoPlan, institutions) -> demo.Counts:
        started = time.monotonic()

        def progress(done, counts):
            self.progress(f"  {done}/{plan.physicians} physicians considered, {counts.physicians} created "
                          f"({demo.elapsed(started)})")  # fmt: skip

        return demo.seed_physicians(plan, institutions, progress=progress)

    def seed_demo_accounts(self, plan: demo.DemoPlan) -> int:
        return demo.seed_demo_accounts(plan)

    def seed_demo_referrals(self) -> int:
        return seed_demo_referrals()

    def progress(self, message: str) -> None:
        if self.verbosity > 1:
            self.stdout.write(message)

    @property
    def verbosity(self) -> int:
        return getattr(self, "_verbosity", 1)

    def execute(self, *args, **options):
        self._verbosity = options.get("verbosity", 1)
        return super().execute(*args, **options)

    def report(self, counts: demo.Counts, started: float) -> None:
        created = ", ".join(f"{value} {name}" for name, value in demo.iter_counts(counts))
        self.stdout.write(self.style.SUCCESS(f"Created {created} in {demo.elapsed(started)}."))
