-- Whether a person's name key (trials_name_words, joined) is a physician's name: it starts with the first word
-- of the first name and ends with the whole last name, and whatever lies between (middle names) starts with
-- the physician's middle initial when both have one. All arguments are directory_normalize()d.
CREATE OR REPLACE FUNCTION trials_name_fits(name_key text, first text, middle text, last text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN length(name_key) > length(first) + length(last)
   AND left(name_key, length(first) + 1) = first || ' '
   AND right(name_key, length(last) + 1) = ' ' || last
   AND (middle = ''
        OR btrim(substr(name_key, length(first) + 1, length(name_key) - length(first) - length(last))) = ''
        OR left(btrim(substr(name_key, length(first) + 1, length(name_key) - length(first) - length(last))), 1)
           = left(middle, 1));
