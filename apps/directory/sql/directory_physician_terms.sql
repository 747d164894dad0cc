-- The words of changed search documents join directory_searchterm, the vocabulary `q` corrects typos from.
CREATE OR REPLACE FUNCTION directory_physician_terms() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO directory_searchterm (term)
  SELECT DISTINCT word FROM new_rows, unnest(tsvector_to_array(new_rows.search_vector)) AS word
  ORDER BY word
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER physician_terms_insert AFTER INSERT ON directory_physician
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_physician_terms();
CREATE OR REPLACE TRIGGER physician_terms_update AFTER UPDATE ON directory_physician
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION directory_physician_terms();
