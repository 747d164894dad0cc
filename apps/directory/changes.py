"""The directory's version: what every public read's ETag and Last-Modified come from.

directory_version's one row, which the database bumps as any transaction that changed a table a public
page, API or FHIR read shows commits (apps/directory/sql/directory_changed.sql: triggers, so the ORM, the
admin, raw SQL, the imports' COPY and a psql session all count). Reading it is one primary-key query
(about 0.1 ms; bench/etag_bench.py). A read takes the version before it reads anything else: its body is
then at least as new as its validator, never older.
"""

import datetime
from typing import NamedTuple

from django.db import connections

from apps.common.replicas import reading_from

QUERY = "SELECT number, changed_at FROM directory_version"

_latest_seen = 0


class DirectoryVersion(NamedTuple):
    number: int  # one more per committed transaction that changed the directory
    changed_at: datetime.datetime  # when the last one committed (never goes back)


def directory_version() -> DirectoryVersion:
    """The directory's committed version, as of now, on the database this request reads (a replica's is the
    version it has replayed: what it can serve)."""
    global _latest_seen
    with connections[reading_from()].cursor() as cursor:
        cursor.execute(QUERY)
        version = DirectoryVersion(*cursor.fetchone())
    _latest_seen = max(_latest_seen, version.number)
    return version


def latest_seen() -> int:
    """The newest version this process has read (0: none): what a process-wide cache of directory data must
    be at least as new as, when a read is served under it (reference.reference_data)."""
    return _latest_seen


def version_bump_on_migrate(*, using: str = "default", **kwargs) -> None:
    """A post_migrate receiver: a release changes what pages, API and FHIR show (a template, a serializer)
    without a row changing, and every deploy runs migrate (docker-compose.yml): it starts a new version, so
    no client keeps the old release's body under a current ETag."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regclass('directory_version') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute(
                "UPDATE directory_version SET number = number + 1, changed_at = greatest(changed_at, clock_timestamp())"
            )
