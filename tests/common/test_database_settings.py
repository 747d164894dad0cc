import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_database_sessions_run_without_jit():
    # JIT compilation adds latency to every short search; the settings turn it off per connection.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_database_sessions_plan_without_parallel_workers(settings):
    # Worker start-up outweighs the gain on the directory's searches and takes cores from other requests.
    assert settings.DATABASE_PARALLEL_WORKERS == 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"
