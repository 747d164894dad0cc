"""The app's database role may only add to and read the audit trail.

scripts/db/roles.psql gives the app role (settings.DATABASE_APP_ROLE) SELECT, INSERT, UPDATE and DELETE on
every table the owner creates. After each migrate (run as the owner), this takes UPDATE, DELETE and TRUNCATE
back on the tables the database itself makes append-only: those with a trigger named `<table>_append_only`.
"""

from django.conf import settings
from django.db import connections
from psycopg2 import sql

APPEND_ONLY_TABLES = """
    SELECT DISTINCT event_object_table FROM information_schema.triggers
    WHERE trigger_schema = current_schema() AND trigger_name = event_object_table || '_append_only'
    ORDER BY 1
"""


def restrict_app_role(*, using: str = "default", **kwargs) -> list[str]:
    """Make the append-only tables INSERT/SELECT only for the app role; return their names."""
    role = settings.DATABASE_APP_ROLE
    if not role:
        return []
    with connections[using].cursor() as cursor:
        return restrict_role(cursor, role)


def restrict_role(cursor, role: str) -> list[str]:
    """The same on the database of `cursor` (Django's or psycopg2's: a restore has no Django connection)."""
    cursor.execute(APPEND_ONLY_TABLES)
    tables = [name for (name,) in cursor.fetchall()]
    for table in tables:
        cursor.execute(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}; GRANT SELECT, INSERT ON {} TO {}").format(
                sql.Identifier(table), sql.Identifier(role), sql.Identifier(table), sql.Identifier(role)
            )
        )
    return tables
