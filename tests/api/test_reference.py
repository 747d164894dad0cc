"""The reference lists: specialties, cancer types and boards, as the search parameters name them."""

import pytest

from apps.directory.models import Board, CancerType, Specialty

pytestmark = pytest.mark.django_db


def results(api, url):
    response = api.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_specialties_list_every_code_with_its_category(api):
    items = results(api, "/api/v1/specialties/?page_size=1000")
    assert [item["code"] for item in items] == list(
        Specialty.objects.order_by("display_name", "code").values_list("code", flat=True)
    )
    medical = next(item for item in items if item["code"] == "207RX0202X")
    assert medical == {
        "code": "207RX0202X",
        "display_name": "Medical Oncology Physician",
        "grouping": medical["grouping"],
        "classification": "Internal Medicine",
        "specialization": "Medical Oncology",
        "category": "medical-oncology",
    }


def test_specialties_filtered_by_category(api):
    items = results(api, "/api/v1/specialties/?category=radiation-oncology")
    assert {item["code"] for item in items} == set(
        Specialty.objects.filter(category="radiation-oncology").values_list("code", flat=True)
    )
    assert len(items) >= 2


def test_an_unknown_category_is_a_400(api):
    response = api.get("/api/v1/specialties/?category=astrology")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "category"


def test_cancer_types_list_slug_name_and_description(api):
    items = results(api, "/api/v1/cancer-types/?page_size=1000")
    assert [item["slug"] for item in items] == list(
        CancerType.objects.order_by("name", "slug").values_list("slug", flat=True)
    )
    assert set(items[0]) == {"slug", "name", "description"}


def test_boards_list_code_name_and_kind(api):
    items = results(api, "/api/v1/boards/?page_size=1000")
    assert [item["code"] for item in items] == list(Board.objects.order_by("code").values_list("code", flat=True))
    abim = next(item for item in items if item["code"] == "ABIM")
    assert abim["kind"] == "abms"


@pytest.mark.parametrize("path", ["/api/v1/specialties/", "/api/v1/cancer-types/", "/api/v1/boards/"])
def test_reference_lists_run_one_query_per_page(api, path, django_assert_num_queries):
    with django_assert_num_queries(2):  # + the directory's version (ETag)
        assert api.get(f"{path}?page_size=1000").status_code == 200
