-- What each word of `q` may stand for: (position of the word in `q` from 0, the word, a real word of
-- directory_searchterm, closeness: 1 for the word itself). directory_search_tsquery finds physicians by
-- these words and directory_search_weights ranks them by the closeness. A real word is
-- - one typo away (0.7 to 0.9): a letter dropped, added or replaced, or two adjacent letters swapped: the
--   variants of the word are looked up by the primary key, so none is missed however short the word or
--   wherever the typo is ("brihgt" -> "bright", "esn" -> "sen", trigram similarity finds neither). The more
--   trigrams in common the closer: "minn" is closer to "min" than to "ming";
-- - a word it starts (0.6 to 0.7, the 50 shortest): "fitzg" -> "fitzgerald";
-- - else close by trigram similarity (at most 0.5), the 12 closest: a known word only admits close
--   variants (0.5: "jonson" ~ "johnson"), an unknown one looser ones (0.4: two typos in a long
--   word; one typo is found above, and 0.2 took 0.6 ms a word at 100,000 physicians where 0.4 takes 0.15).
-- A one-letter word stands for itself (an initial: the tsquery takes words starting with it).
-- A word is looked up with >= and <=, which the primary key's btree answers and pg_trgm's GIN index
-- cannot: for `=` the planner may pick the GIN index (pg_trgm answers it too, by trigrams), 10 ms a word
-- instead of a few microseconds after a bulk load (seed_demo's 3,000 physicians: its pending list is read
-- for each word), which made a search take 20 s.
-- Stop words, the word limit and the word length are apps/directory/search.py's, which applies them to the
-- same words before calling this.
CREATE OR REPLACE FUNCTION directory_search_terms(q text)
RETURNS TABLE (word_position integer, word text, term text, closeness real)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  typed text;
  variants text[];
  letters CONSTANT text[] := string_to_array('abcdefghijklmnopqrstuvwxyz0123456789', NULL);
  -- missing_ok: the setting only exists once pg_trgm's library is loaded in this session.
  previous text := current_setting('pg_trgm.similarity_threshold', true);
BEGIN
  word_position := 0;
  FOREACH typed IN ARRAY string_to_array(directory_normalize(q), ' ') LOOP
    CONTINUE WHEN typed = '' OR typed = ANY ({{STOP_WORDS}});
    EXIT WHEN word_position >= {{MAX_SEARCH_WORDS}};
    word := left(typed, {{MAX_WORD_LENGTH}});  -- no name is longer; tsquery words must stay under 2 kB
    term := word;
    closeness := 1;
    RETURN NEXT;
    IF length(word) > 1 THEN
      variants := ARRAY(
        SELECT left(word, i - 1) || substr(word, i + 1) FROM generate_series(1, length(word)) i
        UNION ALL
        SELECT left(word, i - 1) || substr(word, i + 1, 1) || substr(word, i, 1) || substr(word, i + 2)
          FROM generate_series(1, length(word) - 1) i
        UNION ALL
        SELECT left(word, i) || c || substr(word, i + 1) FROM generate_series(0, length(word)) i, unnest(letters) c
        UNION ALL
        SELECT left(word, i - 1) || c || substr(word, i + 1) FROM generate_series(1, length(word)) i, unnest(letters) c);
      PERFORM set_config('pg_trgm.similarity_threshold',
        CASE WHEN EXISTS (SELECT 1 FROM directory_searchterm s WHERE s.term >= word AND s.term <= word)
             THEN '0.5' ELSE '0.4' END, true);
      RETURN QUERY
        SELECT word_position, word, c.term, max(c.closeness)::real FROM (
          SELECT s.term, 0.7 + 0.2 * similarity(s.term, word) AS closeness
            FROM unnest(variants) v JOIN directory_searchterm s ON s.term >= v AND s.term <= v
           WHERE s.term <> word AND length(s.term) > 1  -- a middle initial is no typo of "sn"
          UNION ALL
          (SELECT s.term, 0.6 + 0.1 * similarity(s.term, word) FROM directory_searchterm s
            WHERE length(word) >= 3 AND s.term LIKE word || '%' AND s.term <> word
            ORDER BY length(s.term), s.term LIMIT 50)
          UNION ALL
          (SELECT s.term, 0.5 * similarity(s.term, word) FROM directory_searchterm s
            WHERE s.term % word AND s.term <> word ORDER BY similarity(s.term, word) DESC, s.term LIMIT 12)
        ) c GROUP BY c.term;
    END IF;
    word_position := word_position + 1;
  END LOOP;
  PERFORM set_config('pg_trgm.similarity_threshold', coalesce(previous, '0.3'), true);
END $$;
