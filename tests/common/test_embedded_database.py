"""The embedded PostgreSQL fallback: started when DATABASE_URL is unset, stopped when its last user exits."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]

START_AND_WAIT = """
import sys, time
from pathlib import Path
from oncodir.database import embedded_database
config = embedded_database(Path(sys.argv[1]))
import psycopg2
with psycopg2.connect(dbname=config["NAME"], user=config["USER"], host=config["HOST"], port=config["PORT"]) as conn:
    with conn.cursor() as cur:
        cur.execute("SELECT current_database()")
        print(cur.fetchone()[0], flush=True)
time.sleep(60)
"""


def _postmasters(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(attrs=["name", "cmdline"]):
        if proc.info["name"] == "postgres" and str(data_dir) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


def test_embedded_server_serves_the_app_database_and_stops_on_sigterm(tmp_path):
    # given no DATABASE_URL / when a process asks for the database / then an embedded server answers
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    child = subprocess.Popen(
        [sys.executable, "-c", START_AND_WAIT, str(tmp_path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "oncodir"
        assert (tmp_path / "var" / "pgdata" / "PG_VERSION").exists()
        assert _postmasters(tmp_path)

        # when the process is terminated / then the server it started stops with it
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
        deadline = time.monotonic() + 20
        while _postmasters(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _postmasters(tmp_path) == []
    finally:
        if child.poll() is None:
            child.kill()
        for proc in _postmasters(tmp_path):
            proc.kill()
