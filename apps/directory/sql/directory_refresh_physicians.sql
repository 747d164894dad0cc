-- Write what directory_physician_derived() gives the physicians `ids` into every derived column of their
-- rows, writing only the rows that change: for the writers that skip the related tables' triggers
-- (oncodir.bulk_load: seed_demo, the NPPES import) and refresh each batch once. oncodir.refreshing tells
-- directory_physician_derive() that these values may be written.
CREATE OR REPLACE FUNCTION directory_refresh_physicians(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('oncodir.refreshing', 'on', true);
  -- EXECUTE: every call is planned for its own array (a cached generic plan would assume ten ids).
  EXECUTE $sql$
    UPDATE directory_physician p
       SET (location_text, accepting_new_patients, geo_cells, accepting_geo_cells, institution_text,
            certified_until, specialty_ids, cancer_type_ids, insurance_plan_ids)
         = (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells, d.institution_text,
            d.certified_until, d.specialty_ids, d.cancer_type_ids, d.insurance_plan_ids)
      FROM directory_physician_derived($1) d
     WHERE p.id = d.id
       AND (p.location_text, p.accepting_new_patients, p.geo_cells, p.accepting_geo_cells, p.institution_text,
            p.certified_until, p.specialty_ids, p.cancer_type_ids, p.insurance_plan_ids)
           IS DISTINCT FROM
           (d.location_text, d.accepting_new_patients, d.geo_cells, d.accepting_geo_cells, d.institution_text,
            d.certified_until, d.specialty_ids, d.cancer_type_ids, d.insurance_plan_ids)
  $sql$ USING ids;
  PERFORM set_config('oncodir.refreshing', 'off', true);
END $$;
