-- The trials import's readers of study documents (apps/trials/pipeline/write.py).
-- trials_jsonb_or_null: the text as jsonb, or NULL when it is not JSON (a batch whose every document
-- parses never calls it: the import casts the batch in one statement first).
-- trials_array: the value when it is a JSON array, else an empty one, so that a study with a malformed
-- list is read as having none instead of failing its batch.
CREATE OR REPLACE FUNCTION trials_jsonb_or_null(document text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN document::jsonb;
EXCEPTION WHEN data_exception OR syntax_error THEN
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION trials_array(value jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN jsonb_typeof(value) = 'array' THEN value ELSE '[]'::jsonb END;
