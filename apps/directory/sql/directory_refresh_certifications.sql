-- A physician's board certifications give it certified_until. The refresh directory_boardcertification's
-- triggers run for the physicians whose rows changed: these columns of directory_physician_derived(),
-- planned apart (OFFSET 0) so that only this table is read for them (an UPDATE keeps every column of a
-- function it joins directly, to recheck rows updated concurrently). One plan, made once per connection,
-- serves every call: planning anew for each array, as PostgreSQL would, took longer than running it for a
-- row or a few, and it is as fast for 20,000 physicians.
CREATE OR REPLACE FUNCTION directory_refresh_certifications(ids bigint[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  UPDATE directory_physician p SET certified_until = d.certified_until
    FROM (SELECT id, certified_until FROM directory_physician_derived(ids) OFFSET 0) d
   WHERE p.id = d.id AND p.certified_until IS DISTINCT FROM d.certified_until;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;

CREATE OR REPLACE TRIGGER directory_boardcertification_ins AFTER INSERT ON directory_boardcertification
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_certifications', 'physician_id');
CREATE OR REPLACE TRIGGER directory_boardcertification_upd AFTER UPDATE ON directory_boardcertification
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_certifications', 'physician_id');
CREATE OR REPLACE TRIGGER directory_boardcertification_del AFTER DELETE ON directory_boardcertification
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_related_changed('directory_refresh_certifications', 'physician_id');
