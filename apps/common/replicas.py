"""Read replicas (DATABASE_REPLICA_URLS): the public directory read, and nothing else, may read a replica.

conditional_read (apps/common/conditional.py), which every public directory read goes through (pages, API,
FHIR, trials), runs its anonymous read inside `public_read`; a contextvar then tells the router which replica
this request reads, one for the whole request, chosen at random. Everything else (referrals, shortlists, the
admin, sign-in, anything signed in, any unsafe method) and every write uses the primary.

Read your own writes: a client whose unsafe request succeeded carries a signed cookie for
DATABASE_REPLICA_PIN_SECONDS, and its public reads use the primary meanwhile. A cookie, not the session: an
anonymous client (a problem report, a sign-out) has no session, it survives the sign-out that ends the
session, and checking it costs no query.

A replica that cannot be reached when the read starts is skipped for that request (a warning is logged): the
read then runs on the primary, version and data alike.
"""

import contextvars
import logging
import random
from contextlib import contextmanager

from django.conf import settings
from django.core.signing import BadSignature
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

PIN_COOKIE = "oncodir_primary"
PIN_SALT = "apps.common.replicas.pin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")

_replica: contextvars.ContextVar[str | None] = contextvars.ContextVar("replica", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias != DEFAULT_DB_ALIAS and _is_replica(alias)]


def _is_replica(alias: str) -> bool:
    return settings.DATABASES[alias].get("TEST", {}).get("MIRROR") == DEFAULT_DB_ALIAS


def reading_from() -> str:
    """The database this request's reads go to: its replica inside a public read, else the primary. Raw SQL
    of a public read (and the directory's version, which must come from the database its data comes from)
    runs on connections[reading_from()]."""
    return _replica.get() or DEFAULT_DB_ALIAS


def pinned_to_primary(request) -> bool:
    try:
        request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=settings.DATABASE_REPLICA_PIN_SECONDS)
    except (KeyError, BadSignature):  # no cookie, a forged one, or an expired one (SignatureExpired)
        return False
    return True


@contextmanager
def public_read(request):
    """Inside: the router sends this request's reads to one reachable replica, unless there is none or the
    client is pinned to the primary."""
    aliases = replica_aliases()
    if not aliases or pinned_to_primary(request):
        yield
        return
    alias = random.choice(aliases)
    try:
        replica = connections[alias]
        replica.close_if_health_check_failed()  # a kept connection the replica dropped reconnects
        replica.ensure_connection()
    except DatabaseError as error:
        # Checked before any query of the read, so the whole read (its version too) moves to the primary.
        logger.warning("Replica %s unreachable, reading the primary for %s: %s", alias, request.path, error)
        yield
        return
    token = _replica.set(alias)
    try:
        yield
    finally:
        _replica.reset(token)


class ReplicaRouter:
    """Reads inside a public read go to its replica; everything else, writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        return _replica.get()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas are copies of the primary: one database

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class PinToPrimaryMiddleware:
    """A successful unsafe request pins its client to the primary for DATABASE_REPLICA_PIN_SECONDS, so its next
    public reads show what it just wrote (a curator's admin edit, on the public profile) before a replica has
    replayed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=settings.DATABASE_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
