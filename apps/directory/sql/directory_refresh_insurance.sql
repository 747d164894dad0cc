-- The insurance plans a physician's practice locations take give it insurance_plan_ids. The refresh
-- directory_acceptedplan's triggers run for the locations whose rows changed (the table names locations, not
-- physicians): the column of directory_physician_derived() for those locations' physicians, planned apart
-- (OFFSET 0) as directory_refresh_locations() explains.
CREATE OR REPLACE FUNCTION directory_refresh_insurance(location_ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  ids bigint[] := ARRAY(SELECT DISTINCT physician_id FROM directory_practicelocation WHERE id = ANY(location_ids));
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p SET insurance_plan_ids = d.insurance_plan_ids
    FROM (SELECT id, insurance_plan_ids FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id AND p.insurance_plan_ids IS DISTINCT FROM d.insurance_plan_ids;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE TRIGGER directory_acceptedplan_ins AFTER INSERT ON directory_acceptedplan
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_insurance', 'location_id');
CREATE OR REPLACE TRIGGER directory_acceptedplan_upd AFTER UPDATE ON directory_acceptedplan
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_insurance', 'location_id');
CREATE OR REPLACE TRIGGER directory_acceptedplan_del AFTER DELETE ON directory_acceptedplan
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_insurance', 'location_id');
