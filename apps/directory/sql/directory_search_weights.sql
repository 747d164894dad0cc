-- directory_search_terms(q) as directory_search_rank reads it: {real word: [its closeness to each typed
-- word, 0 when it stands for none]}, computed once per statement (an InitPlan).
CREATE OR REPLACE FUNCTION directory_search_weights(q text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
  WITH t AS MATERIALIZED (SELECT * FROM directory_search_terms(q))
  SELECT coalesce(jsonb_object_agg(term, by_position), '{}')
    FROM (SELECT u.term, jsonb_agg(coalesce(t.closeness, 0) ORDER BY p.word_position) AS by_position
            FROM (SELECT DISTINCT term FROM t) u
            CROSS JOIN (SELECT DISTINCT word_position FROM t) p
            LEFT JOIN t ON t.term = u.term AND t.word_position = p.word_position
           GROUP BY u.term) w
$$;
