-- A hospital renamed changes the institution_text of the physicians affiliated with it.
CREATE OR REPLACE FUNCTION directory_institution_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  SELECT array_agg(DISTINCT a.physician_id) INTO ids
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    JOIN directory_affiliation a ON a.institution_id = n.id
   WHERE n.name IS DISTINCT FROM o.name;
  IF ids IS NOT NULL THEN
    PERFORM directory_refresh_institutions(ids);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER institution_renamed AFTER UPDATE ON directory_institution
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION directory_institution_renamed();
