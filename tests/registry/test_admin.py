"""The admin shows import runs and the curator edits imports kept, and resolves them."""

import pytest
from django.urls import reverse

from apps.directory.models import Physician
from apps.registry.models import ImportRun, KeptEdit

from .nppes_files import npi, row, write_nppes

pytestmark = pytest.mark.django_db

RUNS = reverse("admin:registry_importrun_changelist")
EDITS = reverse("admin:registry_keptedit_changelist")


@pytest.fixture
def kept_edits(import_nppes, tmp_path):
    """Three physicians whose last names a curator changed, then re-imported."""
    path = write_nppes(tmp_path / "a.csv", [row(npi(n), last=f"REGISTRY{n}") for n in range(1, 4)])
    import_nppes(path)
    for physician in Physician.objects.all():
        Physician.objects.filter(pk=physician.pk).update(last_name=f"Curator{physician.npi[-2:]}")
    import_nppes(path)
    return list(KeptEdit.objects.order_by("physician__npi"))


def test_import_runs_are_listed_with_their_counts(admin_client, import_nppes, tmp_path, django_assert_max_num_queries):
    for n in range(3):
        import_nppes(write_nppes(tmp_path / f"f{n}.csv", [row(npi(n))]))

    with django_assert_max_num_queries(8):
        response = admin_client.get(RUNS)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert b"f2.csv" in response.content


def test_an_import_run_can_be_viewed_but_not_added(admin_client, import_nppes, tmp_path):
    run = import_nppes(write_nppes(tmp_path / "f.csv", [row(npi(1))]))

    assert admin_client.get(reverse("admin:registry_importrun_change", args=[run.pk])).status_code == 200
    assert admin_client.get(reverse("admin:registry_importrun_add")).status_code == 403


def test_kept_edits_are_listed_for_review(admin_client, kept_edits, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = admin_client.get(EDITS, {"resolved__exact": "0"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert b"REGISTRY1" in response.content


def test_resolved_action_marks_the_edits_reviewed(admin_client, admin_user, kept_edits):
    response = admin_client.post(
        EDITS, {"action": "mark_resolved", "_selected_action": [kept_edits[0].pk, kept_edits[1].pk]}
    )

    assert response.status_code == 302
    assert list(KeptEdit.objects.order_by("physician__npi").values_list("resolved", "resolved_by")) == [
        (True, admin_user.pk),
        (True, admin_user.pk),
        (False, None),
    ]


def test_apply_registry_value_action_gives_up_the_curator_value(admin_client, kept_edits):
    edit = kept_edits[2]

    admin_client.post(EDITS, {"action": "apply_registry_value", "_selected_action": [edit.pk]})

    edit.refresh_from_db()
    assert edit.resolved is True
    assert Physician.objects.get(pk=edit.physician_id).last_name == "REGISTRY3"
    assert ImportRun.objects.count() == 2
