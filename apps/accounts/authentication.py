"""API tokens that expire: a token older than API_TOKEN_LIFETIME is refused (a new one is issued in the admin)."""

from django.conf import settings
from django.utils import timezone
from drf_spectacular.authentication import TokenScheme
from rest_framework import authentication, exceptions

EXPIRED_MESSAGE = "This token has expired: ask a curator for a new one."


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, refusing tokens created more than settings.API_TOKEN_LIFETIME ago."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token.created < timezone.now() - settings.API_TOKEN_LIFETIME:
            raise exceptions.AuthenticationFailed(EXPIRED_MESSAGE)
        return user, token


class ExpiringTokenScheme(TokenScheme):
    """The OpenAPI schema describes it as the token scheme it is (drf-spectacular matches the class exactly)."""

    target_class = ExpiringTokenAuthentication
