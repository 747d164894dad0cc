"""Load test of the whole stack, with Locust, optionally with a fault injected part-way (issue 23's acceptance).

    .venv/bin/python bench/load_test.py                          # 10 minutes, 32 users, no fault
    .venv/bin/python bench/load_test.py --minutes 1 --users 8    # smoke run
    .venv/bin/python bench/load_test.py --minutes 5 --fault pg-restart   # or redis-stop, kill-worker

Everything runs on loopback, in a temporary directory, and is stopped and removed at the end:
- its own PostgreSQL 15 cluster (initdb; as the `postgres` OS user when run as root), so that it can be
  restarted without touching the shared server. The data (`manage.py migrate` + `seed_demo --physicians N`,
  100,000 by default: the capacity bench's size) is built once into a template cluster under the system's temp
  directory, keyed by N and the migrations, and copied for each run;
- its own redis-server (CACHE_URL), an SMTP sink (bench/smtp_sink.py, aiosmtpd; EMAIL_URL) that logs every
  message's Message-ID, gunicorn (gunicorn.conf.py, 3 sync workers as the image runs it) and the job workers
  (`manage.py qcluster`; skipped, with a note, while the app has no such command), all from the project's .venv
  with production settings as far as loopback allows: DEBUG off, a real secret key, Redis as the cache, JSON
  logs, the metrics' directory; no HTTPS redirect (no TLS proxy), hosts 127.0.0.1 and localhost. The API's rate
  limits stay on, but at 1,000,000 a second (API_THROTTLE_ANON/USER): every simulated user comes from
  127.0.0.1, and 32 of them would otherwise be refused with 429;
- Locust, headless and bounded (--run-time), from its own venv bench/.venv-load (bench/requirements-load.txt,
  installed here on first use: gevent stays out of the app's venv), with bench/locustfile.py's user mix.

Meanwhile it samples each process's memory (/proc, every 30 s), /healthz/ready every second, and the load
average. It prints per request type the count, failures, p50 and p95; each process's RSS at minute 2 and at the
end; what the fault did; a verdict per acceptance line; and writes it all as JSON to var/bench/.

Faults, at --fault-at minutes (3 by default):
- pg-restart: `pg_ctl stop -m fast`, 15 s down, `pg_ctl start`. Responses while it is down (by status, and how
  fast), seconds from its return to each request type's first 2xx, and afterwards the referrals checked against
  what the clients saw: none half-applied.
- redis-stop: redis-server stopped for 60 s, then started again: the site must keep serving.
- kill-worker: the SMTP sink made slow (it waits before answering a message's DATA), the job worker process that
  is sending an email SIGKILLed mid-send; afterwards each notification's Message-ID must have been delivered
  exactly once, none missing.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
LOAD_VENV = BENCH / ".venv-load"
REQUIREMENTS = BENCH / "requirements-load.txt"
OUT = ROOT / "var" / "bench"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
REDIS_SERVER = "/usr/bin/redis-server"
HOST = "127.0.0.1"
DATABASE = "oncodir"
RATE = "1000000/second"  # the API's limits: on, never reached (see the docstring)
GUNICORN_WORKERS = 3  # as the image's CMD
SAMPLE_SECONDS = 30
RSS_LIMIT = 0.10  # growth between minute 2 and the end
PG_DOWN_SECONDS = 15
REDIS_DOWN_SECONDS = 60
RECOVERY_SECONDS = 10
SLOW_SMTP_SECONDS = 8
DRAIN_SECONDS = 180  # after the run: the outbox's sweep runs every minute
SECRET = "load-test-only-secret-key-not-for-any-deployment-0123456789"  # noqa: S105


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_for_port(port: int, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not listen on {HOST}:{port} within {seconds:.0f} s")


def ensure_load_venv() -> Path:
    """bench/.venv-load with bench/requirements-load.txt, (re)installed when the requirements are newer."""
    stamp = LOAD_VENV / ".installed"
    if not stamp.exists() or stamp.stat().st_mtime < REQUIREMENTS.stat().st_mtime:
        log(f"installing {REQUIREMENTS.name} into {LOAD_VENV.relative_to(ROOT)} ...")
        subprocess.run(["python3", "-m", "venv", str(LOAD_VENV)], check=True)
        subprocess.run(
            [str(LOAD_VENV / "bin" / "pip"), "install", "--quiet", "-r", str(REQUIREMENTS)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        stamp.touch()
    return LOAD_VENV / "bin"


# -- PostgreSQL ------------------------------------------------------------------------------------


class Postgres:
    """A cluster in `data`, run as the `postgres` OS user when this process is root (PostgreSQL refuses root)."""

    def __init__(self, data: Path, port: int, logfile: Path):
        self.data, self.port, self.logfile = data, port, logfile
        self.user = pwd.getpwnam("postgres") if os.geteuid() == 0 else None

    def chown(self, path: Path) -> None:
        if self.user:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / program), *args]
        if self.user:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if check and done.returncode:
            raise SystemExit(f"{program} failed: {done.stdout}{done.stderr}")
        return done

    def initdb(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8")

    def configure(self) -> None:
        """Port and socket of this run (a copied template keeps the settings it was built with, then these)."""
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '{HOST}'\nunix_socket_directories = '{self.data}'\n"
                "max_connections = 100\nlogging_collector = off\n"
            )

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def postmaster(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int((self.data / "postmaster.pid").read_text().splitlines()[0])
        return None

    def url(self, database: str = DATABASE) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{database}"

    def psql(self, sql: str, database: str = DATABASE) -> str:
        done = subprocess.run(
            ["psql", self.url(database), "-v", "ON_ERROR_STOP=1", "-qtAc", sql], capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"psql failed: {done.stderr}")
        return done.stdout


def data_key(physicians: int) -> str:
    """The template cluster's name: the data size and the code that seeds it. A migration added since it was built
    is applied to each run's copy (`migrate`, before the run): it does not need a new template."""
    digest = hashlib.sha256(str(physicians).encode())
    files = [*ROOT.glob("apps/*/demo.py"), *ROOT.glob("apps/demo/**/*.py")]
    for path in sorted(files):
        digest.update(path.relative_to(ROOT).as_posix().encode() + path.read_bytes())
    return f"oncodir-load-data-{physicians}-{digest.hexdigest()[:12]}"


def app_env(pg: Postgres, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "API_THROTTLE"))}
    env.update(
        DJANGO_SETTINGS_MODULE="oncodir.settings",
        DATABASE_URL=pg.url(),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_ALLOWED_HOSTS=f"{HOST},localhost",
        DJANGO_LOG_FORMAT="json",
        DJANGO_LOG_LEVEL="INFO",
        API_THROTTLE_ANON=RATE,
        API_THROTTLE_USER=RATE,
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args[:2])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def ensure_template(physicians: int, fresh: bool) -> Path:
    """The data cluster, built once (migrate + seed_demo) and kept stopped under the temp directory."""
    template = Path(tempfile.gettempdir()) / data_key(physicians)
    if fresh:
        shutil.rmtree(template, ignore_errors=True)
    if (template / "pgdata" / "READY").exists():
        return template / "pgdata"
    shutil.rmtree(template, ignore_errors=True)
    template.mkdir(mode=0o755)
    pg = Postgres(template / "pgdata", free_port(), template / "build.log")
    pg.chown(template)
    log(f"building the data: migrate + seed_demo --physicians {physicians:,} into {template} (once) ...")
    started = time.monotonic()
    pg.initdb()
    pg.configure()
    pg.start()
    try:
        pg.psql(f"CREATE DATABASE {DATABASE}", "postgres")
        env = app_env(pg)
        manage(env, "migrate", "--noinput")
        manage({**env, "DJANGO_DEBUG": "true"}, "seed_demo", "--physicians", str(physicians))
        pg.psql("VACUUM ANALYZE")
    finally:
        pg.stop()
    (template / "pgdata" / "READY").write_text(f"{physicians}\n")
    log(f"data built in {time.monotonic() - started:.0f} s")
    return template / "pgdata"


# -- the fixtures the users need --------------------------------------------------------------------

FIXTURES_CODE = """
import json, random
from rest_framework.authtoken.models import Token
from apps.accounts.models import Role, User
from apps.directory.models import CancerType, Physician, PracticeLocation

rng = random.Random(7)
out = {"gps": [], "oncologists": []}
for number in range(GPS):
    user, _ = User.objects.get_or_create(
        email=f"load-gp-{number}@oncodir.example",
        defaults={"full_name": f"Load GP {number}", "role": Role.GP},
    )
    Token.objects.filter(user=user).delete()
    out["gps"].append({"email": user.email, "token": Token.objects.create(user=user).key})
free = Physician.objects.active().filter(account__isnull=True, locations__isnull=False).distinct().order_by("pk")
for number, physician in enumerate(free[:ONCOLOGISTS]):
    user, _ = User.objects.get_or_create(
        email=f"load-oncologist-{number}@oncodir.example",
        defaults={"full_name": f"Load Oncologist {number}", "role": Role.ONCOLOGIST, "physician": physician},
    )
    Token.objects.filter(user=user).delete()
    out["oncologists"].append({"email": user.email, "npi": user.physician.npi, "token": Token.objects.create(user=user).key})
ids = list(Physician.objects.active().values_list("pk", flat=True))
sample = Physician.objects.filter(pk__in=rng.sample(ids, min(400, len(ids))))
out["physicians"] = [{"npi": p.npi, "last_name": p.last_name, "url": p.get_absolute_url()} for p in sample]
zips = sorted({z[:5] for z in PracticeLocation.objects.values_list("zip_code", flat=True)[:20000] if z})
out["zips"] = rng.sample(zips, min(200, len(zips)))
out["cancer_types"] = list(CancerType.objects.order_by("slug").values_list("slug", flat=True))
out["specialties"] = ["medical-oncology", "hematology-oncology", "radiation-oncology"]
print("FIXTURES " + json.dumps(out))
"""


def fixtures(env: dict[str, str], gps: int, oncologists: int, path: Path) -> dict:
    code = f"GPS = {gps}\nONCOLOGISTS = {oncologists}\n{FIXTURES_CODE}"
    line = [x for x in manage(env, "shell", "-c", code).splitlines() if x.startswith("FIXTURES ")][-1]
    data = json.loads(line.removeprefix("FIXTURES "))
    path.write_text(json.dumps(data))
    return data


# -- processes ---------------------------------------------------------------------------------------


def stop_process(process: subprocess.Popen | None, seconds: float = 20) -> None:
    """SIGTERM the process's group (it was started in a session of its own), SIGKILL it after `seconds`."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):
                found += [int(x) for x in (task / "children").read_text().split()]
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo += children(current)
    return out


def status_kb(pid: int) -> dict[str, int]:
    values = {}
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                values[key] = int(value.split()[0])
    return values


def cmdline(pid: int) -> str:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    return ""


@dataclass
class Stack:
    workdir: Path
    pg: Postgres
    redis_port: int
    smtp_port: int
    http_port: int
    delay_file: Path
    sink_log: Path
    app_log: Path
    redis: subprocess.Popen | None = None
    sink: subprocess.Popen | None = None
    gunicorn: subprocess.Popen | None = None
    jobs: subprocess.Popen | None = None
    jobs_note: str = ""
    env: dict[str, str] = field(default_factory=dict)

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.redis_port), "--bind", HOST, "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")],
            start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.redis_port, 20, "redis-server")

    def start_sink(self, load_bin: Path) -> None:
        self.sink = subprocess.Popen(
            [str(load_bin / "python"), str(BENCH / "smtp_sink.py"), "--port", str(self.smtp_port),
             "--log", str(self.sink_log), "--delay-file", str(self.delay_file)],
            start_new_session=True, stdout=self.app_log.open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_for_port(self.smtp_port, 20, "the SMTP sink")

    def start_gunicorn(self) -> None:
        self.gunicorn = subprocess.Popen(
            [str(GUNICORN), "oncodir.wsgi:application", "-c", str(ROOT / "gunicorn.conf.py"), "--bind",
             f"{HOST}:{self.http_port}", "--workers", str(GUNICORN_WORKERS), "--worker-class", "sync",
             "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=self.app_log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        wait_for_port(self.http_port, 60, "gunicorn")
        deadline = time.monotonic() + 60
        while len(children(self.gunicorn.pid)) < GUNICORN_WORKERS and time.monotonic() < deadline:
            time.sleep(0.2)

    def start_jobs(self, command: str) -> None:
        probe = subprocess.run(
            [str(PYTHON), "manage.py", "help", command.split()[-1]], cwd=ROOT, env=self.env, capture_output=True
        )
        if probe.returncode:
            self.jobs_note = f"no job workers: `manage.py help {command.split()[-1]}` fails (not on this branch yet)"
            log(self.jobs_note)
            return
        self.jobs = subprocess.Popen(
            [str(PYTHON), *command.split()],
            cwd=ROOT, env=self.env, stdout=self.app_log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.jobs_note = f"job workers: `{command}` (pid {self.jobs.pid})"

    def processes(self) -> dict[int, str]:
        """Every process of the stack now, labelled by role."""
        found: dict[int, str] = {}
        if self.gunicorn and self.gunicorn.poll() is None:
            found[self.gunicorn.pid] = "gunicorn master"
            for pid in descendants(self.gunicorn.pid)[1:]:
                found[pid] = "gunicorn worker"
        if self.jobs and self.jobs.poll() is None:
            found[self.jobs.pid] = "job cluster (qcluster)"
            for pid in descendants(self.jobs.pid)[1:]:
                found[pid] = "job process"
        if self.redis and self.redis.poll() is None:
            found[self.redis.pid] = "redis-server"
        if self.sink and self.sink.poll() is None:
            found[self.sink.pid] = "smtp sink"
        postmaster = self.pg.postmaster()
        if postmaster and Path(f"/proc/{postmaster}").exists():
            found[postmaster] = "postgres postmaster"
            for pid in descendants(postmaster)[1:]:
                title = cmdline(pid).removeprefix("postgres: ")
                found[pid] = "postgres backend" if f" {DATABASE} " in f" {title} " else f"postgres {title}"
        return found

    def stop_all(self) -> None:
        for process in (self.gunicorn, self.jobs, self.sink, self.redis):
            stop_process(process)
        self.pg.stop("fast")


# -- samplers -----------------------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Every `every` seconds, call `sample` and keep its result with the time."""

    def __init__(self, every: float, sample):
        super().__init__(daemon=True)
        self.every, self.sample, self.rows = every, sample, []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            started = time.time()
            with contextlib.suppress(Exception):
                self.rows.append((started, self.sample()))
            self.halt.wait(max(0.0, self.every - (time.time() - started)))


def memory_sample(stack: Stack) -> dict:
    return {
        "loadavg": loadavg(),
        "processes": {str(pid): {"label": label, **status_kb(pid)} for pid, label in stack.processes().items()},
    }


def ready_probe(port: int):
    def sample():
        started = time.time()
        connection = http.client.HTTPConnection(HOST, port, timeout=15)
        try:
            connection.request("GET", "/healthz/ready")
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError as error:
            status = f"{error.__class__.__name__}"
        finally:
            connection.close()
        return {"status": status, "ms": round((time.time() - started) * 1000, 1)}

    return sample


# -- faults ----------------------------------------------------------------------------------------------


def fault_pg_restart(stack: Stack) -> dict:
    log(f"FAULT pg-restart: pg_ctl stop -m fast, {PG_DOWN_SECONDS} s down, pg_ctl start")
    events = {"stop_issued": time.time()}
    stack.pg.stop("fast")
    events["down"] = time.time()
    time.sleep(PG_DOWN_SECONDS)
    events["start_issued"] = time.time()
    stack.pg.start()
    events["up"] = time.time()
    log(f"PostgreSQL back after {events['up'] - events['stop_issued']:.1f} s")
    return events


def fault_redis_stop(stack: Stack) -> dict:
    log(f"FAULT redis-stop: redis-server stopped for {REDIS_DOWN_SECONDS} s")
    events = {"stop_issued": time.time()}
    stop_process(stack.redis)
    events["down"] = time.time()
    time.sleep(REDIS_DOWN_SECONDS)
    events["start_issued"] = time.time()
    stack.start_redis()
    events["up"] = time.time()
    log("redis-server back")
    return events


def socket_owner(local_port: int, remote_port: int, candidates: list[int]) -> int | None:
    """The process among `candidates` holding the TCP connection local_port -> remote_port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if int(local.rsplit(":", 1)[1], 16) == local_port and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                    inodes.add(f"socket:[{inode}]")
    for pid in candidates:
        with contextlib.suppress(FileNotFoundError, PermissionError, ProcessLookupError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return pid
    return None


def sink_events(stack: Stack) -> list[dict]:
    if not stack.sink_log.exists():
        return []
    return [json.loads(line) for line in stack.sink_log.read_text().splitlines() if line.strip()]


def fault_kill_worker(stack: Stack) -> dict:
    events: dict = {"stop_issued": time.time()}
    if stack.jobs is None:
        log("FAULT kill-worker: skipped, no job workers run")
        events["skipped"] = stack.jobs_note
        return events
    log(f"FAULT kill-worker: SMTP sink waits {SLOW_SMTP_SECONDS} s before answering; SIGKILL the worker sending")
    stack.delay_file.write_text(str(SLOW_SMTP_SECONDS))
    slowed = time.time()
    deadline = slowed + 120
    try:
        while time.time() < deadline:
            fresh = [e for e in sink_events(stack) if e["event"] == "data" and e["time"] >= slowed]
            for event in fresh:
                pid = socket_owner(event["peer_port"], stack.smtp_port, descendants(stack.jobs.pid))
                if pid is None:
                    continue
                title = cmdline(pid)
                os.kill(pid, signal.SIGKILL)
                events.update(killed_pid=pid, killed_cmdline=title, message_id=event["message_id"], down=time.time())
                log(f"SIGKILL {pid} ({title}) while it sent {event['message_id']}")
                return events
            time.sleep(0.1)
        events["skipped"] = "no email was sent within 120 s of slowing the sink"
        log(events["skipped"])
        return events
    finally:
        time.sleep(1)
        stack.delay_file.write_text("0")
        events["up"] = time.time()


FAULTS = {"pg-restart": fault_pg_restart, "redis-stop": fault_redis_stop, "kill-worker": fault_kill_worker}


# -- analysis ------------------------------------------------------------------------------------------


@dataclass
class Request:
    start: float
    name: str
    status: int
    ms: float
    failed: bool

    @property
    def end(self) -> float:
        return self.start + self.ms / 1000


def read_requests(path: Path) -> list[Request]:
    rows = []
    for line in path.read_text().splitlines():
        start, name, status, ms, failed = line.split("\t")
        rows.append(Request(float(start), name, int(status), float(ms), failed == "1"))
    rows.sort(key=lambda r: r.start)
    return rows


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def request_table(requests: list[Request], expected) -> list[dict]:
    by_name = collections.defaultdict(list)
    for request in requests:
        by_name[request.name].append(request)
    table = []
    for name in sorted(by_name):
        rows = by_name[name]
        ok = [r.ms for r in rows if not r.failed]
        table.append(
            {
                "name": name,
                "count": len(rows),
                "failures": sum(r.failed and not expected(r) for r in rows),
                "expected_503": sum(r.failed and expected(r) for r in rows),
                "p50": percentile(ok, 50),
                "p95": percentile(ok, 95),
            }
        )
    return table


def consistency(stack: Stack, referral_log: Path) -> dict:
    """Every referral the clients saw exists; each load referral's events chain from draft to its status, its
    version counts them; no referral holds a write no client saw succeed."""
    import psycopg2  # the project's venv

    seen: dict[str, dict] = {}
    failed_writes = collections.Counter()
    first_failures: dict[str, str] = {}
    for line in referral_log.read_text().splitlines():
        row = json.loads(line)
        if not row["ok"]:
            failed_writes[f"{row['action']} {row['code']}"] += 1
            first_failures.setdefault(f"{row['action']} {row['code']}", row.get("body", "")[:200])
            continue
        if row["id"] not in seen or row["version"] >= seen[row["id"]]["version"]:
            seen[row["id"]] = row
    link = psycopg2.connect(stack.pg.url())
    try:
        with link.cursor() as cursor:
            cursor.execute(
                "SELECT r.id::text, r.status, r.version FROM referrals_referral r "
                "JOIN accounts_user u ON u.id = r.referring_gp_id WHERE u.email LIKE 'load-gp-%%'"
            )
            referrals = {rid: (status, version) for rid, status, version in cursor.fetchall()}
            cursor.execute(
                "SELECT e.referral_id::text, e.from_status, e.to_status FROM referrals_referralevent e "
                "JOIN referrals_referral r ON r.id = e.referral_id JOIN accounts_user u ON u.id = r.referring_gp_id "
                "WHERE u.email LIKE 'load-gp-%%' ORDER BY e.referral_id, e.created_at, e.id"
            )
            chains = collections.defaultdict(list)
            for rid, source, target in cursor.fetchall():
                chains[rid].append((source, target))
    finally:
        link.close()
    missing = sorted(set(seen) - set(referrals))
    unseen = sorted(set(referrals) - set(seen))
    broken, ahead, behind = [], [], []
    for rid, (status, version) in referrals.items():
        chain = chains.get(rid, [])
        linked = all(source == target for (_, target), (source, _) in zip(chain, chain[1:], strict=False))
        final = chain[-1][1] if chain else "draft"
        if (chain and chain[0][0] != "draft") or not linked or final != status or version != 1 + len(chain):
            broken.append(rid)
        if rid in seen and version > seen[rid]["version"]:
            ahead.append(rid)
        elif rid in seen and version < seen[rid]["version"]:
            behind.append(rid)
    return {
        "referrals_in_db": len(referrals),
        "referrals_seen_by_clients": len(seen),
        "statuses": dict(collections.Counter(status for status, _ in referrals.values())),
        "events_in_db": sum(len(c) for c in chains.values()),
        "failed_writes_reported_to_clients": dict(failed_writes),
        "first_failure_bodies": first_failures,
        "seen_but_missing_in_db": missing,
        "in_db_but_never_seen_created": unseen,
        "broken_event_history": broken,
        "db_ahead_of_what_clients_saw": ahead,
        "db_behind_what_clients_saw": behind,
        "ok": not (missing or unseen or broken or ahead or behind),
    }


NOTIFICATIONS_CODE = """
import json
try:
    from apps.notifications.models import Notification
except ImportError:
    print("NOTIFICATIONS null")
else:
    rows = [{"message_id": n.message_id, "status": n.status, "attempts": n.attempts} for n in Notification.objects.all()]
    print("NOTIFICATIONS " + json.dumps(rows))
"""


def notifications(stack: Stack) -> list[dict] | None:
    line = [x for x in manage(stack.env, "shell", "-c", NOTIFICATIONS_CODE).splitlines() if x.startswith("NOTIF")]
    return json.loads(line[-1].removeprefix("NOTIFICATIONS "))


def drain_outbox(stack: Stack) -> list[dict] | None:
    """The outbox once nothing is pending any more (at most DRAIN_SECONDS)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        rows = notifications(stack)
        pending = [] if rows is None else [r for r in rows if r["status"] == "pending"]
        if not pending or stack.jobs is None or time.monotonic() > deadline:
            return rows
        log(f"waiting for the outbox: {len(pending)} notifications pending")
        time.sleep(10)


def email_check(stack: Stack, outbox: list[dict] | None) -> dict:
    events = sink_events(stack)
    delivered = collections.Counter(e["message_id"] for e in events if e["event"] == "delivered")
    aborted = collections.Counter(e["message_id"] for e in events if e["event"] == "aborted")
    result = {
        "delivered": sum(delivered.values()),
        "distinct_message_ids": len(delivered),
        "aborted_by_client": dict(aborted),
        "duplicates": {m: n for m, n in delivered.items() if n > 1},
    }
    if outbox is None:
        result["outbox"] = "none on this branch: emails are sent in the request; only duplicates are checked"
        result["ok"] = not result["duplicates"]
        return result
    expected = {row["message_id"] for row in outbox}
    result.update(
        notifications=len(outbox),
        statuses=dict(collections.Counter(row["status"] for row in outbox)),
        missing=sorted(expected - set(delivered)),
        unknown=sorted(set(delivered) - expected),
        sent_twice_or_more=sorted(m for m in expected if delivered[m] > 1),
    )
    result["ok"] = not (result["missing"] or result["unknown"] or result["duplicates"])
    return result


def memory_table(samples: list, started: float, finished: float) -> tuple[list[dict], float]:
    """Each process present at the baseline (minute 2, or a fifth of a shorter run) and at the last sample."""
    baseline_at = started + min(120.0, (finished - started) / 5)
    first = min(samples, key=lambda s: abs(s[0] - baseline_at))
    last = max(samples, key=lambda s: s[0])
    rows = []
    for pid, before in first[1]["processes"].items():
        after = last[1]["processes"].get(pid)
        if not after or after["label"] != before["label"] or "VmRSS" not in before or "VmRSS" not in after:
            continue
        postgres = before["label"].startswith("postgres")
        # A PostgreSQL process's RSS counts the shared buffers it has touched (RssShmem): judge its own memory.
        own = (lambda s: s.get("RssAnon", 0) + s.get("RssFile", 0)) if postgres else (lambda s: s["VmRSS"])
        rows.append(
            {
                "pid": int(pid),
                "label": before["label"],
                "rss_before_mb": before["VmRSS"] / 1024,
                "rss_after_mb": after["VmRSS"] / 1024,
                "judged": "RSS without shared memory" if postgres else "RSS",
                "judged_before_mb": own(before) / 1024,
                "judged_after_mb": own(after) / 1024,
                "growth": (own(after) - own(before)) / max(own(before), 1),
            }
        )
    rows.sort(key=lambda r: (r["label"], r["pid"]))
    return rows, first[0] - started


# -- the run ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--fault", choices=["none", *FAULTS], default="none")
    parser.add_argument("--fault-at", type=float, default=3.0, help="Minutes into the run (default 3).")
    parser.add_argument("--physicians", type=int, default=100_000, help="Directory size (default 100,000).")
    parser.add_argument("--fresh-data", action="store_true", help="Rebuild the data template.")
    parser.add_argument(
        "--jobs-command", default="manage.py qcluster", help="The job workers (default: manage.py qcluster)."
    )
    args = parser.parse_args(argv)
    if not 0 < args.minutes <= 60 or args.users < 1:
        parser.error("--minutes must be in (0, 60] and --users at least 1")

    load_bin = ensure_load_venv()
    template = ensure_template(args.physicians, args.fresh_data)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = Path(tempfile.mkdtemp(prefix="oncodir-load-"))
    os.chmod(workdir, 0o755)  # noqa: S103 (the postgres user reaches its data directory through it)
    pg = Postgres(workdir / "pgdata", free_port(), workdir / "postgres.log")
    stack = Stack(
        workdir=workdir, pg=pg, redis_port=free_port(), smtp_port=free_port(), http_port=free_port(),
        delay_file=workdir / "smtp-delay", sink_log=workdir / "smtp-sink.jsonl", app_log=workdir / "app.log",
    )  # fmt: skip
    gps = max(1, args.users * 3 // 16)
    oncologists = max(1, args.users // 8)
    files = {name: workdir / name for name in ("fixtures.json", "requests.tsv", "referrals.jsonl")}
    result: dict = {"started": stamp, "args": vars(args), "machine": {"cpus": os.cpu_count()}}
    samplers: list[Sampler] = []
    locust = None
    try:
        log(f"cluster copied from {template.parent.name}; temp dir {workdir}")
        subprocess.run(["cp", "-a", str(template), str(pg.data)], check=True)  # keeps the postgres owner
        (workdir / "postgres.log").touch()
        pg.chown(workdir / "postgres.log")
        pg.configure()
        pg.start()
        stack.start_redis()
        stack.start_sink(load_bin)
        (workdir / "metrics").mkdir()
        (workdir / "private").mkdir()
        stack.env = app_env(
            pg,
            CACHE_URL=f"redis://{HOST}:{stack.redis_port}/0",
            EMAIL_URL=f"smtp://{HOST}:{stack.smtp_port}",
            PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"),
            PRIVATE_MEDIA_ROOT=str(workdir / "private"),
            SITE_URL=f"http://{HOST}:{stack.http_port}",
        )
        manage(stack.env, "migrate", "--noinput")  # nothing to do unless the template predates a migration
        manage(stack.env, "collectstatic", "--noinput")  # DEBUG off: pages name the hashed copies
        data = fixtures(stack.env, gps, oncologists, files["fixtures.json"])
        pg.psql("CHECKPOINT")  # the copy's first checkpoint before the load, as on a server that has run a while
        physicians = pg.psql("SELECT count(*) FROM directory_physician").strip()
        db_size = pg.psql(f"SELECT pg_size_pretty(pg_database_size('{DATABASE}'))").strip()
        result["data"] = {
            "physicians": int(physicians),
            "database_size": db_size,
            "sample_profiles": len(data["physicians"]),
        }
        stack.start_gunicorn()
        stack.start_jobs(args.jobs_command)
        result["jobs"] = stack.jobs_note
        for name in ("requests.tsv", "referrals.jsonl"):
            files[name].touch()

        seconds = round(args.minutes * 60)
        command = [
            str(load_bin / "locust"), "-f", str(BENCH / "locustfile.py"), "--headless", "--users", str(args.users),
            "--spawn-rate", str(max(1, args.users // 8)), "--run-time", f"{seconds}s", "--stop-timeout", "30",
            "--host", f"http://{HOST}:{stack.http_port}", "--csv", str(OUT / f"load-{stamp}"), "--only-summary",
            "--loglevel", "WARNING",
        ]  # fmt: skip
        locust_env = {
            **os.environ,
            "LOAD_FIXTURES": str(files["fixtures.json"]),
            "LOAD_REQUEST_LOG": str(files["requests.tsv"]),
            "LOAD_REFERRAL_LOG": str(files["referrals.jsonl"]),
            "LOAD_GP_USERS": str(gps),
            "LOAD_ONCOLOGIST_USERS": str(oncologists),
        }
        result["load_before"] = loadavg()
        log(
            f"{args.users} users ({gps} GPs, {oncologists} oncologists, {args.users - gps - oncologists} patients) "
            f"for {args.minutes:g} min against gunicorn {HOST}:{stack.http_port}; fault: {args.fault}; "
            f"load average {result['load_before']}"
        )
        memory = Sampler(SAMPLE_SECONDS, lambda: memory_sample(stack))
        probe = Sampler(1.0, ready_probe(stack.http_port))
        samplers = [memory, probe]
        started = time.time()
        locust = subprocess.Popen(
            command, cwd=ROOT, env=locust_env, stdout=(workdir / "locust.log").open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        for sampler in samplers:
            sampler.start()
        fault: dict = {}
        if args.fault != "none":
            time.sleep(max(0.0, started + args.fault_at * 60 - time.time()))
            if locust.poll() is None:
                fault = FAULTS[args.fault](stack)
        locust.wait(timeout=seconds + 120)
        finished = time.time()
        time.sleep(min(SAMPLE_SECONDS, 5))
        for sampler in samplers:
            sampler.halt.set()
        memory.rows.append((time.time(), memory_sample(stack)))
        result["load_after"] = loadavg()
        if locust.returncode not in (0, 1):
            print((workdir / "locust.log").read_text()[-3000:])
            raise SystemExit(f"locust exited with {locust.returncode}")

        requests = read_requests(files["requests.tsv"])
        window = None
        if args.fault == "pg-restart" and fault:
            window = (fault["stop_issued"], fault["up"] + RECOVERY_SECONDS)

        def expected(r: Request) -> bool:
            return window is not None and r.status == 503 and window[0] - 1 <= r.start <= window[1]

        table = request_table(requests, expected)
        mem_rows, baseline_at = memory_table(memory.rows, started, finished)
        outbox = drain_outbox(stack)
        emails = email_check(stack, outbox)
        referrals = consistency(stack, files["referrals.jsonl"])
        result.update(
            seconds=finished - started,
            requests=table,
            memory={"baseline_at_s": baseline_at, "rows": mem_rows},
            emails=emails,
            referrals=referrals,
            fault=fault,
            ready_probe=[{"t": t - started, **row} for t, row in probe.rows],
            load_samples=[(t - started, row["loadavg"]) for t, row in memory.rows],
        )
        if args.fault == "redis-stop" and fault:  # the processes' own word that they fell back, and came back
            text = stack.app_log.read_text(errors="replace")
            fault["app_log_fallback"] = (
                f"{text.count('Redis cache unavailable')} 'Redis cache unavailable' warnings (one per process that "
                f"fell back to its memory), {text.count('Redis cache available again')} 'available again'"
            )
        if fault.get("message_id"):  # kill-worker: what the sink saw of the email being sent when it was killed
            fault["sink_events"] = [
                f"{e['event']} at {e['time'] - fault['down']:+.1f} s (client port {e['peer_port']})"
                for e in sink_events(stack)
                if e["message_id"] == fault["message_id"]
            ]
            fault["outbox_attempts"] = [r["attempts"] for r in outbox or [] if r["message_id"] == fault["message_id"]]
        if fault and "up" in fault:
            result["fault_report"] = fault_report(args.fault, fault, requests, probe.rows, started)
        report(result, args)
        out = OUT / f"load-{stamp}-{args.fault}.json"
        out.write_text(json.dumps(result, indent=1, default=str))
        print(f"\nJSON: {out.relative_to(ROOT)}; Locust CSV: var/bench/load-{stamp}_stats.csv; "
              f"logs in {workdir} (removed unless LOAD_KEEP_WORKDIR is set)")  # fmt: skip
        return 0 if all(v["ok"] for v in result["verdicts"]) else 1
    finally:
        for sampler in samplers:
            sampler.halt.set()
        stop_process(locust)
        stack.stop_all()
        if os.environ.get("LOAD_KEEP_WORKDIR"):
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def fault_report(kind: str, fault: dict, requests: list[Request], probes: list, started: float) -> dict:
    down, up = fault["stop_issued"], fault["up"]
    during = [r for r in requests if down <= r.start < up]
    statuses = collections.Counter(r.status for r in during)
    by_status = {
        str(status): {
            "count": count,
            "p50_ms": percentile([r.ms for r in during if r.status == status], 50),
            "p95_ms": percentile([r.ms for r in during if r.status == status], 95),
            "max_ms": max(r.ms for r in during if r.status == status),
        }
        for status, count in sorted(statuses.items())
    }
    recovery = {}
    for name in sorted({r.name for r in requests}):
        after = [r for r in requests if r.name == name and r.start >= up]
        first_ok = next((r for r in after if not r.failed), None)
        failures_after = [r for r in after if r.failed]
        recovery[name] = {
            "first_2xx_s": None if first_ok is None else first_ok.end - up,
            "last_failure_s": None if not failures_after else failures_after[-1].start - up,
            "failures_after": len(failures_after),
        }
    ready = [(t - started, row["status"]) for t, row in probes if down - 2 <= t <= up + RECOVERY_SECONDS + 5]
    return {
        "kind": kind,
        "down_at_s": down - started,
        "outage_s": up - down,
        "responses_during": by_status,
        "recovery": recovery,
        "ready_probe": ready,
        **{k: v for k, v in fault.items() if k not in ("stop_issued", "down", "start_issued", "up")},
    }


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None or value != value else format(value, spec)


def report(result: dict, args) -> None:
    fault = result.get("fault_report")
    data = result["data"]
    print(
        f"\n== OncoDir load test {result['started']}: {args.users} users, {result['seconds'] / 60:.1f} min, "
        f"fault {args.fault}\n"
        f"data: {data['physicians']:,} physicians (seed_demo), database {data['database_size']}; "
        f"gunicorn {GUNICORN_WORKERS} sync workers; {result['jobs']}; API limits {RATE} (never reached)\n"
        f"machine: {os.cpu_count()} CPUs shared with the load generator and other users; load average "
        f"{result['load_before']} before, {result['load_after']} after, highest 1-min sample "
        f"{max(float(x[1].split()[0]) for x in result['load_samples']):.2f}"
    )
    print(f"\n{'request type':32} {'count':>7} {'fail':>5} {'503 exp':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for row in result["requests"]:
        print(
            f"{row['name']:32} {row['count']:7} {row['failures']:5} {row['expected_503']:7} "
            f"{fmt(row['p50'], '.0f'):>8} {fmt(row['p95'], '.0f'):>8}"
        )
    total = sum(r["count"] for r in result["requests"])
    errors = sum(r["failures"] for r in result["requests"])
    print(f"{'all':32} {total:7} {errors:5} {sum(r['expected_503'] for r in result['requests']):7}  "
          f"({total / result['seconds']:.1f} req/s)")  # fmt: skip

    memory = result["memory"]
    print(f"\nmemory: RSS at {memory['baseline_at_s'] / 60:.1f} min and at the end (growth judged on RSS; PostgreSQL "
          "processes on RSS without the shared buffers they touched)")  # fmt: skip
    print(f"{'process':28} {'pid':>7} {'MB then':>8} {'MB end':>8} {'judged MB':>13} {'growth':>7}")
    for row in memory["rows"]:
        judged = f"{row['judged_before_mb']:.1f}->{row['judged_after_mb']:.1f}"
        print(
            f"{row['label'][:28]:28} {row['pid']:7} {row['rss_before_mb']:8.1f} {row['rss_after_mb']:8.1f} "
            f"{judged:>13} {row['growth']:+7.1%}"
        )
    print(
        "(PostgreSQL backends end and start again with DATABASE_CONN_MAX_AGE, 60 s: none lives from minute 2 to the end)"
    )

    emails, referrals = result["emails"], result["referrals"]
    print(f"\nemails: {json.dumps({k: v for k, v in emails.items() if k != 'ok'})}")
    print(f"referrals: {json.dumps({k: v for k, v in referrals.items() if k != 'ok'})}")

    if fault:
        print(f"\nfault {fault['kind']} at {fault['down_at_s'] / 60:.1f} min, {fault['outage_s']:.1f} s until back")
        keys = ("killed_pid", "killed_cmdline", "message_id", "sink_events", "outbox_attempts", "app_log_fallback")
        for key in (*keys, "skipped"):
            if key in fault:
                print(f"  {key}: {fault[key]}")
        print("  responses while it was down (by status):")
        for status, row in fault["responses_during"].items():
            print(f"    {status}: {row['count']} (p50 {fmt(row['p50_ms'], '.0f')} ms, p95 "
                  f"{fmt(row['p95_ms'], '.0f')} ms, max {row['max_ms']:.0f} ms)")  # fmt: skip
        print(f"  {'after its return':30} {'first 2xx s':>11} {'last failure s':>14} {'failures':>8}")
        for name, row in fault["recovery"].items():
            print(f"  {name:30} {fmt(row['first_2xx_s']):>11} {fmt(row['last_failure_s']):>14} "
                  f"{row['failures_after']:8}")  # fmt: skip
        ready = collections.Counter(str(status) for _, status in fault["ready_probe"])
        print(f"  /healthz/ready around the fault: {dict(ready)}")

    result["verdicts"] = verdicts(result, args)
    print("\nverdicts:")
    for verdict in result["verdicts"]:
        print(f"  {'PASS' if verdict['ok'] else 'FAIL'}  {verdict['line']}: {verdict['detail']}")


def verdicts(result: dict, args) -> list[dict]:
    out = []
    errors = sum(r["failures"] for r in result["requests"])
    kinds = {r["name"] for r in result["requests"]}
    loop = {"referral create", "referral submit", "referral open (read)", "referral accept", "referral schedule",
            "referral complete", "referral acknowledge"}  # fmt: skip
    out.append({
        "line": "0 errors",
        "ok": errors == 0,
        "detail": f"{errors} failed requests" + (" (besides the expected 503s of the outage)" if args.fault == "pg-restart" else ""),
    })  # fmt: skip
    out.append({
        "line": "the whole referral loop ran",
        "ok": loop <= kinds and result["referrals"]["statuses"].get("acknowledged", 0) > 0,
        "detail": f"statuses {result['referrals']['statuses']}; missing request types {sorted(loop - kinds) or 'none'}",
    })  # fmt: skip
    memory = result["memory"]["rows"]
    grown = [f"{r['label']} {r['pid']} {r['growth']:+.1%}" for r in memory if r["growth"] >= RSS_LIMIT]
    out.append({
        "line": f"RSS growth < {RSS_LIMIT:.0%} per process (minute {result['memory']['baseline_at_s'] / 60:.1f} to end)",
        "ok": not grown and bool(memory),
        "detail": f"{len(memory)} processes compared" + (f"; over: {', '.join(grown)}" if grown else ""),
    })  # fmt: skip
    out.append({"line": "referrals consistent (none half-applied)", "ok": result["referrals"]["ok"],
                "detail": "see referrals above"})  # fmt: skip
    out.append({"line": "every email delivered once", "ok": result["emails"]["ok"], "detail": "see emails above"})
    fault = result.get("fault_report")
    if args.fault == "pg-restart" and fault:
        during = fault["responses_during"]
        not_503 = {s: r["count"] for s, r in during.items() if s != "503"}
        slow = max((r["max_ms"] for s, r in during.items() if s == "503"), default=0)
        p95 = max((r["p95_ms"] for s, r in during.items() if s == "503"), default=0)
        out.append({
            "line": "while PostgreSQL is down: fast 503s",
            "ok": "503" in during and not not_503 and p95 < 1000,
            "detail": f"statuses {({s: r['count'] for s, r in during.items()})}, 503s' p95 {p95:.0f} ms, slowest "
            f"{slow:.0f} ms",
        })  # fmt: skip
        late = {
            n: r["last_failure_s"]
            for n, r in fault["recovery"].items()
            if (r["last_failure_s"] or -1) > RECOVERY_SECONDS
        }
        first = [r["first_2xx_s"] for r in fault["recovery"].values() if r["first_2xx_s"] is not None]
        out.append({
            "line": f"recovered within {RECOVERY_SECONDS} s of its return",
            "ok": not late,
            "detail": f"failures later than {RECOVERY_SECONDS} s: {late or 'none'}; first 2xx after "
                      f"{min(first, default=float('nan')):.1f} to {max(first, default=float('nan')):.1f} s by type",
        })  # fmt: skip
    if args.fault == "redis-stop" and fault:
        out.append({"line": "Redis stopped: the site keeps serving", "ok": errors == 0,
                    "detail": f"responses while down: {({s: r['count'] for s, r in fault['responses_during'].items()})}"})  # fmt: skip
    if args.fault == "kill-worker":
        killed = fault.get("message_id") if fault else None
        delivered = result["emails"].get("distinct_message_ids", 0)
        out.append({
            "line": "worker killed mid-send: the job runs again, the email goes once",
            "ok": bool(killed)
            and result["emails"]["ok"]
            and killed not in result["emails"].get("missing", [killed])
            and any(e.startswith("aborted") for e in fault.get("sink_events", []))
            and sum(e.startswith("delivered") for e in fault.get("sink_events", [])) == 1,
            "detail": f"killed while sending {killed or (fault or {}).get('skipped', 'nothing')}; {delivered} "
                      f"distinct Message-IDs delivered",
        })  # fmt: skip
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
