"""The SQL files of apps/*/sql/ are the database's code: the migrated database runs exactly what they
render to, the latest migration applying each pins its current text, and the constants they take from
Python mean the same in both languages."""

import math
import re

import pytest
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState

from apps.directory import search, sql

pytestmark = pytest.mark.django_db

APPS = ("directory", "referrals", "trials")
# A constraint trigger has no OR REPLACE: its file drops and creates it.
DEFINED = re.compile(r"CREATE (?:OR REPLACE |CONSTRAINT )(FUNCTION|TRIGGER) (\w+)", re.IGNORECASE)


def live_definitions() -> dict[str, str]:
    """Every function and trigger of the database that no extension owns, by name, with its definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT 'FUNCTION ' || p.proname, pg_get_functiondef(p.oid)
                 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.prokind = 'f'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                   WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
               UNION ALL
               SELECT 'TRIGGER ' || t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal"""
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_runs_exactly_what_the_files_define(as_owner):
    # given the migrated test database, and its owner (who alone may replace its functions and triggers)
    before = live_definitions()
    defined = {
        f"{kind.upper()} {name}"
        for app in APPS
        for file in sql.names(app)
        for kind, name in DEFINED.findall(sql.render(app, file))
    }
    # then every live function and trigger has a file, and every file's are live
    assert set(before) == defined
    # and applying every file again changes no definition
    with transaction.atomic():
        with connection.cursor() as cursor:
            for app in APPS:
                for file in sql.names(app):
                    cursor.execute(sql.render(app, file))
        after = live_definitions()
        transaction.set_rollback(True)
    assert after == before


def test_the_latest_migration_applying_each_file_pins_its_current_text():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    pinned = {}
    for app in APPS:
        leaf = loader.graph.leaf_nodes(app)[0]
        # in order, the app's own migrations only (another app's plan reaches an older one of this app's)
        for key in (key for key in loader.graph.forwards_plan(leaf) if key[0] == app):
            for operation in loader.graph.nodes[key].operations:
                if isinstance(operation, sql.RunSQLFile):
                    pinned[operation.app, operation.name] = operation.checksum
    current = {(app, name): sql.checksum(app, name) for app in APPS for name in sql.names(app)}
    # A file changed without a migration that applies it fails here: add one with these checksums.
    assert pinned == current


@pytest.mark.parametrize("pin, applied", [("current", True), ("stale", False)], ids=["current", "stale"])
def test_a_migration_applies_its_file_only_while_the_file_is_the_text_it_pinned(pin, applied):
    checksum = sql.checksum("directory", "directory_normalize") if pin == "current" else "0" * 12
    operation = sql.RunSQLFile("directory", "directory_normalize", checksum)
    with connection.schema_editor(collect_sql=True, atomic=False) as editor:
        operation.database_forwards("directory", editor, ProjectState(), ProjectState())
    rendered = sql.render("directory", "directory_normalize")
    assert [statement.strip() for statement in editor.collected_sql] == ([rendered.strip()] if applied else [])


def test_a_file_naming_an_unknown_constant_is_refused(tmp_path, monkeypatch):
    (tmp_path / "directory" / "sql").mkdir(parents=True)
    (tmp_path / "directory" / "sql" / "broken.sql").write_text("SELECT {{NO_SUCH_CONSTANT}};")
    monkeypatch.setattr(sql, "APPS_DIR", tmp_path)
    with pytest.raises(KeyError, match="NO_SUCH_CONSTANT"):
        sql.render("directory", "broken")


def tsquery(text: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT directory_search_tsquery(%s)::text", [text])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("word", sorted(search.STOP_WORDS))
def test_python_and_sql_skip_the_same_stop_words(word):
    assert search.search_words(f"{word} Smith {word.upper()}") == ["smith"]
    assert tsquery(f"{word} Smith {word.upper()}") == tsquery("Smith")


def test_python_and_sql_keep_the_same_number_of_words_of_the_same_length():
    words = [f"w{letter}" * 3 for letter in "abcdefghijklmnop"][: search.MAX_SEARCH_WORDS + 2]
    words[0] = "x" * (search.MAX_WORD_LENGTH + 40)
    text = " ".join(words)

    kept = search.search_words(text)
    parts = tsquery(text).split(" & ")

    assert len(kept) == len(parts) == search.MAX_SEARCH_WORDS
    assert len(kept[0]) == search.MAX_WORD_LENGTH
    assert re.findall(r"'(x+)'", parts[0]) == ["x" * search.MAX_WORD_LENGTH] * 2  # the word and its prefix


def python_cells(latitude: float, longitude: float) -> list[int]:
    return [
        level.base
        + math.floor((latitude + 90) * level.per_degree) * level.row_width
        + math.floor((longitude + 180) * level.per_degree)
        for level in search.CELL_LEVELS
    ]


# Borders of every level, where a cell size that is not exact in binary (3.2 degrees) used to disagree,
# and ordinary points.
POINTS = [
    (-0.4, -71.2),
    (15.6, 73.2),
    (73.2, -0.4),
    (38.0, -102.4),
    (40.6, -73.8),
    (42.36, -71.06),
    (64.8378, -147.7164),
    (-33.8688, 151.2093),
    (21.3069, -157.8583),
    (51.88, -176.66),
    (-90.0, -180.0),
    (89.99, 179.99),
]


def test_python_and_sql_put_a_point_in_the_same_cells():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT directory_geo_cells(lat, lng) FROM unnest(%s::float8[], %s::float8[]) AS p(lat, lng)",
            [[lat for lat, _ in POINTS], [lng for _, lng in POINTS]],
        )
        in_sql = [row[0] for row in cursor.fetchall()]
    assert in_sql == [python_cells(*point) for point in POINTS]


@pytest.mark.parametrize("point", POINTS[:6], ids=str)
def test_a_search_circle_covers_the_cell_sql_gives_its_centre(point):
    with connection.cursor() as cursor:
        cursor.execute("SELECT directory_geo_cells(%s, %s)", point)
        finest = cursor.fetchone()[0][0]
    assert finest in search.query_cells(*point, 1)
