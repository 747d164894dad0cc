"""The database code the directory runs, one file per function with the triggers that run it.

Each `apps/<app>/sql/<name>.sql` (here, and apps/referrals/sql/) holds the current definition of a
function (CREATE OR REPLACE FUNCTION ... and CREATE OR REPLACE TRIGGER ...), so reading what the database
does never means replaying migrations: migrations apply the files with RunSQLFile.

Constants Python uses too are defined in Python (apps/directory/search.py: the stop words, the word
limits, the map grid's levels). A file names one as `{{NAME}}` and render() writes its value in as an
SQL literal when a migration applies the file: the functions hold plain literals, as if typed, so
nothing is looked up at query time and the plans are those of literals: see constants().

To change a function or a trigger:
1. edit its file (or the Python constant it renders);
2. add a migration that re-applies it, `RunSQLFile("directory", "<name>", "<checksum>")`, with the
   checksum tests/directory/test_sql_files.py reports for it (`checksum("directory", "<name>")`). A new
   signature or a dropped function also needs its DROP FUNCTION in a RunSQL before it (dropping one:
   delete its file and make the older migrations' RunSQLFile for it a RunSQL.noop).
The tests fail until then: the latest migration applying each file must pin that file's current checksum,
and the migrated test database's functions and triggers must be what the files render to.

A RunSQLFile applies its file only while the file still renders to the text its migration pinned. On a
new database an older migration therefore skips a file that was changed since, and the latest migration,
the one that pins today's text, applies it once, after the schema changes that text may rely on.
"""

import hashlib
import re
from pathlib import Path

from django.db import migrations, router

APPS_DIR = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{\{([A-Z0-9_]+)\}\}")


def _literal(value) -> str:
    """`value` as an SQL literal: a number, a quoted string, or an ARRAY of them (sorted, when a set)."""
    if isinstance(value, (set, frozenset)):
        value = sorted(value)
    if isinstance(value, (list, tuple)):
        return "ARRAY[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    raise TypeError(f"No SQL literal for {value!r}")


def constants() -> dict[str, str]:
    """The `{{NAME}}`s a file may use, rendered: the Python constants are their only definition."""
    from apps.directory import search

    values = {
        "STOP_WORDS": search.STOP_WORDS,
        "MAX_SEARCH_WORDS": search.MAX_SEARCH_WORDS,
        "MAX_WORD_LENGTH": search.MAX_WORD_LENGTH,
    }
    for number, level in enumerate(search.CELL_LEVELS, start=1):
        values.update({f"CELL_{number}_{field.upper()}": value for field, value in level._asdict().items()})
    return {name: _literal(value) for name, value in values.items()}


def path(app: str, name: str) -> Path:
    return APPS_DIR / app / "sql" / f"{name}.sql"


def names(app: str) -> list[str]:
    """The names of `app`'s SQL files."""
    return sorted(file.stem for file in (APPS_DIR / app / "sql").glob("*.sql"))


def render(app: str, name: str) -> str:
    """The file's SQL with its constants written in."""
    values = constants()

    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise KeyError(f"{path(app, name)} names an unknown constant {{{{{match.group(1)}}}}}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(value, path(app, name).read_text())


def checksum(app: str, name: str) -> str:
    """What a migration pins to say which text of the file it applies."""
    return hashlib.sha256(render(app, name).encode()).hexdigest()[:12]


class RunSQLFile(migrations.RunSQL):
    """Apply apps/<app>/sql/<name>.sql, if it still renders to the text `checksum` pins (see the module's
    docstring). Reversing it leaves the definition in place: a migration that changes a signature or drops
    a function restores the previous one in the reverse_sql of its own RunSQL."""

    def __init__(self, app: str, name: str, checksum: str):
        self.app, self.name, self.checksum = app, name, checksum
        super().__init__(migrations.RunSQL.noop, migrations.RunSQL.noop)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.app, self.name, self.checksum], {}

    def describe(self):
        return f"Apply apps/{self.app}/sql/{self.name}.sql"

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if not router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            return
        if checksum(self.app, self.name) == self.checksum:
            self._run_sql(schema_editor, [render(self.app, self.name)])  # one statement: no splitting of $$ bodies
