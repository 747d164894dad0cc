"""Add a few demo referrals between the demo GP and the demo oncologist (after seed_demo)."""

from django.core.management.base import BaseCommand

from apps.referrals.demo import seed_demo_referrals


class Command(BaseCommand):
    help = (
        "Create six demo referrals in different states between the demo GP and the demo oncologist that "
        "seed_demo creates. Idempotent: does nothing when the demo GP already has referrals."
    )

    def handle(self, *args, **options):
        created = seed_demo_referrals()
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created {created} demo referrals."))
        else:
            self.stdout.write("No demo referrals created (accounts missing, or referrals already there).")
