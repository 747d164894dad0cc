"""Finding 8 (first half): migrations run as the database owner; the app's role, created the way
docker-compose.yml creates it (scripts/db/roles.psql), cannot erase the audit trail. The suite itself runs
that way (tests/conftest.py's django_db_setup), so these tests look at the suite's own connection."""

import pytest
from django.core.management import call_command
from django.db import ProgrammingError, connection, transaction
from psycopg2 import errors, sql

from apps.common.db_roles import restrict_app_role

pytestmark = pytest.mark.django_db

ERASERS = {
    "truncate": "TRUNCATE referrals_accesslog",
    "delete": "DELETE FROM referrals_accesslog",
    "update": "UPDATE referrals_accesslog SET detail = 'rewritten'",
    "disable-trigger": "ALTER TABLE referrals_accesslog DISABLE TRIGGER referrals_accesslog_append_only",
    "replication-role": "SET session_replication_role = replica",
    "timeline-truncate": "TRUNCATE referrals_referralevent",
    "drop": "DROP TABLE referrals_accesslog",
}
PRIVILEGES = (
    "SELECT privilege FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER'])"
    " AS privilege WHERE has_table_privilege(coalesce(%s, current_user), %s, privilege) ORDER BY 1"
)


def refused(cursor, statement: str) -> None:
    """The statement fails for want of privilege (in a savepoint, so the test's transaction goes on)."""
    with pytest.raises(ProgrammingError) as refusal, transaction.atomic():
        cursor.execute(statement)
    assert isinstance(refusal.value.__cause__, errors.InsufficientPrivilege), refusal.value


def privileges(cursor, table: str, role: str | None = None) -> list[str]:
    """What `role` (the connection's own, by default) may do to `table`."""
    cursor.execute(PRIVILEGES, [role, table])
    return [row[0] for row in cursor.fetchall()]


def test_the_suite_connects_as_the_app_role_not_the_owner_that_migrated(django_db_setup):
    roles = django_db_setup
    with connection.cursor() as cursor:
        # the tests' connection is the app role, no superuser
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (roles.app.name, False, False)
        # the owner, another role and no superuser either, owns the database and migrated it
        cursor.execute(
            "SELECT pg_get_userbyid(datdba), rolsuper FROM pg_database JOIN pg_roles ON pg_roles.oid = datdba"
            " WHERE datname = current_database()"
        )
        assert cursor.fetchone() == (roles.owner.name, False)
        cursor.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename IN ('django_migrations', 'referrals_accesslog', 'directory_physician')"
        )
        assert cursor.fetchall() == [(roles.owner.name,)]
        cursor.execute("SELECT count(*) > 0 FROM django_migrations WHERE app = 'referrals'")
        assert cursor.fetchone() == (True,)
        # and the app role cannot erase the access log, nor switch its trigger off
        for name in ("truncate", "delete", "update", "disable-trigger", "replication-role"):
            refused(cursor, ERASERS[name])
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone() == ("origin",)


def test_the_app_role_adds_to_and_reads_the_access_log_but_cannot_erase_it(django_db_setup):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "INSERT INTO referrals_accesslog (role, action, object_type, object_id, detail, channel, user_agent) "
            "VALUES ('curator', 'view', 'referral', '1', '', 'admin', '')"
        )

        for statement in ERASERS.values():
            refused(cursor, statement)
        # refused by privileges, not only by the append-only trigger (which the owner could drop)
        for table in ("referrals_accesslog", "referrals_referralevent"):
            assert privileges(cursor, table) == ["INSERT", "SELECT"]

        cursor.execute("SELECT count(*), min(detail) FROM referrals_accesslog")
        assert cursor.fetchone() == (1, "")
        # and the app's ordinary tables stay writable
        cursor.execute("UPDATE accounts_user SET full_name = full_name")
        assert privileges(cursor, "accounts_user") == ["DELETE", "INSERT", "SELECT", "UPDATE"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the flush keeps migrate's rows as they were
def test_every_migrate_takes_back_what_was_granted_on_the_audit_tables(as_owner, django_db_setup, settings):
    # given an owner that granted the app role UPDATE, DELETE and TRUNCATE on the access log
    app = django_db_setup.app.name
    settings.DATABASE_APP_ROLE = app
    grant = sql.SQL("GRANT UPDATE, DELETE, TRUNCATE ON referrals_accesslog TO {}").format(sql.Identifier(app))
    try:
        with connection.cursor() as cursor:
            cursor.execute(grant)
            assert privileges(cursor, "referrals_accesslog", app) == [
                "DELETE",
                "INSERT",
                "SELECT",
                "TRUNCATE",
                "UPDATE",
            ]
        # when migrate runs as the owner, with nothing to migrate
        call_command("migrate", verbosity=0)
        # then the app role is back to adding and reading
        with connection.cursor() as cursor:
            assert privileges(cursor, "referrals_accesslog", app) == ["INSERT", "SELECT"]
            assert privileges(cursor, "referrals_referralevent", app) == ["INSERT", "SELECT"]
    finally:
        restrict_app_role()  # whatever happened, the other tests keep an app role that cannot erase
