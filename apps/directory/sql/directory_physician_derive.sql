-- A physician row derives its own search columns (names, search document and its words) on every write,
-- and keeps those derived from related rows unless a refresh (oncodir.refreshing) writes them.
CREATE OR REPLACE FUNCTION directory_physician_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('oncodir.refreshing', true), '') = 'on' THEN
    NULL;  -- directory_refresh_physicians(), or a bulk writer that derived the columns as it does
  ELSIF TG_OP = 'INSERT' THEN
    -- No related rows can exist yet: start from empty, whatever the writer sent.
    NEW.location_text := '';
    NEW.institution_text := '';
    NEW.accepting_new_patients := NULL;  -- not known
    NEW.certified_until := NULL;
    NEW.specialty_ids := '{}';
    NEW.cancer_type_ids := '{}';
    NEW.insurance_plan_ids := '{}';
    NEW.geo_cells := '{}';
    NEW.accepting_geo_cells := '{}';
  ELSE
    -- Only the refresh may change what is derived from related rows.
    NEW.location_text := OLD.location_text;
    NEW.institution_text := OLD.institution_text;
    NEW.accepting_new_patients := OLD.accepting_new_patients;
    NEW.certified_until := OLD.certified_until;
    NEW.specialty_ids := OLD.specialty_ids;
    NEW.cancer_type_ids := OLD.cancer_type_ids;
    NEW.insurance_plan_ids := OLD.insurance_plan_ids;
    NEW.geo_cells := OLD.geo_cells;
    NEW.accepting_geo_cells := OLD.accepting_geo_cells;
  END IF;
  NEW.search_names := directory_normalize(
    concat_ws(' ', NEW.first_name, NEW.middle_name, NEW.last_name, NEW.name_suffix));
  NEW.search_document := concat_ws(' ', NULLIF(NEW.search_names, ''), NULLIF(NEW.location_text, ''),
                                   NULLIF(NEW.institution_text, ''));
  NEW.search_vector := array_to_tsvector(array_remove(string_to_array(NEW.search_document, ' '), ''));
  RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER physician_derive BEFORE INSERT OR UPDATE ON directory_physician
  FOR EACH ROW EXECUTE FUNCTION directory_physician_derive();
