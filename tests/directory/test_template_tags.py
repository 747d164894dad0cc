"""The directory's template tags write what Django's widget templates would, only faster."""

import pytest
from django.http import QueryDict

from apps.directory.filters import PhysicianFilterSet
from apps.directory.models import Physician
from apps.directory.templatetags.directory_tags import input_widget, select_options

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
