import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_database_sessions_run_without_jit():
    # JIT compilation adds latency to every short search; the database turns it off for every session.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_database_sessions_plan_without_parallel_workers():
    # Worker start-up outweighs the gain on the directory's searches and takes cores from other requests.
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_database_sessions_start_in_utc():
    # Django's connections run in UTC (USE_TZ): the database's default, so no SET TIME ZONE per connection.
    assert connection.connection.info.parameter_status("TimeZone") == "UTC"
