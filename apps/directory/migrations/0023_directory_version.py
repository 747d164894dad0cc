"""The directory's version (apps/directory/changes.py): a one-row table the public reads' ETag and
Last-Modified come from, bumped at commit by any statement on a table they show
(apps/directory/sql/directory_changed.sql). Plain tables, not models: only the database writes them, and
flushing the models' tables (TransactionTestCase) leaves the version's row in place."""

from django.db import migrations

from apps.directory.sql import RunSQLFile

TABLES = """
CREATE TABLE directory_version (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    number bigint NOT NULL,
    changed_at timestamptz NOT NULL
);
INSERT INTO directory_version (id, number, changed_at) VALUES (1, 1, now());
-- A transaction's mark that it changed the directory, from its first such statement to its commit.
CREATE TABLE directory_change (txid xid8 PRIMARY KEY);
"""
DROP = """
DROP FUNCTION IF EXISTS directory_changed() CASCADE;
DROP FUNCTION IF EXISTS directory_version_bump() CASCADE;
DROP TABLE IF EXISTS directory_change;
DROP TABLE IF EXISTS directory_version;
"""


class Migration(migrations.Migration):
    dependencies = [("directory", "0022_insurance_search_column")]

    operations = [
        migrations.RunSQL(TABLES, DROP),
        RunSQLFile("directory", "directory_changed", "9f87d5d2eb58"),
    ]
