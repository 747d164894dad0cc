import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_database_sessions_run_without_jit():
    # JIT compilation adds latency to every short search; the settings turn it off per connection.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
