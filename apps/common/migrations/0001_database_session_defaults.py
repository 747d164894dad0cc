from django.db import migrations

# Session settings every connection to the database gets, set on the database itself rather than sent by the
# app when it connects: a transaction-pooling PgBouncer refuses the `options` startup parameter and hands
# each transaction whichever server session is free, so a SET from the app would not stay with it.
# - jit off: JIT compilation pays off for long analytical queries; for the directory's short searches its
#   compile time is pure latency (combined search p95 118 -> 91 ms at 1,000,000 physicians with it off).
# - no parallel workers: starting them costs more than they save at the directory's size, and takes cores
#   from the other requests (API bench, 100,000 physicians: specialty + ZIP 42 -> 87 requests/s without).
# - UTC: what Django sets (USE_TZ), so it need not send SET TIME ZONE on each new connection.
DEFAULTS = {"jit": "off", "max_parallel_workers_per_gather": "0", "timezone": "UTC"}


def _alter_database(statement: str) -> str:
    # ALTER DATABASE takes a name, not an expression: the migrated database's, whatever it is called.
    return f"DO $$ BEGIN EXECUTE format('ALTER DATABASE %I {statement}', current_database()); END $$;"


class Migration(migrations.Migration):
    operations = [
        migrations.RunSQL(
            [_alter_database(f"SET {name} = {value}") for name, value in DEFAULTS.items()],
            [_alter_database(f"RESET {name}") for name in DEFAULTS],
        )
    ]
