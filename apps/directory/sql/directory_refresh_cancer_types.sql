-- The cancer types a physician treats give it cancer_type_ids. The refresh
-- directory_physician_cancer_types's triggers run for the physicians whose rows changed: these columns of
-- directory_physician_derived(), planned apart (OFFSET 0) so that only this table is read for them (an
-- UPDATE keeps every column of a function it joins directly, to recheck rows updated concurrently). One
-- plan, made once per connection, serves every call: planning anew for each array, as PostgreSQL would, took
-- longer than running it for a row or a few, and it is as fast for 20,000 physicians.
CREATE OR REPLACE FUNCTION directory_refresh_cancer_types(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p SET cancer_type_ids = d.cancer_type_ids
    FROM (SELECT id, cancer_type_ids FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id AND p.cancer_type_ids IS DISTINCT FROM d.cancer_type_ids;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE TRIGGER directory_physician_cancer_types_ins AFTER INSERT ON directory_physician_cancer_types
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_cancer_types', 'physician_id');
CREATE OR REPLACE TRIGGER directory_physician_cancer_types_upd AFTER UPDATE ON directory_physician_cancer_types
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_cancer_types', 'physician_id');
CREATE OR REPLACE TRIGGER directory_physician_cancer_types_del AFTER DELETE ON directory_physician_cancer_types
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_cancer_types', 'physician_id');
