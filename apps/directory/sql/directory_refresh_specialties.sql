-- A physician's specialties give it specialty_ids. The refresh directory_physicianspecialty's triggers run
-- for the physicians whose rows changed: these columns of directory_physician_derived(), planned apart
-- (OFFSET 0) so that only this table is read for them (an UPDATE keeps every column of a function it joins
-- directly, to recheck rows updated concurrently). One plan, made once per connection, serves every call:
-- planning anew for each array, as PostgreSQL would, took longer than running it for a row or a few, and it
-- is as fast for 20,000 physicians.
CREATE OR REPLACE FUNCTION directory_refresh_specialties(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p SET specialty_ids = d.specialty_ids
    FROM (SELECT id, specialty_ids FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id AND p.specialty_ids IS DISTINCT FROM d.specialty_ids;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE TRIGGER directory_physicianspecialty_ins AFTER INSERT ON directory_physicianspecialty
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_specialties', 'physician_id');
CREATE OR REPLACE TRIGGER directory_physicianspecialty_upd AFTER UPDATE ON directory_physicianspecialty
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_specialties', 'physician_id');
CREATE OR REPLACE TRIGGER directory_physicianspecialty_del AFTER DELETE ON directory_physicianspecialty
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_specialties', 'physician_id');
