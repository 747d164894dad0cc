"""Which directory physician a person a study names may be, in set-based SQL.

A candidate has the person's first and last name (middle names, accents, "Dr." and credentials aside:
apps/trials/sql/trials_name_words.sql; a middle initial that differs rules a physician out) and practises
in the state of the person's site (for an overall official: of a site whose facility resembles the
official's affiliation), or is affiliated with a hospital whose name resembles that affiliation or
facility. A candidate who also practises in the site's city or ZIP code is confident; the only candidate
for a person who is confident is linked automatically, every other candidate waits for a curator. A
curator's decision (confirmed, rejected) is never changed by a later run: a rejected pair stays rejected.
"""

from django.db import connection, transaction

from .models import InvestigatorMatch
from .rules import STATE_CODE_SQL, STATE_CODES, STATE_NAMES, US_COUNTRY

MATCHED_ROLES = ("PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR", "STUDY_CHAIR", "STUDY_DIRECTOR")
NAME_CONFIDENCE = 0.5
PLACE_CONFIDENCE = 0.3  # a practice location in the site's city (and state) or ZIP code
AFFILIATION_CONFIDENCE = 0.2  # a hospital affiliation whose name resembles the affiliation or facility
AUTO_LINK_CONFIDENCE = NAME_CONFIDENCE + PLACE_CONFIDENCE
SIMILAR_NAME = 0.5  # trigram similarity of two institution names that count as the same place

CANDIDATES = f"""
CREATE TEMP TABLE trials_candidate ON COMMIT DROP AS
WITH people AS (
    SELECT i.trial_id, i.name, i.site_id, i.affiliation, trials_name_words(i.name) AS words
    FROM trials_investigator i
    WHERE i.role = ANY (%(roles)s)
),
places AS (
    -- a site's person: the site; an overall official: the sites whose facility resembles the affiliation,
    -- and the affiliation alone
    SELECT p.trial_id, p.name, p.words, s.city, s.state, s.zip_code, coalesce(nullif(p.affiliation, ''), s.facility) AS org
    FROM people p JOIN trials_site s ON s.id = p.site_id
    WHERE s.country = %(us)s
    UNION ALL
    SELECT p.trial_id, p.name, p.words, s.city, s.state, s.zip_code, p.affiliation
    FROM people p JOIN trials_site s ON s.trial_id = p.trial_id AND s.country = %(us)s
    WHERE p.site_id IS NULL AND p.affiliation <> ''
      AND similarity(directory_normalize(s.facility), directory_normalize(p.affiliation)) >= %(similar)s
    UNION ALL
    SELECT p.trial_id, p.name, p.words, '', '', '', p.affiliation
    FROM people p WHERE p.site_id IS NULL AND p.affiliation <> ''
),
named AS (
    SELECT pl.trial_id, pl.name, array_to_string(pl.words, ' ') AS name_key, pl.words[1] AS first_word,
           pl.words[cardinality(pl.words)] AS last_word, directory_normalize(pl.city) AS city,
           {STATE_CODE_SQL.format(codes="%(codes)s", names="%(names)s", state="pl.state")} AS state,
           left(pl.zip_code, 5) AS zip, directory_normalize(pl.org) AS org
    FROM places pl
    WHERE cardinality(pl.words) >= 2
),
physicians AS MATERIALIZED (
    SELECT id, split_part(directory_normalize(first_name), ' ', 1) AS first, directory_normalize(middle_name) AS middle,
           directory_normalize(last_name) AS last,
           (regexp_match(directory_normalize(last_name), '([^ ]+)$'))[1] AS last_word
    FROM directory_physician WHERE is_active
),
-- each physician once per place, normalized once: a person is joined on first name, last word and state
located AS MATERIALIZED (
    SELECT DISTINCT ph.id, ph.first, ph.middle, ph.last, ph.last_word, l.state,
           directory_normalize(l.city) AS city, left(l.zip_code, 5) AS zip
    FROM physicians ph JOIN directory_practicelocation l ON l.physician_id = ph.id
),
affiliated AS MATERIALIZED (
    SELECT a.physician_id, directory_normalize(inst.name) AS org
    FROM directory_affiliation a JOIN directory_institution inst ON inst.id = a.institution_id
),
pairs AS (
    SELECT n.trial_id, n.name_key, n.name, lp.id AS physician_id, true AS same_state,
           lp.city = n.city OR lp.zip = n.zip AS same_place, false AS same_org
    FROM named n
    JOIN located lp ON lp.first = n.first_word AND lp.last_word = n.last_word AND lp.state = n.state
    WHERE n.state <> '' AND trials_name_fits(n.name_key, lp.first, lp.middle, lp.last)
    UNION ALL
    SELECT n.trial_id, n.name_key, n.name, ph.id, false, false, true
    FROM named n
    JOIN physicians ph ON ph.first = n.first_word AND ph.last_word = n.last_word
    WHERE n.org <> '' AND trials_name_fits(n.name_key, ph.first, ph.middle, ph.last)
      AND EXISTS (SELECT 1 FROM affiliated af WHERE af.physician_id = ph.id AND similarity(af.org, n.org) >= %(similar)s)
)
SELECT trial_id, name_key, min(name) AS name, physician_id,
       %(name_confidence)s + CASE WHEN bool_or(same_place) THEN %(place_confidence)s ELSE 0 END
           + CASE WHEN bool_or(same_org) THEN %(org_confidence)s ELSE 0 END AS confidence,
       concat_ws(',', 'name', CASE WHEN bool_or(same_place) THEN 'place' WHEN bool_or(same_state) THEN 'state' END,
                 CASE WHEN bool_or(same_org) THEN 'affiliation' END) AS reasons
FROM pairs
GROUP BY trial_id, name_key, physician_id
"""  # noqa: S608 - constant text (rules.STATE_CODE_SQL)

UPSERT = """
WITH counted AS (
    SELECT c.*, count(*) OVER (PARTITION BY trial_id, name_key) AS candidates FROM trials_candidate c
)
INSERT INTO trials_investigatormatch AS m (trial_id, name_key, name, physician_id, confidence, reasons, status, created_at)
SELECT trial_id, left(name_key, 200), left(name, 300), physician_id, least(confidence, 1.0), reasons,
       CASE WHEN confidence >= %(auto)s AND candidates = 1 THEN %(auto_status)s ELSE %(pending)s END, now()
FROM counted
ON CONFLICT (trial_id, name_key, physician_id) DO UPDATE SET
    confidence = EXCLUDED.confidence, reasons = EXCLUDED.reasons, name = EXCLUDED.name, status = EXCLUDED.status
WHERE m.status IN (%(auto_status)s, %(pending)s)
"""

# A pair no longer found (the person left the study, the physician moved) is dropped unless a curator decided it.
STALE = """
DELETE FROM trials_investigatormatch m
WHERE m.status IN (%(auto_status)s, %(pending)s)
  AND NOT EXISTS (SELECT 1 FROM trials_candidate c
                  WHERE c.trial_id = m.trial_id AND c.name_key = m.name_key AND c.physician_id = m.physician_id)
"""


def match_all() -> dict[str, int]:
    """Match every person of every study; returns how many pairs are linked and pending afterwards."""
    params = {
        "codes": STATE_CODES,
        "names": STATE_NAMES,
        "roles": list(MATCHED_ROLES),
        "us": US_COUNTRY,
        "similar": SIMILAR_NAME,
        "name_confidence": NAME_CONFIDENCE,
        "place_confidence": PLACE_CONFIDENCE,
        "org_confidence": AFFILIATION_CONFIDENCE,
        "auto": AUTO_LINK_CONFIDENCE - 1e-9,
        "auto_status": InvestigatorMatch.Status.AUTO,
        "pending": InvestigatorMatch.Status.PENDING,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CANDIDATES, params)
        cursor.execute(UPSERT, params)
        cursor.execute(STALE, params)
        cursor.execute("DROP TABLE trials_candidate")
    return {
        "linked": InvestigatorMatch.objects.linked().count(),
        "pending": InvestigatorMatch.objects.to_review().count(),
    }


def name_key(name: str) -> str:
    """The key a person's name is matched and remembered by (the SQL function's words, joined)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT array_to_string(trials_name_words(%s), ' ')", [name])
        return cursor.fetchone()[0]
