-- How well a physician's name (search_names) answers the typed words, given directory_search_weights: for
-- each typed word, the closeness of the name's word closest to it (0 when none is), summed. Two small
-- bonuses order names that match equally: the first typed word counts 0.05 more when it is the first name
-- ("lucas barbe": Lucas Barbe before Barbara Lucas), the last of several 0.03 more when it is the name's last
-- word ("dillon craig": Dillon Craig before Dillon Craig Avila); together they stay under the 0.1 between
-- a word and a typo of it. PL/pgSQL: about as cheap per row as the word_similarity() it replaces, where an
-- SQL function reading the weights several times is neither inlined nor cheap.
CREATE OR REPLACE FUNCTION directory_search_rank(names text, weights jsonb) RETURNS real
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  words text[] := string_to_array(names, ' ');
  last integer := cardinality(words);
  closeness jsonb;
  best real[] := '{}';
  typed integer;
  k integer;
  p integer;
  c real;
  rank real := 0;
BEGIN
  FOR k IN 1 .. coalesce(last, 0) LOOP
    closeness := weights -> words[k];
    CONTINUE WHEN closeness IS NULL;
    typed := jsonb_array_length(closeness);
    FOR p IN 0 .. typed - 1 LOOP
      c := (closeness ->> p)::real;
      CONTINUE WHEN c = 0;
      IF k = 1 AND p = 0 THEN
        c := c + 0.05;
      ELSIF k = last AND p = typed - 1 AND typed > 1 THEN
        c := c + 0.03;
      END IF;
      IF best[p + 1] IS NULL OR c > best[p + 1] THEN
        best[p + 1] := c;
      END IF;
    END LOOP;
  END LOOP;
  FOR p IN 1 .. coalesce(cardinality(best), 0) LOOP
    rank := rank + coalesce(best[p], 0);
  END LOOP;
  RETURN rank;
END $$;
