"""bench/api_bench.py's yardstick: the physicians search as a plain WSGI function, psycopg2 and no Django.

It replays the SQL statement the API sent for each search (captured by api_bench.py, pickled to the file
named by BENCH_API_STATEMENTS: the page, each row with its locations and primary specialty, with its
parameters) and builds the same JSON body from the rows: what a page costs without the framework. It borrows the
display rules (apps/directory/display.py, plain functions) and two pure helpers of Django's (slugify, the
cursor's signing), nothing of its request, ORM or DRF machinery; api_bench.py checks that its bodies are
the API's.
"""

from __future__ import annotations

import datetime
import json
import os
import pickle
import zoneinfo
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import psycopg2
from django.core.signing import JSONSerializer, TimestampSigner
from django.utils.text import slugify

from apps.directory import display

_state: dict | None = None
_connection = None


def state() -> dict:
    """What api_bench.py captured: {"dsn", "secret_key", "time_zone", "cursor_salt", "specialties",
    "cancer_types", "searches": {path: {"statements", "page_size", "fingerprint", "keys"}}}."""
    global _state
    if _state is None:
        with open(os.environ["BENCH_API_STATEMENTS"], "rb") as file:
            _state = pickle.load(file)  # noqa: S301 (the bench's own file)
    return _state


def cursor():
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg2.connect(state()["dsn"])
        _connection.autocommit = True
    return _connection.cursor()


def run_statements(search: dict) -> list[list[dict]]:
    """The statements as the API sent them, each one's rows as dicts by column name."""
    results = []
    with cursor() as db:
        for sql, params in search["statements"]:
            db.execute(sql, params)
            names = [column.name for column in db.description]
            results.append([dict(zip(names, row, strict=True)) for row in db.fetchall()])
    return results


def _link(base: str, search: dict, direction: str, row: dict) -> str:
    values = []
    for key in search["keys"]:
        value = row[key]
        values.append(["d", value.isoformat()] if isinstance(value, datetime.date) else ["v", value])
    signer = TimestampSigner(key=state()["secret_key"], salt=state()["cursor_salt"], fallback_keys=[])
    token = signer.sign_object(
        {"d": direction, "s": search["fingerprint"], "v": values}, serializer=JSONSerializer, compress=True
    )
    # As DRF's replace_query_param: the parameters sorted, the cursor among them.
    scheme, netloc, path, query, fragment = urlsplit(base)
    parameters = {**parse_qs(query, keep_blank_values=True), "cursor": [token]}
    return urlunsplit((scheme, netloc, path, urlencode(sorted(parameters.items()), doseq=True), fragment))


def _location(row: dict) -> dict:
    return {
        "name": row["name"],
        "title": display.location_title(row["name"], row["address_line1"]),
        "address_line1": row["address_line1"],
        "address_line2": row["address_line2"],
        "city": row["city"],
        "state": row["state"],
        "zip_code": row["zip_code"],
        "phone": row["phone"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "accepting_new_patients": row["accepting_new_patients"],
        "is_primary": row["is_primary"],
    }


def page(path: str, host: str) -> dict:
    known = state()
    search = known["searches"][path]
    *_, physicians = run_statements(search)  # a search by distance first walks the nearest locations
    limit = search["page_size"]
    has_more = len(physicians) > limit
    physicians = physicians[:limit]
    specialties, cancer_types = known["specialties"], known["cancer_types"]
    today = datetime.datetime.now(zoneinfo.ZoneInfo(known["time_zone"])).date()
    base = f"http://{host}{path}"
    api, profile = f"http://{host}/api/v1/physicians/", f"http://{host}/physicians/"
    results = []
    for row in physicians:
        treated = set(row["cancer_type_ids"])
        verified = row["last_verified_on"]
        distance = row.get("distance_miles")
        results.append(
            {
                "npi": row["npi"],
                "first_name": row["first_name"],
                "middle_name": row["middle_name"],
                "last_name": row["last_name"],
                "name_suffix": row["name_suffix"],
                "credentials": row["credentials"],
                "display_name": display.full_name(
                    row["first_name"], row["middle_name"], row["last_name"], row["name_suffix"], row["credentials"]
                ),
                "sex": row["sex"],
                "specialties": [
                    {**specialties[pk], "is_primary": pk == row["primary_specialty_id"]}
                    for pk in row["specialty_ids"]
                    if pk in specialties
                ],
                "cancer_types": [{"slug": slug, "name": name} for pk, slug, name in cancer_types if pk in treated],
                "accepting_new_patients": row["accepting_new_patients"],
                "telehealth": row["telehealth"],
                "languages": row["languages"],
                "locations": [_location(location) for location in row["location_rows"]],
                "distance_miles": None if distance is None else round(distance, 2),
                "last_verified_on": None if verified is None else verified.isoformat(),
                "last_verified_by": row["last_verified_by"],
                "verification_is_stale": verified is None or (today - verified).days > 365,
                "url": f"{api}{row['npi']}/",
                "profile_url": f"{profile}{row['npi']}/{slugify(row['first_name'] + ' ' + row['last_name']) or 'physician'}/",
            }
        )
    return {
        "next": _link(base, search, "n", physicians[-1]) if has_more else None,
        "previous": None,
        "page_size": limit,
        "results": results,
    }


def render(data: dict) -> bytes:
    """As DRF's JSONRenderer writes it (UNICODE_JSON, STRICT_JSON, compact)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def application(environ, start_response):
    query = environ.get("QUERY_STRING", "")
    path = environ["PATH_INFO"] + (f"?{query}" if query else "")
    if path not in state()["searches"]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not a captured search\n"]
    body = render(page(path, environ.get("HTTP_HOST", "")))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
