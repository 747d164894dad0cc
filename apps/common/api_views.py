"""Building blocks every API view shares: public caching and the API's own 404."""

import hashlib
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from apps.common.conditional import conditional_read
from apps.directory.changes import directory_version

PUBLIC_CACHE_SECONDS_DEFAULT = 300
JSON = "application/json"
UNKNOWN_ENDPOINT = "There is no API endpoint at this address. The endpoints are listed at /api/docs/."
MISSING_SLASH = "There is no API endpoint at this address. Did you mean {path}?"


class PublicReadOnlyAPIMixin:
    """For data anyone may read: no login needed, and shared caches may keep a successful read.

    Anonymous reads get ``Cache-Control: public, max-age=API_PUBLIC_CACHE_SECONDS``; a read made with
    credentials gets ``private, no-store`` (it went through authentication and throttling keyed to a
    user, and a proxy must not learn who asked). Errors are marked ``no-store`` by the error handler.
    """

    permission_classes = [AllowAny]

    # Only `list` here: a router adds a detail route to any viewset that has a `retrieve` attribute, so a
    # viewset with a detail page wraps its own `retrieve` with `_from_server_cache`.
    def list(self, request, *args, **kwargs):
        return self._from_server_cache(request, super().list, *args, **kwargs)

    def _from_server_cache(self, request, compute, *args, **kwargs):
        """A conditional read (apps/common/conditional.py: a 304 when the client's copy is current), served
        from the app's cache for API_PUBLIC_SERVER_CACHE_SECONDS (0: off).

        The server cache is keyed by the directory's version too, so an edit is served at once; popular
        searches ("oncologists near 10001") cost one cache read between edits. It runs after
        authentication, permissions and throttling, so rate limits count cached reads and 304s too.
        """

        def read(version):
            return self._server_cached(request, version, compute, *args, **kwargs)

        return conditional_read(request, read, request.accepted_media_type)

    def _server_cached(self, request, version, compute, *args, **kwargs):
        seconds = getattr(settings, "API_PUBLIC_SERVER_CACHE_SECONDS", 0)
        if not seconds:
            return compute(request, *args, **kwargs)
        version = version or directory_version()
        query = urlencode(sorted((k, v) for k, values in request.query_params.lists() for v in values))
        # The body holds absolute links: the scheme and host they were built with are part of the key.
        raw = (
            f"{version.number}|{request.scheme}://{request.get_host()}|{request.path}|{query}"
            f"|{request.accepted_media_type}"
        )
        key = "api.public-read." + hashlib.sha256(raw.encode()).hexdigest()
        body = cache.get(key)
        if body is not None:
            return HttpResponse(body, content_type=JSON)
        response = compute(request, *args, **kwargs)
        if response.status_code == 200:
            # The rendered bytes: a hit then costs neither serializing nor encoding.
            cache.set(key, JSONRenderer().render(response.data), seconds)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # A 304 stands for the 200: the same caching (it refreshes the client's copy's headers).
        if request.method in ("GET", "HEAD") and response.status_code in (200, 304) and "Cache-Control" not in response:
            cached_as_public(request, response)
        return response


def cached_as_public(request, response):
    """A public read's caching (the API and FHIR): shared caches may keep an anonymous read for
    API_PUBLIC_CACHE_SECONDS; a read made signed in is neither kept nor shared."""
    if request.user.is_authenticated:
        patch_cache_control(response, private=True, no_store=True)
    else:
        max_age = getattr(settings, "API_PUBLIC_CACHE_SECONDS", PUBLIC_CACHE_SECONDS_DEFAULT)
        patch_cache_control(response, public=True, max_age=max_age)
    return response


class APINotFoundView(APIView):
    """Every address under /api/ that no endpoint answers: a 404 in the API's error shape, not HTML."""

    schema = None
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def _not_found(self, request, *args, **kwargs):
        path = request.path_info
        if not path.endswith("/"):
            try:
                match = resolve(f"{path}/")
            except Resolver404:
                match = None
            if match is not None and getattr(match.func, "view_class", None) is not type(self):
                raise NotFound(MISSING_SLASH.format(path=f"{path}/"))
        raise NotFound(UNKNOWN_ENDPOINT)

    get = post = put = patch = delete = head = options = _not_found


@method_decorator(csp_update({"img-src": ["data:"]}), name="dispatch")
class APIDocsView(SpectacularSwaggerSplitView):
    """Swagger UI under the site's strict Content-Security-Policy: its start-up script is a file of its own
    (the split view serves it), its page has no inline style, and the policy grows by the one thing it needs:
    the icons its stylesheet embeds as data: images."""

    template_name = "api/swagger_ui.html"
