"""Response headers every response (or every API response) needs, whichever app's view produced it."""

from django.conf import settings
from django.utils.cache import patch_cache_control

API_PREFIX = "/api/"


class APICacheControlMiddleware:
    """Anything under /api/ that did not choose its caching is ``private, no-store``.

    Public directory reads opt into shared caching themselves (``PublicReadOnlyAPIMixin``); referral
    data, authenticated reads and errors must never sit in a proxy or a browser cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(API_PREFIX) and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class PermissionsPolicyMiddleware:
    """``Permissions-Policy: settings.PERMISSIONS_POLICY`` on every response: features no page uses are off,
    for our pages and anything that might ever be framed or injected into them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
