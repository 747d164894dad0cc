"""Email throughput of the job workers: EMAILS queued emails sent by `manage.py qcluster` (1, then 2 worker
processes) to a local SMTP server, against the same number sent in this one process by the outbox's sweep (the
baseline, measured in the same run), and the memory of each process of the cluster.

    .venv/bin/python bench/jobs_bench.py [--emails 300]

Uses its own database oncodir_bench_jobs (created and migrated when missing) on BENCH_PG_SERVER. The rate of a
cluster is counted from its first email to its last (its start-up is printed apart).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE = "oncodir_bench_jobs"
SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")


class Sink:
    """An SMTP server that counts what it accepts, and when the first and the last arrived."""

    def __init__(self):
        self.count, self.first, self.last = 0, 0.0, 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            self.last = time.monotonic()
            self.first = self.first or self.last
        return "250 OK"

    def reset(self):
        self.count, self.first, self.last = 0, 0.0, 0.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(mail_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "DJANGO_SETTINGS_MODULE": "oncodir.settings",
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_port}",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def ensure_database(env: dict[str, str]) -> None:
    psql = ["psql", f"{SERVER}/postgres", "-qtAc"]
    found = subprocess.run([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"], capture_output=True)
    if found.stdout.strip() != b"1":
        subprocess.run([*psql, f'CREATE DATABASE "{DATABASE}"'], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def queue(emails: int, *, with_tasks: bool) -> None:
    from django_q.models import OrmQ, Task

    from apps.common.jobs import enqueue
    from apps.notifications.models import Notification
    from apps.notifications.services import SEND

    Notification.objects.all().delete()
    OrmQ.objects.all().delete()
    Task.objects.all().delete()
    rows = Notification.objects.bulk_create(
        Notification(subject=f"Bench {n}", body="A bench email.\n" * 5, recipients=["gp@example.org"])
        for n in range(emails)
    )
    if with_tasks:
        for row in rows:
            enqueue(SEND, str(row.pk))


def cluster_rss_mb(pgid: int) -> list[float]:
    sizes = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.getpgid(int(proc.name)) != pgid:
                    continue
                status = (proc / "status").read_text()
            except (ProcessLookupError, FileNotFoundError):
                continue
            kb = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            sizes.append(kb / 1024)
    return sorted(sizes, reverse=True)


def through_workers(workers: int, emails: int, sink: Sink, env: dict[str, str]) -> tuple[float, float, list[float]]:
    """Emails per second, seconds from start to the first email, and each cluster process's VmRSS (MB)."""
    queue(emails, with_tasks=True)
    sink.reset()
    started = time.monotonic()
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"], cwd=ROOT, env={**env, "JOB_WORKERS": str(workers)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while sink.count < emails:
            if time.monotonic() > deadline or cluster.poll() is not None:
                raise SystemExit(f"the cluster sent {sink.count} of {emails}")
            time.sleep(0.05)
        rss = cluster_rss_mb(cluster.pid)
    finally:
        cluster.send_signal(signal.SIGTERM)
        try:
            cluster.wait(timeout=30)
        finally:
            os.killpg(cluster.pid, signal.SIGKILL) if cluster.poll() is None else None
    return (emails - 1) / (sink.last - sink.first), sink.first - started, rss


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=300)
    args = parser.parse_args(argv)

    from aiosmtpd.controller import Controller

    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = environment(port)
    os.environ.update(env)
    ensure_database(env)
    import django

    django.setup()
    from apps.notifications.services import notifications_send_due

    try:
        queue(args.emails, with_tasks=False)
        sink.reset()
        started = time.monotonic()
        sent = notifications_send_due(limit=args.emails)
        baseline = sent / (time.monotonic() - started)
        assert sink.count == args.emails, f"the sweep sent {sink.count} of {args.emails}"
        print(f"{args.emails} emails, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
        print(f"{'sent by':<28} {'emails/s':>9} {'vs sweep':>9} {'start s':>8}  process RSS (MB)")
        print(f"{'the sweep, in one process':<28} {baseline:>9.1f} {1:>8.2f}x {'':>8}")
        for workers in (1, 2):
            rate, start, rss = through_workers(workers, args.emails, sink, env)
            sizes = ", ".join(f"{mb:.0f}" for mb in rss)
            print(
                f"{f'qcluster, {workers} worker(s)':<28} {rate:>9.1f} {rate / baseline:>8.2f}x {start:>8.1f}  {sizes}"
            )
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
