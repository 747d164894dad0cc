"""Finding 6: every page has a strict Content-Security-Policy (no inline code), a Permissions-Policy and the
other protective headers; the API docs page is allowed only what Swagger UI needs on top."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STRICT = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}


def policy(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


@pytest.mark.parametrize("url", ["/", reverse("accounts:login"), reverse("admin:login"), "/no-such-page/"])
def test_pages_carry_a_strict_policy_and_the_protective_headers(client, url):
    response = client.get(url)

    assert policy(response) == STRICT
    assert "geolocation=()" in response["Permissions-Policy"] and "camera=()" in response["Permissions-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_api_docs_page_gets_only_data_images_on_top(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert policy(page) == STRICT | {"img-src": "'self' data:"}
    assert "<script>" not in page.content.decode() and "<style" not in page.content.decode()
    assert '<script src="/api/docs/?script="></script>' in page.content.decode()
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_no_template_has_inline_script_style_or_event_handler():
    inline = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/ld\+json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=")
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in (ROOT / "templates").rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]

    assert found == []
