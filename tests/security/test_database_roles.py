"""Finding 8 (first half): migrations run as the database owner; the app's role, created the way
docker-compose.yml creates it (scripts/db/roles.psql), cannot erase the audit trail."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.db import connection
from psycopg2 import errors, sql

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def connect(params: dict, **overrides):
    link = psycopg2.connect(**(params | overrides))
    link.autocommit = True
    return link


@pytest.fixture
def split_database():
    """A fresh database (named after this run's test database, roles too: the server is shared) set up with
    scripts/db/roles.psql and migrated as its owner; yields connection parameters for owner and app."""
    base = connection.settings_dict
    name = f"{base['NAME']}_roles"
    owner, app = f"{name}_owner", f"{name}_app"
    server = {"host": base["HOST"] or "127.0.0.1", "port": base["PORT"] or 5432, "user": base["USER"]}
    admin = connect(server, dbname="postgres")

    def drop():
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            for role in (app, owner):
                cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))

    drop()
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    psql = ["psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", server["host"], "-p", str(server["port"]), "-U"]
    variables = {"owner": owner, "owner_password": "o", "app": app, "app_password": "a", "dbname": name}
    subprocess.run(
        [*psql, server["user"], "-d", name, *(f"-v{key}={value}" for key, value in variables.items()),
         "-f", str(ROOT / "scripts" / "db" / "roles.psql")],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    environment |= {
        "DATABASE_URL": f"postgres://{quote(owner)}:o@{server['host']}:{server['port']}/{name}",
        "DATABASE_APP_ROLE": app,
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    admin_params = server | {"dbname": name}
    yield {"owner": admin_params | {"user": owner}, "app": admin_params | {"user": app}}
    drop()
    admin.close()


ERASERS = {
    "truncate": "TRUNCATE referrals_accesslog",
    "delete": "DELETE FROM referrals_accesslog",
    "update": "UPDATE referrals_accesslog SET detail = 'rewritten'",
    "disable-trigger": "ALTER TABLE referrals_accesslog DISABLE TRIGGER referrals_accesslog_append_only",
    "replication-role": "SET session_replication_role = replica",
    "timeline-truncate": "TRUNCATE referrals_referralevent",
    "drop": "DROP TABLE referrals_accesslog",
}


def test_the_app_role_adds_to_and_reads_the_access_log_but_cannot_erase_it(split_database):
    app = connect(split_database["app"])
    with app.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "INSERT INTO referrals_accesslog (role, action, object_type, object_id, detail, channel, user_agent) "
            "VALUES ('curator', 'view', 'referral', '1', '', 'admin', '')"
        )

        for statement in ERASERS.values():
            with pytest.raises(errors.InsufficientPrivilege):
                cursor.execute(statement)
        # refused by privileges, not only by the append-only trigger (which the owner could drop)
        for table in ("referrals_accesslog", "referrals_referralevent"):
            cursor.execute(
                "SELECT privilege FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER'])"
                " AS privilege WHERE has_table_privilege(current_user, %s, privilege) ORDER BY 1",
                [table],
            )
            assert [row[0] for row in cursor.fetchall()] == ["INSERT", "SELECT"]

        cursor.execute("SELECT count(*), min(detail) FROM referrals_accesslog")
        assert cursor.fetchone() == (1, "")
        # and the app's ordinary tables stay writable
        cursor.execute("UPDATE accounts_user SET full_name = full_name")
    app.close()
