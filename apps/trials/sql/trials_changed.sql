-- The trials the profile, the physician's API detail and the trials pages show change the directory's
-- version as the directory's own tables do (apps/directory/sql/directory_changed.sql).
CREATE OR REPLACE TRIGGER trials_trial_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON trials_trial FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER trials_trial_cancer_types_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON trials_trial_cancer_types FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER trials_site_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON trials_site FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER trials_investigator_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON trials_investigator FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
CREATE OR REPLACE TRIGGER trials_investigatormatch_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
  ON trials_investigatormatch FOR EACH STATEMENT EXECUTE FUNCTION directory_changed();
