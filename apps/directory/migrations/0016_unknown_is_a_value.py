"""Unknown is a value: whether a location accepts new patients, and whether a physician offers telehealth,
is yes, no or not known (NULL). NPPES says neither, so an import sets "not known" (it used to claim yes
and no). The physician's derived accepting_new_patients is yes when a location accepts, no when every one
is known not to, not known otherwise (directory_physician_derived); `accepting=1` finds only a known yes.

Existing rows: a value becomes "not known" only where it is the import's for sure: the row was created by
the NPPES import (its history's "+" row has the import's reason) and no history row records another
value (so no one ever changed it). A curator who saved a location without touching the old checkbox did
not set it; one who changed it did, and keeps it. Rows without that history keep their values.
"""

import django.contrib.postgres.fields
from django.db import migrations, models

from apps.directory.sql import RunSQLFile

# 'NPPES import': apps.registry.pipeline.sql.HISTORY_REASON, the reason of the import's history rows.
UNKNOWN_WHERE_IMPORTED = """
UPDATE directory_practicelocation l SET accepting_new_patients = NULL
 WHERE l.accepting_new_patients
   AND EXISTS (SELECT 1 FROM directory_historicalpracticelocation h
                WHERE h.id = l.id AND h.history_type = '+' AND h.history_change_reason = 'NPPES import')
   AND NOT EXISTS (SELECT 1 FROM directory_historicalpracticelocation h
                    WHERE h.id = l.id AND h.accepting_new_patients IS NOT TRUE);
UPDATE directory_physician p SET telehealth = NULL
 WHERE p.telehealth IS FALSE
   AND EXISTS (SELECT 1 FROM directory_historicalphysician h
                WHERE h.id = p.id AND h.history_type = '+' AND h.history_change_reason = 'NPPES import')
   AND NOT EXISTS (SELECT 1 FROM directory_historicalphysician h WHERE h.id = p.id AND h.telehealth IS NOT FALSE);
-- The locations' update trigger derived their physicians again; those left "no" may have no location, or
-- only unknown and "no" ones: not known now.
SELECT directory_refresh_locations(array_agg(id)) FROM directory_physician
 WHERE accepting_new_patients IS FALSE HAVING count(*) > 0;
"""

# Reversed: not known becomes what the import used to claim, in the history too (the columns are NOT NULL
# again), and the two functions are as 0015 applied them.
KNOWN_AGAIN = """
UPDATE directory_practicelocation SET accepting_new_patients = true WHERE accepting_new_patients IS NULL;
UPDATE directory_historicalpracticelocation SET accepting_new_patients = true WHERE accepting_new_patients IS NULL;
UPDATE directory_physician SET telehealth = false WHERE telehealth IS NULL;
UPDATE directory_historicalphysician SET telehealth = false WHERE telehealth IS NULL;
"""
PREVIOUS_DERIVED = r"""
CREATE OR REPLACE FUNCTION directory_physician_derived(ids bigint[])
RETURNS TABLE (id bigint, location_text text, accepting_new_patients boolean, geo_cells integer[],
               accepting_geo_cells integer[], institution_text text, certified_until date,
               specialty_ids bigint[], cancer_type_ids bigint[])
LANGUAGE sql STABLE AS $$
  WITH c AS (SELECT DISTINCT unnest(ids) AS id),
  places AS (
    SELECT l.physician_id AS id,
           directory_normalize(string_agg(concat_ws(' ', l.name, l.city), ' ' ORDER BY l.id)) AS location_text,
           bool_or(l.accepting_new_patients) AS accepting
      FROM directory_practicelocation l JOIN c ON c.id = l.physician_id
     GROUP BY l.physician_id),
  cells AS (
    SELECT l.physician_id AS id,
           array_agg(DISTINCT cell ORDER BY cell) AS geo_cells,
           array_agg(DISTINCT cell ORDER BY cell) FILTER (WHERE l.accepting_new_patients) AS accepting_geo_cells
      FROM directory_practicelocation l JOIN c ON c.id = l.physician_id,
           unnest(directory_geo_cells(l.latitude, l.longitude)) AS cell
     GROUP BY l.physician_id),
  inst AS (
    SELECT a.physician_id AS id, directory_normalize(string_agg(i.name, ' ' ORDER BY a.id)) AS institution_text
      FROM directory_affiliation a JOIN c ON c.id = a.physician_id
      JOIN directory_institution i ON i.id = a.institution_id
     GROUP BY a.physician_id),
  certs AS (
    SELECT b.physician_id AS id,
           max(coalesce(b.expires_on, DATE '9999-12-31')) FILTER (WHERE b.status = 'certified') AS certified_until
      FROM directory_boardcertification b JOIN c ON c.id = b.physician_id
     GROUP BY b.physician_id),
  specs AS (
    SELECT s.physician_id AS id, array_agg(s.specialty_id ORDER BY s.is_primary DESC, s.specialty_id) AS specialty_ids
      FROM directory_physicianspecialty s JOIN c ON c.id = s.physician_id
     GROUP BY s.physician_id),
  cancers AS (
    SELECT t.physician_id AS id, array_agg(t.cancertype_id ORDER BY t.cancertype_id) AS cancer_type_ids
      FROM directory_physician_cancer_types t JOIN c ON c.id = t.physician_id
     GROUP BY t.physician_id)
  SELECT c.id,
           coalesce(places.location_text, ''),
           coalesce(places.accepting, false),
           coalesce(cells.geo_cells, '{}'),
           coalesce(cells.accepting_geo_cells, '{}'),
           coalesce(inst.institution_text, ''),
           certs.certified_until,
           coalesce(specs.specialty_ids, '{}'),
           coalesce(cancers.cancer_type_ids, '{}')
      FROM c
      LEFT JOIN places ON places.id = c.id
      LEFT JOIN cells ON cells.id = c.id
      LEFT JOIN inst ON inst.id = c.id
      LEFT JOIN certs ON certs.id = c.id
      LEFT JOIN specs ON specs.id = c.id
      LEFT JOIN cancers ON cancers.id = c.id
$$;
"""
PREVIOUS_DERIVE = r"""
CREATE OR REPLACE FUNCTION directory_physician_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('oncodir.refreshing', true), '') = 'on' THEN
    NULL;  -- directory_refresh_physicians(), or a bulk writer that derived the columns as it does
  ELSIF TG_OP = 'INSERT' THEN
    -- No related rows can exist yet: start from empty, whatever the writer sent.
    NEW.location_text := '';
    NEW.institution_text := '';
    NEW.accepting_new_patients := false;
    NEW.certified_until := NULL;
    NEW.specialty_ids := '{}';
    NEW.cancer_type_ids := '{}';
    NEW.geo_cells := '{}';
    NEW.accepting_geo_cells := '{}';
  ELSE
    -- Only the refresh may change what is derived from related rows.
    NEW.location_text := OLD.location_text;
    NEW.institution_text := OLD.institution_text;
    NEW.accepting_new_patients := OLD.accepting_new_patients;
    NEW.certified_until := OLD.certified_until;
    NEW.specialty_ids := OLD.specialty_ids;
    NEW.cancer_type_ids := OLD.cancer_type_ids;
    NEW.geo_cells := OLD.geo_cells;
    NEW.accepting_geo_cells := OLD.accepting_geo_cells;
  END IF;
  NEW.search_names := directory_normalize(
    concat_ws(' ', NEW.first_name, NEW.middle_name, NEW.last_name, NEW.name_suffix));
  NEW.search_document := concat_ws(' ', NULLIF(NEW.search_names, ''), NULLIF(NEW.location_text, ''),
                                   NULLIF(NEW.institution_text, ''));
  NEW.search_vector := array_to_tsvector(array_remove(string_to_array(NEW.search_document, ' '), ''));
END $$;
"""
NO_UNKNOWN_PHYSICIANS = """
SELECT set_config('oncodir.refreshing', 'on', true);
UPDATE directory_physician SET accepting_new_patients = coalesce(accepting_new_patients, false)
 WHERE accepting_new_patients IS NULL;
SELECT set_config('oncodir.refreshing', 'off', true);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0015_sql_files"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalphysician",
            name="languages",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=2),
                blank=True,
                default=list,
                help_text="ISO 639-1 codes of the languages spoken, for example en, es, zh. Empty: not known (the registry does not say).",
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="historicalphysician",
            name="telehealth",
            field=models.BooleanField(blank=True, default=None, null=True, verbose_name="offers telehealth"),
        ),
        migrations.AlterField(
            model_name="historicalpracticelocation",
            name="accepting_new_patients",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        migrations.AlterField(
            model_name="physician",
            name="accepting_new_patients",
            field=models.BooleanField(
                editable=False,
                help_text="Yes when a practice location accepts new patients, no when every one is known not to, null (not known) otherwise.",
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="physician",
            name="languages",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=2),
                blank=True,
                default=list,
                help_text="ISO 639-1 codes of the languages spoken, for example en, es, zh. Empty: not known (the registry does not say).",
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="physician",
            name="telehealth",
            field=models.BooleanField(blank=True, default=None, null=True, verbose_name="offers telehealth"),
        ),
        migrations.AlterField(
            model_name="practicelocation",
            name="accepting_new_patients",
            field=models.BooleanField(blank=True, default=None, null=True),
        ),
        # The functions first (the data below is derived with them), then the data.
        migrations.RunSQL(migrations.RunSQL.noop, PREVIOUS_DERIVE + PREVIOUS_DERIVED + NO_UNKNOWN_PHYSICIANS),
        RunSQLFile("directory", "directory_physician_derived", "7d575060edd5"),
        RunSQLFile("directory", "directory_physician_derive", "40494f60493c"),
        migrations.RunSQL(UNKNOWN_WHERE_IMPORTED, KNOWN_AGAIN),
    ]
