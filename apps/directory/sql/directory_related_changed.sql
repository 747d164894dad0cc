-- Statement trigger of a related table (transition tables, so a COPY of a million rows is one set-based
-- refresh): TG_ARGV[0] is the table's refresh function, TG_ARGV[1] its physician column. A writer that
-- sets oncodir.bulk_load for its transaction skips it, and calls directory_refresh_physicians() once for
-- the batch instead (seed_demo, the NPPES import).
CREATE OR REPLACE FUNCTION directory_related_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
BEGIN
  IF coalesce(current_setting('oncodir.bulk_load', true), '') = 'on' THEN
    RETURN NULL;  -- the bulk writer calls directory_refresh_physicians() for its batch
  END IF;
  IF TG_OP = 'INSERT' THEN
    EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[1]) INTO ids;
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[1]) INTO ids;
  ELSE
    EXECUTE format('SELECT array_agg(DISTINCT x) FROM (SELECT %1$I AS x FROM new_rows UNION SELECT %1$I FROM old_rows) s',
                   TG_ARGV[1]) INTO ids;
  END IF;
  IF ids IS NOT NULL THEN
    EXECUTE format('SELECT %I($1)', TG_ARGV[0]) USING ids;
  END IF;
  RETURN NULL;
END $$;
