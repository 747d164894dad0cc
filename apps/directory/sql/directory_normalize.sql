-- Search text as the directory stores and compares it: lower case, accents removed, punctuation to spaces.
CREATE OR REPLACE FUNCTION directory_normalize(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN btrim(regexp_replace(lower(immutable_unaccent(coalesce($1, ''))), '[^[:alnum:]]+', ' ', 'g'));
