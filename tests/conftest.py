import pytest
from django.db import connection
from django.test import TransactionTestCase, override_settings

from tests.databases import RoleSplit, become, connected_as, name_of_test_database

# The S3-compatible server and buckets of the attachment storage tests.
pytest_plugins = ["tests.s3"]


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's test database, split as docker-compose.yml splits production's: the configured superuser
    creates it and its owner and app roles (scripts/db/roles.psql), the owner migrates it, and every test then
    connects as the app role. Yields the RoleSplit. As in pytest-django, --reuse-db keeps database and roles for the
    next run (--create-db makes them anew first); without it they are dropped at the end."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup  # as its own django_db_setup

    if not django_db_use_migrations:
        _disable_migrations()
    reuse = django_db_keepdb and not django_db_createdb
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        split = RoleSplit.for_database(connection.settings_dict, name_of_test_database(connection))
        if reuse and split.exists():
            split.keep_passwords()
        else:
            split.create()
        with connected_as(connection, split.owner), override_settings(DATABASE_APP_ROLE=split.app.name):
            # keepdb: the database is there already (the owner may not create one); Django migrates it
            databases = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
                keepdb=True,
            )
        become(connection, split.app)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", _flushed_as(split.owner))
        yield split

    with django_db_blocker.unblock():
        become(connection, split.superuser_role)
        teardown_databases(databases, verbosity=verbosity, keepdb=django_db_keepdb)
        if not django_db_keepdb:
            split.drop()


def _flushed_as(owner):
    """A transaction=True test ends with a flush: TRUNCATE, which the app role may not run on the audit tables
    (Django has no hook to flush through another connection), so the owner runs it."""
    flush = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        with connected_as(connection, owner):
            flush(self)

    return _fixture_teardown


@pytest.fixture
def as_owner(transactional_db, django_db_setup):
    """The test's connection as the database owner, for what only the owner may do (migrate, create tables).
    The connection changes roles between transactions, so the test is a transaction=True one."""
    with connected_as(connection, django_db_setup.owner):
        yield django_db_setup.owner


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep files a test writes out of the real private media folder."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Each test starts without the specialty and cancer tables a previous test's search kept (its rows
    were rolled back)."""
    from apps.directory.reference import forget

    forget()
    yield
    forget()


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's admin_user, with the full name our User requires (admin_client signs in as this user)."""
    return django_user_model.objects.create_superuser("admin@example.com", "password", full_name="Ada Admin")


def pytest_collection_modifyitems(items):
    """A transaction=True test ends with a flush, which deletes the migrations' reference data and content types;
    only serialized_rollback=True puts them back. Without it a later test on the same worker fails (a missing
    specialty, or a duplicate content type when the flush re-creates them), far from the cause: refuse it here.
    A test limited to some apps (available_apps) flushes only their tables."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is None or not marker.kwargs.get("transaction"):
            continue
        if not marker.kwargs.get("serialized_rollback") and not marker.kwargs.get("available_apps"):
            raise pytest.UsageError(f"{item.nodeid}: transaction=True needs serialized_rollback=True")
