-- The map grid cells of a point, one per level of CELL_LEVELS (apps/directory/search.py, which computes the
-- cells of a search circle the same way): base + row * row_width + column, where row and column count
-- cells of 1 / per_degree degrees from the south pole and from the antimeridian.
CREATE OR REPLACE FUNCTION directory_geo_cells(latitude double precision, longitude double precision)
RETURNS integer[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN ARRAY[
  {{CELL_1_BASE}} + floor((latitude + 90) * {{CELL_1_PER_DEGREE}})::integer * {{CELL_1_ROW_WIDTH}}
    + floor((longitude + 180) * {{CELL_1_PER_DEGREE}})::integer,
  {{CELL_2_BASE}} + floor((latitude + 90) * {{CELL_2_PER_DEGREE}})::integer * {{CELL_2_ROW_WIDTH}}
    + floor((longitude + 180) * {{CELL_2_PER_DEGREE}})::integer,
  {{CELL_3_BASE}} + floor((latitude + 90) * {{CELL_3_PER_DEGREE}})::integer * {{CELL_3_ROW_WIDTH}}
    + floor((longitude + 180) * {{CELL_3_PER_DEGREE}})::integer
];
