"""Whether this process can serve: the readiness checks, declared once. `/healthz/ready` (and `/healthz`, which
docker-compose.yml's health check reads) runs every one; add a dependency here and the probe checks it."""

import logging
from collections.abc import Callable

from django.db import connection

from .jobs import queue_answers

logger = logging.getLogger(__name__)


def database_answers() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


# name -> a function that raises when that dependency does not answer
READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": database_answers,
    "queue": queue_answers,
}


def readiness() -> dict[str, bool]:
    """Each check's name and whether it answered."""
    results = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready", whatever the client library raises
            reason = str(error).strip().splitlines()[:1]
            logger.warning("Readiness check %s failed: %s %s", name, error.__class__.__name__, *reason or [""])
            results[name] = False
        else:
            results[name] = True
    return results
