"""`check --deploy` fails while a demo account (whose password README.md publishes) exists."""

from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from apps.directory import demo

DEMO_ACCOUNT_EMAILS = (demo.DEMO_CURATOR_EMAIL, demo.DEMO_GP_EMAIL, demo.DEMO_ONCOLOGIST_EMAIL)
DEMO_ACCOUNT_CHECK = "oncodir.E002"


@register(Tags.security, Tags.database, deploy=True)
def demo_accounts_absent(app_configs=None, **kwargs):
    from apps.accounts.models import User

    try:
        emails = sorted(User.objects.filter(email__in=DEMO_ACCOUNT_EMAILS).values_list("email", flat=True))
    except DatabaseError:
        return []  # no database (or not migrated yet): there is no account to find
    return [
        Error(
            f"The demo account {email} exists; its password is public (README.md).",
            hint="Delete it: demo data belongs on a developer's machine only.",
            id=DEMO_ACCOUNT_CHECK,
        )
        for email in emails
    ]
