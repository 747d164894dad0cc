"""The access log and the referral timeline are append-only: the database itself refuses UPDATE and DELETE.

TRUNCATE (statement level, used by test teardown and disaster recovery) is left to the database owner.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION referrals_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

TABLES = ["referrals_accesslog", "referrals_referralevent"]


def create_sql():
    statements = [FUNCTION]
    for table in TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION referrals_refuse_change();"
        )
    return "\n".join(statements)


def drop_sql():
    statements = [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES]
    statements.append("DROP FUNCTION IF EXISTS referrals_refuse_change();")
    return "\n".join(statements)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]

    operations = [migrations.RunSQL(create_sql(), drop_sql())]
