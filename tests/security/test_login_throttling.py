"""Finding 3: repeated failed sign-ins lock out the account and the address, on every login form, for a
cool-off; the right password is refused meanwhile; a locked-out unknown account looks like a known one."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import CuratorFactory, GPFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-right-password"
LIMIT = 5


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


def sign_in(client, url, email, password, address="203.0.113.7"):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=address)


@pytest.mark.parametrize(
    ("url", "factory"),
    [(reverse("accounts:login"), GPFactory), (reverse("admin:login"), CuratorFactory)],
    ids=["site", "admin"],
)
def test_the_right_password_is_refused_after_repeated_failures(client, url, factory):
    user = factory(password=PASSWORD)
    for _ in range(LIMIT - 1):
        assert sign_in(client, url, user.email, "wrong-password").status_code == 200  # the form again
    assert sign_in(client, url, user.email.upper(), "wrong-password").status_code == 429  # the limit-th

    locked = sign_in(client, url, user.email, PASSWORD)

    assert locked.status_code == 429
    assert b"Too many sign-in attempts" in locked.content and b"Try again in 15 minutes" in locked.content
    assert "_auth_user_id" not in client.session


def test_an_address_trying_many_accounts_is_locked_out(client):
    user = GPFactory(password=PASSWORD)
    url = reverse("accounts:login")
    for number in range(LIMIT):
        sign_in(client, url, f"guess{number}@example.org", "wrong-password")

    assert sign_in(client, url, user.email, PASSWORD).status_code == 429


def test_an_account_tried_from_many_addresses_is_locked_out(client):
    user = GPFactory(password=PASSWORD)
    url = reverse("accounts:login")
    for number in range(LIMIT):
        sign_in(client, url, user.email, "wrong-password", address=f"198.51.100.{number + 1}")

    assert sign_in(client, url, user.email, PASSWORD, address="192.0.2.200").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client):
    user = GPFactory(password=PASSWORD)
    url = reverse("accounts:login")
    for _ in range(LIMIT):
        sign_in(client, url, user.email, "wrong-password")
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16))

    response = sign_in(client, url, user.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_an_unknown_account_gets_the_same_answers_as_a_known_one(client):
    known = GPFactory(password=PASSWORD)
    url = reverse("accounts:login")

    def answers(email, address):
        pages = [sign_in(client, url, email, "wrong-password", address) for _ in range(LIMIT + 1)]
        return [(page.status_code, page.content.decode().replace(email, "EMAIL")) for page in pages]

    known_answers = answers(known.email, "198.51.100.1")
    unknown_answers = answers("nobody@example.org", "198.51.100.2")

    strip = [(status, content.split('name="csrfmiddlewaretoken"')[0]) for status, content in known_answers]
    assert [(status, content.split('name="csrfmiddlewaretoken"')[0]) for status, content in unknown_answers] == strip
    assert [status for status, _ in known_answers] == [200] * (LIMIT - 1) + [429, 429]
