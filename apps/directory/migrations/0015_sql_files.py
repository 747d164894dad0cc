"""The directory's live SQL now lives in apps/directory/sql/, one file per function; this applies them all.

What changes in the database:
- directory_physician_derived(ids): the one derivation of the search columns from related rows. The
  related tables' refreshes (0004, 0005) each had their own copy beside the set-based one (0012); now
  directory_refresh_physicians(ids) writes all of it (seed_demo, the NPPES import), and each related
  table's refresh (its triggers) the columns that table feeds, with a plan cached per connection: 2-3
  times faster than before for a statement that changes a row or a few.
- directory_geo_cells: the 3.2-degree level multiplies by 0.3125, as search.query_cells() always did;
  dividing by 3.2 put points on some of its borders (latitude -0.4, 15.6, 73.2, ...) in the cell below,
  so their physicians' cells are derived again.
- directory_search_tsquery: its stop words and limits are rendered from apps/directory/search.py (the same
  values, the stop words now sorted).
The other files define what the database already had.
"""

import importlib

from django.db import migrations

from apps.directory.sql import RunSQLFile


def _definition(migration: str, attribute: str, function: str, end: str) -> str:
    """`function`'s definition as an earlier migration created it (restored when this one is reversed)."""
    source = getattr(importlib.import_module(f"apps.directory.migrations.{migration}"), attribute)
    start = source.index(f"CREATE OR REPLACE FUNCTION {function}(")
    return source[start : source.index(end, start) + len(end)]


PREVIOUS = "\n".join(
    [
        "DROP FUNCTION IF EXISTS directory_physician_derived(bigint[]);",
        _definition("0012_refresh_physicians_set_based", "REFRESH_ALL", "directory_refresh_physicians", "END $$;"),
        _definition("0005_near_cells", "GEO_CELLS", "directory_refresh_locations", "END $$;"),
        _definition("0005_near_cells", "GEO_CELLS", "directory_geo_cells", "];"),
        *(
            _definition("0004_search_columns", "FUNCTIONS", f"directory_refresh_{aspect}", "END $$;")
            for aspect in ("institutions", "certifications", "specialties", "cancer_types")
        ),
        _definition("0007_search_tsquery_fresh_connection", "SEARCH_TSQUERY", "directory_search_tsquery", "END $$;"),
    ]
)

# Physicians with a location on a border of the 3.2-degree cells where dividing and multiplying disagree.
BORDER_CELLS = """
SELECT directory_refresh_locations(array_agg(DISTINCT physician_id))
  FROM directory_practicelocation
 WHERE floor((latitude + 90) / 3.2) <> floor((latitude + 90) * 0.3125)
    OR floor((longitude + 180) / 3.2) <> floor((longitude + 180) * 0.3125)
HAVING count(*) > 0;
"""


class Migration(migrations.Migration):
    dependencies = [("directory", "0014_name_index_for_every_physician")]

    operations = [
        migrations.RunSQL(migrations.RunSQL.noop, PREVIOUS),
        RunSQLFile("directory", "immutable_unaccent", "56bdd6f1f74f"),
        RunSQLFile("directory", "directory_normalize", "3ac11e2f7a3e"),
        RunSQLFile("directory", "directory_geo_cells", "798a43157c4a"),
        RunSQLFile("directory", "directory_search_tsquery", "c0f35cd18b55"),
        RunSQLFile("directory", "directory_physician_derived", "680edfd593f9"),
        RunSQLFile("directory", "directory_refresh_physicians", "084687917c17"),
        RunSQLFile("directory", "directory_physician_derive", "5c3033c696cb"),
        RunSQLFile("directory", "directory_physician_terms", "4eaa041412fd"),
        RunSQLFile("directory", "directory_related_changed", "5f29206af14c"),
        RunSQLFile("directory", "directory_refresh_locations", "6bb28b2768ec"),
        RunSQLFile("directory", "directory_refresh_institutions", "02bee39b74e2"),
        RunSQLFile("directory", "directory_refresh_certifications", "6500f79a2962"),
        RunSQLFile("directory", "directory_refresh_specialties", "50c01306ed3f"),
        RunSQLFile("directory", "directory_refresh_cancer_types", "72353a942aff"),
        RunSQLFile("directory", "directory_institution_renamed", "66c2d4beb461"),
        migrations.RunSQL(BORDER_CELLS, migrations.RunSQL.noop),
    ]
