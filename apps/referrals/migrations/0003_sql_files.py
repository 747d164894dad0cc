"""The append-only triggers (0002) now live in apps/referrals/sql/referrals_refuse_change.sql: applied here,
with the same definition."""

from django.db import migrations

from apps.directory.sql import RunSQLFile


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_append_only_triggers")]

    operations = [RunSQLFile("referrals", "referrals_refuse_change", "d6d27ba19e7f")]
