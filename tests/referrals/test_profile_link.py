import pytest

from tests.factories import OncologistUserFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile_url():
    oncologist = OncologistUserFactory()
    PracticeLocationFactory(physician=oncologist.physician)
    return oncologist.physician.get_absolute_url(), oncologist.physician.npi


def test_a_gp_gets_a_refer_link_on_the_profile(client, gp, profile_url):
    url, npi = profile_url
    client.force_login(gp)
    content = client.get(url, follow=True).content.decode()
    assert f'href="/referrals/new/{npi}/"' in content
    assert "Refer a patient" in content


def test_a_visitor_is_invited_to_sign_in_and_an_oncologist_gets_no_link(client, oncologist, profile_url):
    url, npi = profile_url
    anonymous = client.get(url, follow=True).content.decode()
    assert f"/accounts/login/?next=/referrals/new/{npi}/" in anonymous
    client.force_login(oncologist)
    assert f"/referrals/new/{npi}/" not in client.get(url, follow=True).content.decode()
