"""One refresh for bulk loads: derive every physician column from related rows in a single UPDATE.

The statement triggers of 0004 refresh one aspect per related table, so a bulk load that COPYs five
related tables rewrites each new physician row five times (with its GIN indexes). A writer that sets
`oncodir.bulk_load` for its transaction skips those triggers and calls directory_refresh_physicians()
once per batch instead. Everyone else keeps the triggers.
"""

import importlib

from django.db import migrations

REFRESH_ALL = r"""
CREATE OR REPLACE FUNCTION directory_refresh_physicians(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p
     SET location_text = d.location_text,
         accepting_new_patients = d.accepting,
         geo_cells = d.geo_cells,
         accepting_geo_cells = d.accepting_geo_cells,
         institution_text = d.institution_text,
         certified_until = d.certified_until,
         specialty_ids = d.specialty_ids,
         cancer_type_ids = d.cancer_type_ids
    FROM (SELECT c.id,
                 coalesce(places.location_text, '') AS location_text,
                 coalesce(places.accepting, false) AS accepting,
                 coalesce(cells.geo_cells, '{}') AS geo_cells,
                 coalesce(cells.accepting_geo_cells, '{}') AS accepting_geo_cells,
                 inst.institution_text,
                 certs.certified_until,
                 coalesce(specs.specialty_ids, '{}') AS specialty_ids,
                 coalesce(cancers.cancer_type_ids, '{}') AS cancer_type_ids
            FROM (SELECT DISTINCT unnest(ids) AS id) c
            LEFT JOIN LATERAL (
                SELECT directory_normalize(string_agg(concat_ws(' ', l.name, l.city), ' ' ORDER BY l.id)) AS location_text,
                       bool_or(l.accepting_new_patients) AS accepting
                  FROM directory_practicelocation l WHERE l.physician_id = c.id) places ON true
            LEFT JOIN LATERAL (
                SELECT array_agg(DISTINCT cell ORDER BY cell) AS geo_cells,
                       array_agg(DISTINCT cell ORDER BY cell) FILTER (WHERE l.accepting_new_patients) AS accepting_geo_cells
                  FROM directory_practicelocation l, unnest(directory_geo_cells(l.latitude, l.longitude)) AS cell
                 WHERE l.physician_id = c.id) cells ON true
            LEFT JOIN LATERAL (
                SELECT directory_normalize(string_agg(i.name, ' ' ORDER BY a.id)) AS institution_text
                  FROM directory_affiliation a JOIN directory_institution i ON i.id = a.institution_id
                 WHERE a.physician_id = c.id) inst ON true
            LEFT JOIN LATERAL (
                SELECT max(coalesce(b.expires_on, DATE '9999-12-31')) FILTER (WHERE b.status = 'certified') AS certified_until
                  FROM directory_boardcertification b WHERE b.physician_id = c.id) certs ON true
            LEFT JOIN LATERAL (
                SELECT array_agg(s.specialty_id ORDER BY s.is_primary DESC, s.specialty_id) AS specialty_ids
                  FROM directory_physicianspecialty s WHERE s.physician_id = c.id) specs ON true
            LEFT JOIN LATERAL (
                SELECT array_agg(t.cancertype_id ORDER BY t.cancertype_id) AS cancer_type_ids
                  FROM directory_physician_cancer_types t WHERE t.physician_id = c.id) cancers ON true) d
   WHERE p.id = d.id
     AND (p.location_text, p.accepting_new_patients, p.geo_cells, p.accepting_geo_cells, p.institution_text,
          p.certified_until, p.specialty_ids, p.cancer_type_ids)
         IS DISTINCT FROM
         (d.location_text, d.accepting, d.geo_cells, d.accepting_geo_cells, d.institution_text,
          d.certified_until, d.specialty_ids, d.cancer_type_ids);
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE FUNCTION directory_related_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  IF coalesce(current_setting('oncodir.bulk_load', true), '') = 'on' THEN
    RETURN NULL;  -- the bulk writer calls directory_refresh_physicians() for its batch
  END IF;
  IF TG_OP = 'INSERT' THEN
    EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[1]) INTO ids;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[1]) INTO ids;
  ELSE
    EXECUTE format('SELECT array_agg(DISTINCT x) FROM (SELECT %1$I AS x FROM new_rows UNION SELECT %1$I FROM old_rows) s',
                   TG_ARGV[1]) INTO ids;
  END IF;
  IF ids IS NOT NULL THEN
    EXECUTE format('SELECT %I($1)', TG_ARGV[0]) USING ids;
  END IF;
  RETURN NULL;
END $$;
"""


def _previous_related_changed() -> str:
    functions = importlib.import_module("apps.directory.migrations.0004_search_columns").FUNCTIONS
    start = functions.index("CREATE OR REPLACE FUNCTION directory_related_changed(")
    return functions[start : functions.index("END $$;", start) + len("END $$;")]


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_one_gin_index_per_filter")]

    operations = [
        migrations.RunSQL(
            REFRESH_ALL,
            reverse_sql=_previous_related_changed()
            + "\nDROP FUNCTION IF EXISTS directory_refresh_physicians(bigint[]);",
        ),
    ]
