"""Conditional GET for the public directory reads (pages, API, FHIR): an ETag and a Last-Modified from the
directory's version (apps/directory/changes.py), and 304 Not Modified from Django's own
get_conditional_response (what @condition runs; not @condition itself, which would run before DRF and
FHIR authenticate and throttle the request, and would tag redirects and errors too).

One rule for all of them:
- only a read no one is signed in for gets validators: a signed-in read is marked not to be kept
  (``private, no-store``), so it has no copy to revalidate;
- the ETag is the version's number and a digest of everything else the body depends on: the absolute
  address (scheme, host, path, query string), the language, and what the caller names (the API's media
  type, FHIR's Prefer header, a page's cookies);
- Last-Modified is when the version last changed (to the second, as HTTP dates go: two changes within the
  second a client read in are told apart by the ETag, and If-None-Match wins over If-Modified-Since);
- only a 200 (or the 304 that stands for it) carries them;
- it is the read a replica may serve (apps/common/replicas.py), its version read from the same database.
Weak ETags: two bodies under one ETag mean the same (a page's CSRF token is masked anew each time).
"""

import functools

from django.utils import translation
from django.utils.cache import add_never_cache_headers, get_conditional_response, patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.http import http_date

from apps.common.replicas import public_read
from apps.directory.changes import DirectoryVersion, directory_version


def validators(request, version: DirectoryVersion, *variant: str) -> tuple[str, int]:
    """The ETag and Last-Modified (seconds since the epoch) of this read at `version`."""
    key = "\n".join((request.build_absolute_uri(), translation.get_language() or "", *variant))
    digest = salted_hmac("apps.common.conditional", key, algorithm="sha256").hexdigest()[:16]
    return f'W/"{version.number}-{digest}"', int(version.changed_at.timestamp())


def conditional_read(request, read, *variant: str):
    """`read(version)`'s response with its validators, or a 304 when the client's copy is the current one.

    `read` gets the directory's version it is served under (None for a signed-in read, which reads it only if
    it needs it); the version is read first, so the body is at least as new as its validators."""
    if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
        return read(None)
    # The read a replica may serve (apps/common/replicas.py): the version and the body from one database.
    with public_read(request):
        version = directory_version()
        etag, last_modified = validators(request, version, *variant)
        response = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if response is None:
            response = read(version)
            if response.status_code != 200:
                return response
    response.headers.setdefault("ETag", etag)
    response.headers.setdefault("Last-Modified", http_date(last_modified))
    return response


def public_page(view):
    """A public directory page. Read signed out: conditional (its cookies are part of the ETag, the page
    embeds a CSRF token from one and may show a flash message from another) and ``private, no-cache``: the
    browser keeps it and asks each time, a 304 when nothing changed. Read signed in (the header shows who):
    no validators, and no copy kept anywhere."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = conditional_read(
            request, lambda version: view(request, *args, **kwargs), request.headers.get("Cookie", "")
        )
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        elif response.status_code in (200, 304):
            patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapped
