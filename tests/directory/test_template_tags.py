"""The directory's template tags write what Django's widget templates would, only faster."""

import pytest
from django.http import QueryDict

from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import Physician
from apps.directory.templatetags.directory_tags import input_widget, select_options
from tests.factories import GPFactory, PhysicianFactory, PracticeLocationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["", 'q=a"b<x>&near=10001&radius=5&accepting=1', "near=abc&radius=-5&accepting=maybe&telehealth=0", "q=%00x"],
)
def test_input_widget_writes_what_the_widget_template_writes(query):
    form = PhysicianFilterSet(QueryDict(query), queryset=Physician.objects.none()).form
    form.is_valid()
    for name in ("q", "near", "radius", "accepting", "telehealth", "certified"):
        assert input_widget(form[name]) == str(form[name])


def test_select_options_escape_and_select_the_current_value():
    form = PhysicianFilterSet(QueryDict("language=es&sort=name"), queryset=Physician.objects.none()).form
    form.is_valid()
    languages = select_options(form["language"])
    assert '<option value="es" selected>Spanish</option>' in languages
    assert languages.count(" selected") == 1
    assert '<option value="" selected>' not in select_options(form["language"])
    assert '<option value="" selected>Any specialty</option>' in select_options(form["specialty"])


def test_result_item_escapes_what_it_shows_and_offers_a_gp_the_shortlist(client):
    physician = PhysicianFactory(first_name="Ann", last_name="O'Neil <b>", telehealth=True)
    PracticeLocationFactory(physician=physician, name='Smith & Sons "<Clinic>"', city="New York", zip_code="10001")
    page = client.get("/physicians/?near=10001").content.decode()
    assert "Smith &amp; Sons &quot;&lt;Clinic&gt;&quot;, New York, NY" in page
    assert "O&#x27;Neil &lt;b&gt;" in page and "<b>" not in page
    assert '<strong class="distance">0.0 miles</strong>' in page
    assert f'href="/physicians/{physician.npi}/ann-oneil-b/?near=10001"' in page
    assert "add-to-shortlist" not in page

    client.force_login(GPFactory())
    page = client.get("/physicians/?near=10001").content.decode()
    assert f'<form class="add-to-shortlist" method="post" action="/shortlists/add/{physician.npi}/">' in page
    assert '<input type="hidden" name="csrfmiddlewaretoken" value="' in page
    assert '<input type="hidden" name="next" value="/physicians/?near=10001">' in page
