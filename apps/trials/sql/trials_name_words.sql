-- The words of a person's name as a study gives it, normalized (directory_normalize: lower case, no
-- accents, punctuation to spaces) without titles and credentials: 'Dr. José A. García-López, MD, PhD'
-- -> {jose,a,garcia,lopez}. What follows the first comma is credentials; without a comma, credential words
-- at the end are dropped ('Jane Doe MD'), so a surname that is also a credential ('Kim Do') is only kept
-- when a comma follows it: a name read too short finds no physician, the safe way to be wrong.
CREATE OR REPLACE FUNCTION trials_name_words(name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    words text[] := array_remove(string_to_array(directory_normalize(split_part(name, ',', 1)), ' '), '');
BEGIN
    WHILE cardinality(words) > 0 AND words[1] = ANY ('{dr,prof,professor,mr,mrs,ms,miss}'::text[]) LOOP
        words := words[2:];
    END LOOP;
    IF position(',' IN coalesce(name, '')) = 0 THEN
        WHILE cardinality(words) > 2 AND words[cardinality(words)] = ANY (
            '{md,do,phd,mph,msc,ms,mbbs,mba,facp,facs,frcpc,rn,np,pa,pharmd,dds,jr,sr,ii,iii,iv}'::text[]) LOOP
            words := words[:cardinality(words) - 1];
        END LOOP;
    END IF;
    RETURN words;
END
$$;
