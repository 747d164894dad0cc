-- The one derivation of the search columns a physician gets from its related rows: what its practice
-- locations (and the insurance plans they take), affiliations, board certifications, specialties and cancer
-- types give each physician of
-- `ids` (every one gets a row; the empty values when it has no related rows). directory_refresh_physicians()
-- writes all of it (seed_demo, the NPPES import); each related table's triggers write the columns that
-- table feeds (directory_refresh_locations() and the like). Each related table is aggregated once for
-- all the physicians (hash joins for many ids, index scans for a few). An inlined SQL function: a caller
-- that reads some columns reads only the tables they come from (the planner removes the other joins).
CREATE OR REPLACE FUNCTION directory_physician_derived(ids bigint[])
RETURNS TABLE (id bigint, location_text text, accepting_new_patients boolean, geo_cells integer[],
               accepting_geo_cells integer[], institution_text text, certified_until date,
               specialty_ids bigint[], cancer_type_ids bigint[], insurance_plan_ids bigint[])
LANGUAGE sql STABLE AS $$
  WITH c AS (SELECT DISTINCT unnest(ids) AS id),
  places AS (
    SELECT l.physician_id AS id,
           directory_normalize(string_agg(concat_ws(' ', l.name, l.city), ' ' ORDER BY l.id)) AS location_text,
           -- Yes if one location accepts, no if every one is known not to, else not known (NULL).
           CASE WHEN bool_or(l.accepting_new_patients) THEN true
                WHEN bool_and(l.accepting_new_patients IS FALSE) THEN false END AS accepting
      FROM directory_practicelocation l JOIN c ON c.id = l.physician_id
     GROUP BY l.physician_id),
  cells AS (
    SELECT l.physician_id AS id,
           array_agg(DISTINCT cell ORDER BY cell) AS geo_cells,
           array_agg(DISTINCT cell ORDER BY cell) FILTER (WHERE l.accepting_new_patients) AS accepting_geo_cells
      FROM directory_practicelocation l JOIN c ON c.id = l.physician_id,
           unnest(directory_geo_cells(l.latitude, l.longitude)) AS cell
     GROUP BY l.physician_id),
  inst AS (
    SELECT a.physician_id AS id, directory_normalize(string_agg(i.name, ' ' ORDER BY a.id)) AS institution_text
      FROM directory_affiliation a JOIN c ON c.id = a.physician_id
      JOIN directory_institution i ON i.id = a.institution_id
     GROUP BY a.physician_id),
  certs AS (
    SELECT b.physician_id AS id,
           max(coalesce(b.expires_on, DATE '9999-12-31')) FILTER (WHERE b.status = 'certified') AS certified_until
      FROM directory_boardcertification b JOIN c ON c.id = b.physician_id
     GROUP BY b.physician_id),
  specs AS (
    SELECT s.physician_id AS id, array_agg(s.specialty_id ORDER BY s.is_primary DESC, s.specialty_id) AS specialty_ids
      FROM directory_physicianspecialty s JOIN c ON c.id = s.physician_id
     GROUP BY s.physician_id),
  cancers AS (
    SELECT t.physician_id AS id, array_agg(t.cancertype_id ORDER BY t.cancertype_id) AS cancer_type_ids
      FROM directory_physician_cancer_types t JOIN c ON c.id = t.physician_id
     GROUP BY t.physician_id),
  plans AS (
    SELECT l.physician_id AS id, array_agg(DISTINCT a.plan_id ORDER BY a.plan_id) AS insurance_plan_ids
      FROM directory_acceptedplan a JOIN directory_practicelocation l ON l.id = a.location_id
      JOIN c ON c.id = l.physician_id
     GROUP BY l.physician_id)
  SELECT c.id,
           coalesce(places.location_text, ''),
           places.accepting,
           coalesce(cells.geo_cells, '{}'),
           coalesce(cells.accepting_geo_cells, '{}'),
           coalesce(inst.institution_text, ''),
           certs.certified_until,
           coalesce(specs.specialty_ids, '{}'),
           coalesce(cancers.cancer_type_ids, '{}'),
           coalesce(plans.insurance_plan_ids, '{}')
      FROM c
      LEFT JOIN places ON places.id = c.id
      LEFT JOIN cells ON cells.id = c.id
      LEFT JOIN inst ON inst.id = c.id
      LEFT JOIN certs ON certs.id = c.id
      LEFT JOIN specs ON specs.id = c.id
      LEFT JOIN cancers ON cancers.id = c.id
      LEFT JOIN plans ON plans.id = c.id
$$;
