-- `q`: each word becomes (the word | real words close to it by trigram similarity | words starting with
-- it), and the words are ANDed. The look-up uses the GIN trigram index of directory_searchterm (the `%`
-- operator, with the threshold set for the call). Stop words, the word limit and the word length are
-- apps/directory/search.py's, which applies them to the same words before calling this.
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
    CONTINUE WHEN word = '' OR word = ANY ({{STOP_WORDS}});
    word := left(word, {{MAX_WORD_LENGTH}});  -- no name is longer; tsquery words must stay under 2 kB
    EXIT WHEN cardinality(parts) >= {{MAX_SEARCH_WORDS}};
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
