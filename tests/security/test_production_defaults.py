"""Finding 2: nothing in production creates an account or demo data, there is no default secret, and
`check --deploy` fails on a published key or an existing demo account."""

import re
import secrets
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection

from apps.accounts.models import User
from apps.directory import demo
from tests.common.test_deploy_check import PRODUCTION, manage
from tests.databases import database_url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def compose_environment(service: str) -> dict[str, str]:
    """docker-compose.yml's environment for `service`, its ${VAR:?...} secrets filled with fresh random values."""
    environment = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][service]["environment"]
    return {
        name: re.sub(r"\$\{[A-Z_]+(:\?[^}]*)?\}", lambda _: secrets.token_urlsafe(40), str(value))
        for name, value in environment.items()
    }


def test_neither_the_image_nor_compose_creates_accounts_or_demo_data():
    for name in ("Dockerfile", "docker-compose.yml"):
        text = (ROOT / name).read_text()
        commands = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in commands if re.search(r"seed_demo|createsuperuser|loaddata", line)], name


def test_compose_ships_no_default_secret():
    text = (ROOT / "docker-compose.yml").read_text()

    for variable in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "ONCODIR_OWNER_PASSWORD", "ONCODIR_APP_PASSWORD"):
        assert re.search(rf"\$\{{{variable}:\?", text), f"{variable} must be required, without a default"
    assert not re.search(r"\$\{\w+:-", text)


def test_seed_demo_refuses_outside_a_developer_machine(settings):
    settings.DEMO_DATA = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        call_command("seed_demo", "--physicians", "3")

    assert not User.objects.exists()


def test_the_compose_settings_pass_the_deploy_check():
    environment = compose_environment("web") | {"DATABASE_URL": database_url(connection.settings_dict)}

    result = manage("check", "--deploy", "--fail-level", "WARNING", **environment)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "key",
    ["insecure-local-development-key-change-me", "change-me-to-a-long-random-string-before-any-real-use"],
    ids=["development-key", "old-compose-default"],
)
def test_the_deploy_check_fails_on_a_published_secret_key(key):
    environment = PRODUCTION | {"DATABASE_URL": database_url(connection.settings_dict), "DJANGO_SECRET_KEY": key}

    result = manage("check", "--deploy", **environment)

    assert result.returncode != 0
    assert "oncodir.E001" in result.stderr


# committed: the check runs in another process; serialized_rollback, as every transaction=True test here: a flush
# that re-ran post_migrate would give the content types new ids, which the next one's restore then collides with
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_deploy_check_fails_while_a_demo_account_exists():
    User.objects.create_user(demo.DEMO_GP_EMAIL, demo.DEMO_GP_PASSWORD, full_name="Gale Prentice", role="gp")
    environment = PRODUCTION | {"DATABASE_URL": database_url(connection.settings_dict)}

    result = manage("check", "--deploy", **environment)

    assert result.returncode != 0
    assert "oncodir.E002" in result.stderr and demo.DEMO_GP_EMAIL in result.stderr
