"""The trials' tables change the directory's version too (apps/trials/sql/trials_changed.sql)."""

from django.db import migrations

from apps.directory.sql import RunSQLFile


class Migration(migrations.Migration):
    dependencies = [("trials", "0002_site_recruiting_near"), ("directory", "0023_directory_version")]

    operations = [RunSQLFile("trials", "trials_changed", "110dd4c9fc89")]
