"""Accounts: email login, roles, Argon2, and the user admin (add, change, password, changelist)."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import identify_hasher

from apps.accounts.models import Role, User
from tests.factories import CuratorFactory, GPFactory, OncologistUserFactory, PhysicianFactory

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


# --- the model and its manager -------------------------------------------------------------------------


def test_create_user_lowercases_the_email_and_hashes_the_password():
    user = User.objects.create_user("Jane.Doe@Example.COM", "a-long-password", full_name="Jane Doe", role=Role.GP)

    assert user.email == "jane.doe@example.com"
    assert user.check_password("a-long-password")
    assert not user.is_staff and not user.is_superuser


def test_create_user_requires_an_email():
    with pytest.raises(ValueError, match="An email address is required."):
        User.objects.create_user("", "a-long-password", full_name="Nobody", role=Role.GP)
    assert not User.objects.exists()


def test_create_superuser_is_a_staff_curator():
    user = User.objects.create_superuser("boss@example.com", "a-long-password", full_name="Boss")

    assert (user.is_staff, user.is_superuser, user.role, user.is_curator) == (True, True, Role.CURATOR, True)


def test_users_sign_in_with_their_email():
    GPFactory(email="gp@example.com")

    assert authenticate(email="gp@example.com", password="a-long-test-password") is not None
    assert authenticate(email="gp@example.com", password="wrong-password") is None


def test_argon2_is_the_first_password_hasher():
    from oncodir import settings as production  # the test settings swap in a fast hasher

    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_passwords_are_stored_hashed():
    user = GPFactory()

    assert identify_hasher(user.password).algorithm in {"argon2", "md5"}
    assert "a-long-test-password" not in user.password


def test_role_querysets_list_active_users_of_each_role():
    gp, curator, oncologist = GPFactory(), CuratorFactory(), OncologistUserFactory()
    GPFactory(is_active=False)

    assert list(User.objects.gps()) == [gp]
    assert list(User.objects.curators()) == [curator]
    assert list(User.objects.oncologists()) == [oncologist]
    assert (gp.is_gp, oncologist.is_oncologist, curator.is_curator) == (True, True, True)


# --- the admin -----------------------------------------------------------------------------------------


def test_the_user_changelist_runs_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(10):
        OncologistUserFactory()
        GPFactory()

    with django_assert_max_num_queries(6):
        response = admin_client.get(USERS)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 21


def test_the_user_changelist_searches_by_email_and_filters_by_role(admin_client):
    gp = GPFactory(email="family.doc@example.com")
    oncologist = OncologistUserFactory()

    found = admin_client.get(USERS, {"q": "family.doc"}).context["cl"].result_list
    oncologists = admin_client.get(USERS, {"role__exact": "oncologist"}).context["cl"].result_list

    assert list(found) == [gp]
    assert list(oncologists) == [oncologist]


def add_user(admin_client, **fields):
    data = {
        "email": "new.person@example.com",
        "full_name": "New Person",
        "role": Role.GP,
        "usable_password": "true",
        "password1": "a-strong-pass-phrase",
        "password2": "a-strong-pass-phrase",
    } | fields
    return admin_client.post(f"{USERS}add/", data)


def test_a_curator_adds_a_user_who_can_then_sign_in(admin_client, client):
    response = add_user(admin_client, email="New.Person@Example.com")

    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.GP
    assert client.login(email="new.person@example.com", password="a-strong-pass-phrase")


def test_an_oncologist_account_is_linked_to_a_physician(admin_client):
    physician = PhysicianFactory()

    response = add_user(admin_client, role=Role.ONCOLOGIST, physician=physician.pk)

    assert response.status_code == 302
    assert User.objects.get(email="new.person@example.com").physician == physician


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": Role.ONCOLOGIST}, "__all__", "An oncologist account must be linked to a physician record."),
        ({"email": "ADMIN@example.com"}, "email", "An account with this email already exists."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "password2", "The two password fields didn’t match."),
        ({"password1": "short", "password2": "short"}, "password2", "This password is too short."),
    ],
    ids=["oncologist-without-physician", "email-taken-in-other-case", "bad-email", "passwords-differ", "weak-password"],
)
def test_bad_user_input_is_a_form_error(admin_client, fields, field, message):
    before = User.objects.count()

    response = add_user(admin_client, **fields)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in error for error in errors.get(field, [])), errors
    assert User.objects.count() == before


def test_linking_a_gp_to_a_physician_is_a_form_error(admin_client):
    gp = GPFactory()
    page = admin_client.get(f"{USERS}{gp.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in ((bound.html_name, bound.value()) for bound in form if not bound.field.disabled)
        if value not in (None, False, [])
    }
    data["physician"] = PhysicianFactory().pk

    response = admin_client.post(f"{USERS}{gp.pk}/change/", data)

    assert response.status_code == 200
    assert (
        "Only oncologist accounts are linked to a physician record."
        in response.context["adminform"].form.errors["__all__"]
    )
    gp.refresh_from_db()
    assert gp.physician is None


def test_the_change_page_uses_an_autocomplete_for_the_physician(admin_client):
    oncologist = OncologistUserFactory()

    response = admin_client.get(f"{USERS}{oncologist.pk}/change/")

    assert response.status_code == 200
    assert (
        "data-autocomplete-light-url" in response.content.decode() or "admin-autocomplete" in response.content.decode()
    )


def test_a_curator_changes_a_users_password(admin_client, client):
    gp = GPFactory(email="gp@example.com")

    response = admin_client.post(
        f"{USERS}{gp.pk}/password/",
        {"usable_password": "true", "password1": "a-brand-new-phrase", "password2": "a-brand-new-phrase"},
    )

    assert response.status_code == 302
    assert client.login(email="gp@example.com", password="a-brand-new-phrase")
    assert not client.login(email="gp@example.com", password="a-long-test-password")


def test_the_physician_autocomplete_finds_by_npi_for_the_user_form(admin_client):
    physician = PhysicianFactory()
    PhysicianFactory()

    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": physician.npi, "app_label": "accounts", "model_name": "user", "field_name": "physician"},
    )

    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(physician.pk)]
