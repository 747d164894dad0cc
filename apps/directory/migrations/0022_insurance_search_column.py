"""`insurance=` as one indexed column, as every other selective filter: each physician's insurance_plan_ids,
derived from the plans its locations take (directory_physician_derived gains the column, so its signature
changes: dropped and created again), kept by triggers on directory_acceptedplan and by the location refresh."""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models

from apps.directory.sql import RunSQLFile

DROP_DERIVED = "DROP FUNCTION IF EXISTS directory_physician_derived(bigint[]);"
# Reversed: the functions as 0016 applied them (apps/directory/sql/ then), before the column goes.
PREVIOUS_FUNCTIONS = r"""
-- The one derivation of the search columns a physician gets from its related rows: what its practice
-- locations, affiliations, board certifications, specialties and cancer types give each physician of
-- `ids` (every one gets a row; the empty values when it has no related rows). directory_refresh_physicians()
-- writes all of it (seed_demo, the NPPES import); each related table's triggers write the columns that
-- table feeds (directory_refresh_locations() and the like). Each related table is aggregated once for
-- all the physicians (hash joins for many ids, index scans for a few). An inlined SQL function: a caller
-- that reads some columns reads only the tables they come from (the planner removes the other joins).
CREATE OR REPLACE FUNCTION directory_physician_derived(ids bigint[])
RETURNS TABLE (id bigint, location_text text, accepting_new_patients boolean, geo_cells integer[],
               accepting_geo_cells integer[], institution_text text, certified_until date,
               specialty_ids bigint[], cancer_type_ids bigint[])
LANGUAGE sql STABLE AS $$
  WITH c AS (SELECT DISTINCT unnest(ids) AS id),
  places AS (
    SELECT l.physician_id AS id,
           directory_normalize(string_agg(concat_ws(' ', l.name, l.city), ' ' ORDER BY l.id)) AS location_text,
           -- Yes if one location accepts, no if every one is known not to, else not known (NULL).
           CASE WHEN bool_or(l.accepting_new_patients) THEN true
                WHEN bool_and(l.accepting_new_patients IS FALSE) THEN false END AS accepting
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
           places.accepting,
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
-- A physician row derives its own search columns (names, search document and its words) on every write,
-- and keeps those derived from related rows unless a refresh (oncodir.refreshing) writes them.
CREATE OR REPLACE FUNCTION directory_physician_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('oncodir.refreshing', true), '') = 'on' THEN
    NULL;  -- directory_refresh_physicians(), or a bulk writer that derived the columns as it does
  ELSIF TG_OP = 'INSERT' THEN
    -- No related rows can exist yet: start from empty, whatever the writer sent.
    NEW.location_text := '';
    NEW.institution_text := '';
    NEW.accepting_new_patients := NULL;  -- not known
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
  RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER physician_derive BEFORE INSERT OR UPDATE ON directory_physician
  FOR EACH ROW EXECUTE FUNCTION directory_physician_derive();
-- Write what directory_physician_derived() gives the physicians `ids` into every derived column of their
-- rows, writing only the rows that change: for the writers that skip the related tables' triggers
-- (oncodir.bulk_load: seed_demo, the NPPES import) and refresh each batch once. oncodir.refreshing tells
-- directory_physician_derive() that these values may be written.
CREATE OR REPLACE FUNCTION directory_refresh_physicians(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  -- EXECUTE: every call is planned for its own array (a cached generic plan would assume ten ids).
  EXECUTE $sql$
    UPDATE directory_physician p
       SET (location_text, accepting_new_patients, geo_cells, accepting_geo_cells, institution_text,
            certified_until, specialty_ids, cancer_type_ids)
         = (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells, d.institution_text,
            d.certified_until, d.specialty_ids, d.cancer_type_ids)
      FROM directory_physician_derived($1) d
     WHERE p.id = d.id
       AND (p.location_text, p.accepting_new_patients, p.geo_cells, p.accepting_geo_cells, p.institution_text,
            p.certified_until, p.specialty_ids, p.cancer_type_ids)
           IS DISTINCT FROM
           (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells, d.institution_text,
            d.certified_until, d.specialty_ids, d.cancer_type_ids)
  $sql$ USING ids;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;
-- A physician's practice locations give it location_text, accepting_new_patients and its map cells. The
-- refresh directory_practicelocation's triggers run for the physicians whose rows changed: these columns of
-- directory_physician_derived(), planned apart (OFFSET 0) so that only this table is read for them (an
-- UPDATE keeps every column of a function it joins directly, to recheck rows updated concurrently). One
-- plan, made once per connection, serves every call: planning anew for each array, as PostgreSQL would, took
-- longer than running it for a row or a few, and it is as fast for 20,000 physicians.
CREATE OR REPLACE FUNCTION directory_refresh_locations(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p SET (location_text, accepting_new_patients, geo_cells, accepting_geo_cells)
                                 = (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells)
    FROM (SELECT id, location_text, accepting_new_patients, geo_cells, accepting_geo_cells
            FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id
     AND (p.location_text, p.accepting_new_patients, p.geo_cells, p.accepting_geo_cells)
         IS DISTINCT FROM (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells);
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE TRIGGER directory_practicelocation_ins AFTER INSERT ON directory_practicelocation
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_locations', 'physician_id');
CREATE OR REPLACE TRIGGER directory_practicelocation_upd AFTER UPDATE ON directory_practicelocation
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_locations', 'physician_id');
CREATE OR REPLACE TRIGGER directory_practicelocation_del AFTER DELETE ON directory_practicelocation
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_locations', 'physician_id');
"""
DERIVE_EXISTING = """
SELECT directory_refresh_physicians(array_agg(DISTINCT l.physician_id))
  FROM directory_acceptedplan a JOIN directory_practicelocation l ON l.id = a.location_id HAVING count(*) > 0;
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS directory_acceptedplan_ins ON directory_acceptedplan;
DROP TRIGGER IF EXISTS directory_acceptedplan_upd ON directory_acceptedplan;
DROP TRIGGER IF EXISTS directory_acceptedplan_del ON directory_acceptedplan;
DROP FUNCTION IF EXISTS directory_refresh_insurance(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0021_insurance_carriers"),
    ]

    operations = [
        migrations.AddField(
            model_name="physician",
            name="insurance_plan_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(),
                db_default=models.Value(
                    [],
                    output_field=django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), size=None
                    ),
                ),
                editable=False,
                help_text="Ids of the insurance plans one of the practice locations takes (from AcceptedPlan).",
                size=None,
            ),
        ),
        migrations.AddIndex(
            model_name="physician",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("is_active", True)),
                fields=["insurance_plan_ids"],
                name="physician_insurance_plans_gin",
            ),
        ),
        # The function's new signature first (the refresh functions and triggers read it), then the data.
        migrations.RunSQL(DROP_DERIVED, DROP_DERIVED + PREVIOUS_FUNCTIONS),
        RunSQLFile("directory", "directory_physician_derived", "432e7191f3ed"),
        RunSQLFile("directory", "directory_physician_derive", "c8e48354a98e"),
        RunSQLFile("directory", "directory_refresh_physicians", "e9db76a8658e"),
        RunSQLFile("directory", "directory_refresh_locations", "14dfc7554f5e"),
        migrations.RunSQL(migrations.RunSQL.noop, DROP_TRIGGERS),
        RunSQLFile("directory", "directory_refresh_insurance", "58f7f9029d22"),
        migrations.RunSQL(DERIVE_EXISTING, migrations.RunSQL.noop),
    ]
