from django.db import migrations

# 0006's directory_search_tsquery read pg_trgm.similarity_threshold before pg_trgm's library was loaded
# in the session (the first search on a new connection), which fails: read it with missing_ok instead.
SEARCH_TSQUERY = r"""
CREATE OR REPLACE FUNCTION directory_search_tsquery(q text) RETURNS tsquery
LANGUAGE plpgsql STABLE AS $$
DECLARE
  word text;
  threshold real;
  alternatives text[];
  parts text[] := '{}';
  -- missing_ok: the setting only exists once pg_trgm's library is loaded in this session.
  previous text := current_setting('pg_trgm.similarity_threshold', true);
BEGIN
  FOREACH word IN ARRAY string_to_array(directory_normalize(q), ' ') LOOP
    CONTINUE WHEN word = '' OR word = ANY (ARRAY['dr', 'doctor', 'md', 'do', 'phd', 'the', 'of', 'and']);
    word := left(word, 100);  -- no name is longer; tsquery words must stay under 2 kB
    EXIT WHEN cardinality(parts) >= 8;
    IF length(word) = 1 THEN
      parts := parts || (quote_literal(word) || ':*');
      CONTINUE;
    END IF;
    -- A known word only admits close variants (0.5: "jonson" ~ "johnson"); an unknown one looser ones
    -- (0.2: "smtih" ~ "smith").
    threshold := CASE WHEN EXISTS (SELECT 1 FROM directory_searchterm WHERE term = word) THEN 0.5 ELSE 0.2 END;
    PERFORM set_config('pg_trgm.similarity_threshold', threshold::text, true);
    SELECT coalesce(array_agg(quote_literal(t.term)), '{}') INTO alternatives
      FROM (SELECT term FROM directory_searchterm WHERE term % word
             ORDER BY similarity(term, word) DESC, term LIMIT 12) t;
    alternatives := alternatives || quote_literal(word);
    IF length(word) >= 3 THEN
      alternatives := alternatives || (quote_literal(word) || ':*');
    END IF;
    parts := parts || ('(' || array_to_string(alternatives, ' | ') || ')');
  END LOOP;
  PERFORM set_config('pg_trgm.similarity_threshold', coalesce(previous, '0.3'), true);
  IF cardinality(parts) = 0 THEN
    RETURN NULL;
  END IF;
  RETURN array_to_string(parts, ' & ')::tsquery;
END $$;
"""


def _previous_definition() -> str:
    import importlib

    return importlib.import_module("apps.directory.migrations.0006_faster_indexes").SEARCH_TSQUERY


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_faster_indexes")]

    operations = [migrations.RunSQL(SEARCH_TSQUERY, _previous_definition())]
