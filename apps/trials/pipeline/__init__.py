"""The ClinicalTrials.gov import, one module a step:

    read    the study documents of a bulk zip (streamed member by member), a directory or a search
            response, each with a checksum; unchanged studies are skipped before they are read
    write   a batch of documents COPYed as they are into a temporary table, parsed once by PostgreSQL
            (jsonb), and written to the trials tables in set-based SQL (upsert, replace sites and people,
            cancer types, ZIP centroids as a join); then the studies that left the file are marked

Python only frames bytes: every field is read in SQL, so no row of a site goes through Python. The public
entry point is apps.trials.services.trials_import.
"""
