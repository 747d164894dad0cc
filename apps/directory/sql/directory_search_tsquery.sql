-- `q` as a tsquery: each word becomes (the word | the real words it may stand for | words starting with it,
-- from three letters on), see directory_search_terms; the words are ANDed, so word order does not matter.
CREATE OR REPLACE FUNCTION directory_search_tsquery(q text) RETURNS tsquery
LANGUAGE sql STABLE AS $$
  SELECT string_agg(alternatives, ' & ' ORDER BY word_position)::tsquery
    FROM (SELECT word_position,
                 CASE WHEN length(word) = 1 THEN quote_literal(word) || ':*'
                      ELSE '(' || string_agg(quote_literal(term), ' | ')
                           || CASE WHEN length(word) >= 3 THEN ' | ' || quote_literal(word) || ':*' ELSE '' END || ')'
                 END AS alternatives
            FROM directory_search_terms(q) GROUP BY word_position, word) w
$$;
