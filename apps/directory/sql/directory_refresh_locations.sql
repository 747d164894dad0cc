-- A physician's practice locations give it location_text, accepting_new_patients, its map cells and the
-- insurance plans taken (a location moved to another physician takes its plans along). The
-- refresh directory_practicelocation's triggers run for the physicians whose rows changed: these columns of
-- directory_physician_derived(), planned apart (OFFSET 0) so that only this table is read for them (an
-- UPDATE keeps every column of a function it joins directly, to recheck rows updated concurrently). One
-- plan, made once per connection, serves every call: planning anew for each array, as PostgreSQL would, took
-- longer than running it for a row or a few, and it is as fast for 20,000 physicians.
CREATE OR REPLACE FUNCTION directory_refresh_locations(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p
     SET (location_text, accepting_new_patients, geo_cells, accepting_geo_cells, insurance_plan_ids)
       = (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells, d.insurance_plan_ids)
    FROM (SELECT id, location_text, accepting_new_patients, geo_cells, accepting_geo_cells, insurance_plan_ids
            FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id
     AND (p.location_text, p.accepting_new_patients, p.geo_cells, p.accepting_geo_cells, p.insurance_plan_ids)
         IS DISTINCT FROM
         (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells, d.insurance_plan_ids);
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
