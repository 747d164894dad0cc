-- The directory's version: directory_version's one row (number, changed_at), the validator of every public
-- read (ETag, Last-Modified: apps/directory/changes.py). Any statement on a table a public page, API or
-- FHIR read shows (these, trials_changed.sql's, the reference tables) changes it: raw SQL and COPY too.
--
-- Bumped at COMMIT, in the writer's own transaction: a reader sees the new number exactly when it sees the
-- new rows (never an old body under a new ETag, as a sequence bumped before the commit would allow). And
-- only at commit: a statement marks its transaction once (directory_changed(): one row in
-- directory_change, a transaction-local flag), and that row's deferred trigger bumps the version as the
-- transaction commits. A transaction that bumped at its first write would hold the row's lock to its end:
-- an import batch would block every curator's edit for its whole length; at commit the lock lasts
-- microseconds. Statement triggers: a COPY of a million rows marks once, no transition tables. Writers
-- committing at once queue on the row for those microseconds (READ COMMITTED, as every writer here: a
-- REPEATABLE READ one would get a serialization failure at its commit instead).
CREATE OR REPLACE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('oncodir.directory_changed', true), '') <> 'on' THEN
    PERFORM set_config('oncodir.directory_changed', 'on', true);  -- undone with a rolled-back savepoint
    INSERT INTO directory_change (txid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

-- At commit (a deferred constraint trigger on the transaction's directory_change row). changed_at never
-- goes back, whatever the clock does: Last-Modified only grows.
CREATE OR REPLACE FUNCTION directory_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE directory_version SET number = number + 1, changed_at = greatest(changed_at, clock_timestamp());
  DELETE FROM directory_change WHERE txid = NEW.txid;
  RETURN NULL;
END $$;

-- (No OR REPLACE for a constraint trigger.)
DROP TRIGGER IF EXISTS directory_change_commit ON directory_change;
CREATE CONSTRAINT TRIGGER directory_change_commit AFTER INSERT ON directory_change
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION directory_version_bump();

CREATE OR REPLACE TRIGGER directory_physician_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_physician FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_physician_cancer_types_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_physician_cancer_types FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_physicianspecialty_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_physicianspecialty FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_boardcertification_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_boardcertification FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_practicelocation_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_practicelocation FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_acceptedplan_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_acceptedplan FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_affiliation_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_affiliation FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_listingreport_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_listingreport FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_searchterm_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_searchterm FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
-- The reference tables (names and codes every page shows).
CREATE OR REPLACE TRIGGER directory_specialty_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_specialty FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_cancertype_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_cancertype FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_board_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_board FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_institution_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_institution FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_insurancecarrier_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_insurancecarrier FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER directory_insuranceplan_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON directory_insuranceplan FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
