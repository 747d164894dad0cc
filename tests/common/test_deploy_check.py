"""`manage.py check --deploy` with production-like settings from the environment, in a fresh process."""
# The subprocesses read the test database (committed state only), so these tests need no transaction of their own.

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.databases import database_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k7#Qz!p2vW9@xL4$rT8&mN1^bC6*hJ3(eF5)gD0-sA_yU+iO=lP[aS]dK{fG}hZ|xC",
    "DJANGO_ALLOWED_HOSTS": "oncodir.example,www.oncodir.example",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://oncodir.example",
    "CACHE_URL": "redis://127.0.0.1:6379/0",  # the check does not connect
}


@pytest.fixture
def production(db) -> dict[str, str]:
    """PRODUCTION plus a DATABASE_URL for the test database (drf-spectacular's check builds the schema)."""
    return PRODUCTION | {"DATABASE_URL": database_url(connection.settings_dict)}


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env |= environment
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("replicas", [False, True], ids=["primary-only", "with-read-replicas"])
def test_the_deploy_check_reports_no_issue_with_production_settings(production, replicas):
    # read replicas add database aliases, a router and a middleware (apps/common/replicas.py)
    if replicas:
        production |= {"DATABASE_REPLICA_URLS": f"{production['DATABASE_URL']},{production['DATABASE_URL']}"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("override", "issue"),
    [
        ({"DJANGO_SECRET_KEY": "too-short"}, "security.W009"),
        ({"DJANGO_DEBUG": "true"}, "security.W018"),
        ({"DJANGO_SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"DJANGO_SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"CACHE_URL": "locmemcache://"}, "oncodir.E003"),
    ],
    ids=["weak-secret-key", "debug-on", "no-hsts", "no-https-redirect", "per-process-cache"],
)
def test_the_deploy_check_catches_an_unsafe_setting(production, override, issue):
    result = manage("check", "--deploy", "--fail-level", "WARNING", **(production | override))

    assert result.returncode != 0
    assert issue in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key(production):
    environment = {key: value for key, value in production.items() if key != "DJANGO_SECRET_KEY"}

    result = manage("check", **environment)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
