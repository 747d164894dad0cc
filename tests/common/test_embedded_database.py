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


def test_a_holder_killed_outright_does_not_keep_the_server_running(tmp_path):
    # given two processes holding the embedded server (started one after the other, as runserver's
    # reloader starts its child), the second then killed without a chance to clean up (as the reloader
    # kills its child when it is told to stop)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    holders = []
    try:
        for _ in range(2):
            holder = subprocess.Popen(
                [sys.executable, "-c", START_AND_WAIT, str(tmp_path)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            holders.append(holder)
            assert holder.stdout.readline().strip() == "oncodir"
        holders[1].kill()
        holders[1].wait(timeout=30)

        # when the other one is terminated / then the server stops all the same
        holders[0].send_signal(signal.SIGTERM)
        holders[0].wait(timeout=30)
        deadline = time.monotonic() + 20
        while _postmasters(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _postmasters(tmp_path) == []
    finally:
        for holder in holders:
            if holder.poll() is None:
                holder.kill()
        for proc in _postmasters(tmp_path):
            proc.kill()
