"""A batch of study documents into the trials tables, in set-based SQL.

Each document is COPYed as it is (CSV framing with control characters valid JSON never holds, so no byte
is escaped), cast to jsonb once, and every table is written from the jsonb with one statement.
"""

import io
from dataclasses import dataclass

import psycopg2
from django.db import transaction

from apps.directory.geo import zip_places

from ..rules import CANCER, CANCER_TYPE_PATTERNS, INTERVENTIONAL, RECRUITING, US_COUNTRY

# CSV framing: field delimiter \x02, quote \x01 (apps.trials.pipeline.read refuses documents holding either).
# Straight into a jsonb column, so each document is parsed once, as it arrives; a batch holding one that is
# not JSON is sent again as text and parsed document by document (trials_jsonb_or_null).
FRAMING = "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'"
COPY_PARSED = f"COPY trials_stage (n, checksum, doc) FROM STDIN WITH ({FRAMING})"
COPY_RAW = f"COPY trials_stage_raw (n, checksum, doc) FROM STDIN WITH ({FRAMING})"

# Staging values are read once and dropped: not compressed (pglz costs more than it saves here).
SESSION_TABLES = """
CREATE TEMP TABLE IF NOT EXISTS trials_stage_raw (n integer, checksum text, doc text);
CREATE TEMP TABLE IF NOT EXISTS trials_stage (n integer, checksum text, doc jsonb);
CREATE TEMP TABLE IF NOT EXISTS trials_info (n integer, nct_id text, reason text, kept boolean, condition_text text);
CREATE TEMP TABLE IF NOT EXISTS trials_batch (n integer, trial_id bigint, created boolean);
CREATE TEMP TABLE IF NOT EXISTS trials_zip_centroid (zip text PRIMARY KEY, latitude float8, longitude float8);
ALTER TABLE trials_stage_raw ALTER COLUMN doc SET STORAGE EXTERNAL;
ALTER TABLE trials_stage ALTER COLUMN doc SET STORAGE EXTERNAL;
"""

PARSE_EACH = (
    "INSERT INTO trials_stage (n, checksum, doc) SELECT n, checksum, trials_jsonb_or_null(doc) FROM trials_stage_raw"
)

CLASSIFY = """
INSERT INTO trials_info (n, nct_id, reason, kept, condition_text)
SELECT n, nct_id, reason,
       reason IS NULL AND doc #>> '{protocolSection,designModule,studyType}' = %(interventional)s
           AND (condition_text ~ %(cancer)s OR lower(doc #>> '{derivedSection,conditionBrowseModule,ancestors}') ~ %(cancer)s),
       condition_text
FROM (
    SELECT n, doc, doc #>> '{protocolSection,identificationModule,nctId}' AS nct_id,
           CASE
               WHEN doc IS NULL THEN 'not valid JSON'
               WHEN jsonb_typeof(doc) <> 'object' OR jsonb_typeof(doc -> 'protocolSection') IS DISTINCT FROM 'object'
                   THEN 'not a study: no protocolSection'
               WHEN (doc #>> '{protocolSection,identificationModule,nctId}') !~ '^NCT[0-9]{8}$'
                 OR doc #> '{protocolSection,identificationModule,nctId}' IS NULL
                   THEN 'no valid identificationModule.nctId'
           END AS reason,
           lower(concat_ws(' | ', doc #>> '{protocolSection,conditionsModule,conditions}',
                           doc #>> '{derivedSection,conditionBrowseModule,meshes}')) AS condition_text
    FROM trials_stage
) AS read
"""

REJECTED = "SELECT n, reason FROM trials_info WHERE reason IS NOT NULL ORDER BY n"

# A study twice in a batch: the later one wins, as it would in the next batch.
UPSERT = """
WITH s AS (
    SELECT DISTINCT ON (nct_id) n, checksum, nct_id, doc -> 'protocolSection' AS p
    FROM trials_stage JOIN trials_info USING (n) WHERE kept ORDER BY nct_id, n DESC
), upserted AS (
    INSERT INTO trials_trial AS t (nct_id, title, status, phases, sponsor, conditions, minimum_age, maximum_age, sex,
                                   start_date, completion_date, in_source, left_source_at, content_hash,
                                   created_at, updated_at)
    SELECT nct_id,
           coalesce(p #>> '{identificationModule,briefTitle}', p #>> '{identificationModule,officialTitle}', ''),
           left(coalesce(p #>> '{statusModule,overallStatus}', ''), 40),
           trials_array(p #> '{designModule,phases}'),
           left(coalesce(p #>> '{sponsorCollaboratorsModule,leadSponsor,name}', ''), 300),
           trials_array(p #> '{conditionsModule,conditions}'),
           left(coalesce(p #>> '{eligibilityModule,minimumAge}', ''), 30),
           left(coalesce(p #>> '{eligibilityModule,maximumAge}', ''), 30),
           left(coalesce(p #>> '{eligibilityModule,sex}', ''), 10),
           left(coalesce(p #>> '{statusModule,startDateStruct,date}', ''), 10),
           left(coalesce(p #>> '{statusModule,completionDateStruct,date}', ''), 10),
           true, NULL, checksum, now(), now()
    FROM s
    ON CONFLICT (nct_id) DO UPDATE SET
        title = EXCLUDED.title, status = EXCLUDED.status, phases = EXCLUDED.phases, sponsor = EXCLUDED.sponsor,
        conditions = EXCLUDED.conditions, minimum_age = EXCLUDED.minimum_age, maximum_age = EXCLUDED.maximum_age,
        sex = EXCLUDED.sex, start_date = EXCLUDED.start_date, completion_date = EXCLUDED.completion_date,
        in_source = true, left_source_at = NULL, content_hash = EXCLUDED.content_hash, updated_at = now()
    RETURNING t.id, t.nct_id, (t.xmax = 0) AS created
)
INSERT INTO trials_batch (n, trial_id, created)
SELECT s.n, upserted.id, upserted.created FROM upserted JOIN s USING (nct_id)
RETURNING created
"""

# A changed study's sites and people are replaced: a curator's decisions live on InvestigatorMatch, keyed by
# the study and the person's name, not on these rows.
CLEAR_CHANGED = """
DELETE FROM trials_investigator WHERE trial_id IN (SELECT trial_id FROM trials_batch WHERE NOT created);
DELETE FROM trials_site WHERE trial_id IN (SELECT trial_id FROM trials_batch WHERE NOT created);
DELETE FROM trials_trial_cancer_types WHERE trial_id IN (SELECT trial_id FROM trials_batch WHERE NOT created);
"""

# One statement for sites and people, so each study's locations are expanded once: the site ids are drawn
# from the sequence first, and a site's contacts with a role (and the overall officials) are its people.
# A US site without a geoPoint takes its ZIP code's centroid; one abroad keeps no coordinates. Each site
# gets the study's TrialQuerySet.recruiting and cancer types (written just before, CANCER_TYPES).
SITES_AND_PEOPLE = """
WITH studies AS MATERIALIZED (
    SELECT b.n, b.trial_id, t.in_source AND t.status = %(recruiting)s AS trial_recruiting,
           coalesce((SELECT array_agg(c.cancertype_id ORDER BY c.cancertype_id) FROM trials_trial_cancer_types c
                     WHERE c.trial_id = b.trial_id), '{}') AS cancer_type_ids
    FROM trials_batch b
    JOIN trials_trial t ON t.id = b.trial_id
), located AS MATERIALIZED (
    SELECT b.trial_id, b.trial_recruiting, b.cancer_type_ids, l.ord, l.loc,
           nextval(pg_get_serial_sequence('trials_site', 'id')) AS site_id,
           CASE WHEN jsonb_typeof(l.loc #> '{geoPoint,lat}') = 'number' AND jsonb_typeof(l.loc #> '{geoPoint,lon}') = 'number'
                     AND abs((l.loc #>> '{geoPoint,lat}')::float8) <= 90 AND abs((l.loc #>> '{geoPoint,lon}')::float8) <= 180
                THEN true ELSE false END AS geo
    FROM studies b
    JOIN trials_stage s USING (n)
    CROSS JOIN LATERAL jsonb_array_elements(trials_array(s.doc #> '{protocolSection,contactsLocationsModule,locations}'))
        WITH ORDINALITY AS l(loc, ord)
), sites AS (
    INSERT INTO trials_site (id, trial_id, position, facility, city, state, zip_code, country, status, latitude,
                             longitude, coordinates_from_zip, trial_recruiting, cancer_type_ids)
    SELECT l.site_id, l.trial_id, l.ord,
           left(coalesce(l.loc ->> 'facility', ''), 300), left(coalesce(l.loc ->> 'city', ''), 100),
           left(coalesce(l.loc ->> 'state', ''), 100), left(coalesce(l.loc ->> 'zip', ''), 20),
           left(coalesce(l.loc ->> 'country', ''), 100), left(coalesce(l.loc ->> 'status', ''), 40),
           CASE WHEN l.geo THEN (l.loc #>> '{geoPoint,lat}')::float8 ELSE z.latitude END,
           CASE WHEN l.geo THEN (l.loc #>> '{geoPoint,lon}')::float8 ELSE z.longitude END,
           NOT l.geo AND z.latitude IS NOT NULL, l.trial_recruiting, l.cancer_type_ids
    FROM located l
    LEFT JOIN trials_zip_centroid z ON NOT l.geo AND l.loc ->> 'country' = %(us)s AND z.zip = left(l.loc ->> 'zip', 5)
)
INSERT INTO trials_investigator (trial_id, site_id, name, role, affiliation)
SELECT b.trial_id, NULL, left(btrim(o ->> 'name'), 300), left(coalesce(o ->> 'role', ''), 40),
       left(coalesce(o ->> 'affiliation', ''), 300)
FROM trials_batch b
JOIN trials_stage s USING (n)
CROSS JOIN LATERAL jsonb_array_elements(trials_array(s.doc #> '{protocolSection,contactsLocationsModule,overallOfficials}')) AS o
WHERE coalesce(btrim(o ->> 'name'), '') <> ''
UNION ALL
SELECT l.trial_id, l.site_id, left(btrim(c ->> 'name'), 300), left(c ->> 'role', 40), ''
FROM located l
CROSS JOIN LATERAL jsonb_array_elements(trials_array(l.loc -> 'contacts')) AS c
WHERE l.loc ? 'contacts' AND coalesce(btrim(c ->> 'name'), '') <> '' AND coalesce(c ->> 'role', '') <> ''
"""

CANCER_TYPES = """
INSERT INTO trials_trial_cancer_types (trial_id, cancertype_id)
SELECT b.trial_id, ct.id
FROM trials_batch b
JOIN trials_info s USING (n)
JOIN unnest(%(slugs)s::text[], %(patterns)s::text[]) AS rule(slug, pattern) ON s.condition_text ~ rule.pattern
JOIN directory_cancertype ct ON ct.slug = rule.slug
"""

SEEN_TABLE = "CREATE TEMP TABLE IF NOT EXISTS trials_seen (nct_id text PRIMARY KEY); TRUNCATE trials_seen"
# A study leaving the file or coming back changes TrialQuerySet.recruiting: its sites' copy follows.
MARK_LEFT = """
WITH gone AS (
    UPDATE trials_trial SET in_source = false, left_source_at = now(), updated_at = now()
    WHERE in_source AND NOT EXISTS (SELECT 1 FROM trials_seen seen WHERE seen.nct_id = trials_trial.nct_id)
    RETURNING id
), sites AS (
    UPDATE trials_site SET trial_recruiting = false WHERE trial_recruiting AND trial_id IN (SELECT id FROM gone)
)
SELECT count(*) FROM gone
"""
MARK_BACK = """
WITH back AS (
    UPDATE trials_trial SET in_source = true, left_source_at = NULL, updated_at = now()
    WHERE NOT in_source AND nct_id IN (SELECT nct_id FROM trials_seen)
    RETURNING id, status
)
UPDATE trials_site SET trial_recruiting = true
FROM back WHERE back.status = %(recruiting)s AND trials_site.trial_id = back.id
"""


@dataclass
class BatchResult:
    kept: list[str]  # NCT ids written
    created: int
    updated: int
    rejects: list[tuple[int, str]]  # (index in the batch, reason)


def prepare(cursor) -> None:
    """This session's staging tables, and the ZIP centroids the directory reads (apps.directory.geo)."""
    cursor.execute(SESSION_TABLES)
    cursor.execute("SELECT EXISTS (SELECT 1 FROM trials_zip_centroid)")
    if not cursor.fetchone()[0]:
        table = "".join(f"{zip_code}\t{lat}\t{lng}\n" for zip_code, (lat, lng, _, _) in zip_places().items())
        cursor.copy_expert("COPY trials_zip_centroid (zip, latitude, longitude) FROM STDIN", io.StringIO(table))


def write_batch(cursor, documents: list[tuple[str, bytes]]) -> BatchResult:
    """Write (checksum, JSON bytes) documents; the caller holds the transaction."""
    # An import batch that a crash loses is written again by the next run (its checksum was lost with it):
    # no need to wait for each commit's WAL flush.
    cursor.execute("SET LOCAL synchronous_commit = off")
    cursor.execute("TRUNCATE trials_stage_raw, trials_stage, trials_info, trials_batch")
    parts = []
    for n, (key, data) in enumerate(documents):
        parts += (b"%d\x02%s\x02\x01" % (n, key.encode()), data, b"\x01\n")
    framed = b"".join(parts)
    try:
        with transaction.atomic():
            cursor.copy_expert(COPY_PARSED, io.BytesIO(framed))
    except psycopg2.DataError:  # a document that is not JSON (COPY raises psycopg2's own): find which, one by one
        cursor.copy_expert(COPY_RAW, io.BytesIO(framed))
        cursor.execute(PARSE_EACH)
    cursor.execute(CLASSIFY, {"interventional": INTERVENTIONAL, "cancer": CANCER})
    cursor.execute(REJECTED)
    rejects = cursor.fetchall()
    cursor.execute(UPSERT)
    flags = [row[0] for row in cursor.fetchall()]
    cursor.execute(CLEAR_CHANGED)
    slugs = list(CANCER_TYPE_PATTERNS)
    cursor.execute(CANCER_TYPES, {"slugs": slugs, "patterns": [CANCER_TYPE_PATTERNS[s] for s in slugs]})
    cursor.execute(SITES_AND_PEOPLE, {"us": US_COUNTRY, "recruiting": RECRUITING})
    cursor.execute("SELECT s.nct_id FROM trials_batch b JOIN trials_info s USING (n)")
    kept = [row[0] for row in cursor.fetchall()]
    created = sum(flags)
    return BatchResult(kept=kept, created=created, updated=len(flags) - created, rejects=rejects)


def mark_seen(cursor, nct_ids, *, full: bool) -> int:
    """Studies seen are in the source; with a full file, the others left it. Returns how many left."""
    cursor.execute(SEEN_TABLE)
    cursor.copy_expert("COPY trials_seen (nct_id) FROM STDIN", io.StringIO("".join(f"{i}\n" for i in sorted(nct_ids))))
    cursor.execute(MARK_BACK, {"recruiting": RECRUITING})
    if not full:
        return 0
    cursor.execute(MARK_LEFT)
    return cursor.fetchone()[0]
