"""`q` finds the physician meant when a name is typed with a typo, and ranks him or her first.

- directory_search_terms(q): what each typed word may stand for, with its closeness: the word itself,
  every real word one typo away (looked up by its variants, so transpositions and short names are found:
  "brihgt", "chada"), words it starts, and trigram neighbours; directory_search_tsquery(q) is built from it.
- directory_search_rank(search_names, directory_search_weights(q)) replaces word_similarity(q, search_names):
  per typed word the closeness of the name's closest word, with the first name weighing in.
"""

from django.db import migrations

from apps.directory.sql import RunSQLFile

# Reversed: directory_search_tsquery as 0015 applied it, and the new functions dropped.
PREVIOUS = r"""
CREATE OR REPLACE FUNCTION directory_search_tsquery(q text)
 RETURNS tsquery
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
  word text;
  threshold real;
  alternatives text[];
  parts text[] := '{}';
  -- missing_ok: the setting only exists once pg_trgm's library is loaded in this session.
  previous text := current_setting('pg_trgm.similarity_threshold', true);
BEGIN
  FOREACH word IN ARRAY string_to_array(directory_normalize(q), ' ') LOOP
    CONTINUE WHEN word = '' OR word = ANY (ARRAY['and', 'do', 'doctor', 'dr', 'md', 'of', 'phd', 'the']);
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
END $function$;
DROP FUNCTION IF EXISTS directory_search_rank(text, jsonb);
DROP FUNCTION IF EXISTS directory_search_weights(text);
DROP FUNCTION IF EXISTS directory_search_terms(text);
"""


class Migration(migrations.Migration):
    dependencies = [("directory", "0023_directory_version")]

    operations = [
        migrations.RunSQL(migrations.RunSQL.noop, PREVIOUS),
        RunSQLFile("directory", "directory_search_terms", "db440bf37eee"),
        RunSQLFile("directory", "directory_search_tsquery", "d8ec351f4127"),
        RunSQLFile("directory", "directory_search_weights", "6575cbc9f725"),
        RunSQLFile("directory", "directory_search_rank", "698bc3d44240"),
    ]
