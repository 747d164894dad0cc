# The radius search of /trials/ (TrialQuerySet.recruiting_near) from the sites' side:
# - each site gets the study's `trial_recruiting` and `cancer_type_ids`, written by the import, filled here
#   for the sites already imported;
# - a stored generated `earth_point` (as directory_practicelocation's), not an ORM field;
# - a partial GiST index on it holding only the recruiting US sites of recruiting studies, with the study
#   and its cancer types in the index (INCLUDE), so the search reads nothing else: an index-only scan.

import django.contrib.postgres.fields
from django.db import migrations, models

from apps.trials.rules import RECRUITING, SITE_RECRUITING, US_COUNTRY

STATUSES = ", ".join(f"'{status}'" for status in SITE_RECRUITING)

FORWARD = f"""
ALTER TABLE trials_site ADD COLUMN earth_point earth GENERATED ALWAYS AS (ll_to_earth(latitude, longitude)) STORED;
UPDATE trials_site s
SET trial_recruiting = t.in_source AND t.status = '{RECRUITING}',
    cancer_type_ids = coalesce(
        (SELECT array_agg(c.cancertype_id ORDER BY c.cancertype_id) FROM trials_trial_cancer_types c
         WHERE c.trial_id = s.trial_id), '{{}}')
FROM trials_trial t
WHERE t.id = s.trial_id;
SET CONSTRAINTS ALL IMMEDIATE;  -- the UPDATE's deferred foreign key checks, which CREATE INDEX may not follow
CREATE INDEX trials_site_recruiting_near ON trials_site USING gist (earth_point) INCLUDE (trial_id, cancer_type_ids)
WHERE trial_recruiting AND country = '{US_COUNTRY}' AND status IN ({STATUSES});
"""  # noqa: S608 - constants of rules.py
BACKWARD = """
DROP INDEX IF EXISTS trials_site_recruiting_near;
ALTER TABLE trials_site DROP COLUMN IF EXISTS earth_point;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="site",
            name="cancer_type_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.IntegerField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="trial_recruiting",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
