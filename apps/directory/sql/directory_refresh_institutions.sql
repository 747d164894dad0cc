-- A physician's affiliations give it institution_text (a hospital renamed: directory_institution_renamed).
-- The refresh directory_affiliation's triggers run for the physicians whose rows changed: these columns of
-- directory_physician_derived(), planned apart (OFFSET 0) so that only this table is read for them (an
-- UPDATE keeps every column of a function it joins directly, to recheck rows updated concurrently).
-- One plan, made once per connection, serves every call: planning anew for each array, as PostgreSQL
-- would, took longer than running it for a row or a few, and it is as fast for 20,000 physicians.
CREATE OR REPLACE FUNCTION directory_refresh_institutions(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p SET institution_text = d.institution_text
    FROM (SELECT id, institution_text FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id AND p.institution_text IS DISTINCT FROM d.institution_text;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE TRIGGER directory_affiliation_ins AFTER INSERT ON directory_affiliation
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_institutions', 'physician_id');
CREATE OR REPLACE TRIGGER directory_affiliation_upd AFTER UPDATE ON directory_affiliation
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_institutions', 'physician_id');
CREATE OR REPLACE TRIGGER directory_affiliation_del AFTER DELETE ON directory_affiliation
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_institutions', 'physician_id');
