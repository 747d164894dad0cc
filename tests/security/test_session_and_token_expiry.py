"""Finding 7: an idle session ends in the admin too (curators see patient data there), and API tokens expire."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.authentication import EXPIRED_MESSAGE
from apps.accounts.middleware import LAST_ACTIVITY_KEY
from tests.factories import CuratorFactory, GPFactory
from tests.referrals.factories import make_referral

pytestmark = pytest.mark.django_db


def idle_for(client, seconds: float) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = session[LAST_ACTIVITY_KEY] - seconds
    session.save()


def test_an_idle_admin_session_ends(client, settings):
    curator = CuratorFactory()
    curator.user_permissions.add(Permission.objects.get(codename="view_clinical_data"))
    referral = make_referral("under_review")
    url = reverse("admin:referrals_referral_change", args=[referral.pk])
    client.force_login(curator)
    assert client.get(url).status_code == 200
    assert client.session.get_expiry_age() <= settings.SESSION_IDLE_SECONDS

    idle_for(client, settings.SESSION_IDLE_SECONDS + 1)
    response = client.get(url)

    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert "_auth_user_id" not in client.session


def test_an_active_admin_session_stays(client, settings):
    client.force_login(CuratorFactory())
    client.get(reverse("admin:index"))

    idle_for(client, settings.SESSION_IDLE_SECONDS - 60)

    assert client.get(reverse("admin:index")).status_code == 200


def test_an_api_token_expires(settings):
    gp = GPFactory()
    token = Token.objects.create(user=gp)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/referrals/").status_code == 200

    Token.objects.filter(pk=token.pk).update(
        created=timezone.now() - settings.API_TOKEN_LIFETIME - datetime.timedelta(1)
    )
    response = api.get("/api/v1/referrals/")

    assert response.status_code == 401
    assert response.json()["errors"][0]["message"] == EXPIRED_MESSAGE
