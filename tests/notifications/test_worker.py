"""Real job workers (`manage.py qcluster`, in processes of their own) and a real mail server (aiosmtpd): an email
queued by a referral's change is sent by a worker under the request's id, and when the workers are killed while
the mail server is taking it, it is sent again by the next workers, and arrives once."""

import asyncio
import contextlib
import email
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django_q.conf import Conf

from apps.common.request_ids import request_id_bound
from apps.notifications.models import Notification
from apps.referrals import services
from tests.databases import database_url
from tests.referrals.factories import make_referral

ROOT = Path(__file__).resolve().parents[2]

# Committed rows: the workers read them from their own processes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class MailServer:
    """Records the Message-ID of each email it accepted. With `hold_first`, it keeps the first one that many seconds
    before answering: an email is accepted (SMTP's final 250) only if its sender is still there then."""

    def __init__(self, hold_first: float = 0):
        self.accepted: list[str] = []
        self.hold = hold_first
        self.holding = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            self.hold, hold = 0, self.hold
            self.holding.set()
            await asyncio.sleep(hold)  # cancelled when the sender's connection drops
        self.accepted.append(email.message_from_bytes(envelope.original_content)["Message-ID"])
        return "250 Message accepted for delivery"


@pytest.fixture
def mail_server(request):
    handler = MailServer(**getattr(request, "param", {}))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def enqueued(monkeypatch):
    """Jobs go to the queue (the database) instead of running inline as in the other tests."""
    monkeypatch.setattr(Conf, "SYNC", False)


def start_workers(mail_server) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "oncodir.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "EMAIL_URL": f"smtp://127.0.0.1:{mail_server.port}",
        "DJANGO_LOG_FORMAT": "json",
        "JOB_WORKERS": "1",
        # A task a killed worker held is handed out again after 6 s (production: an hour and a minute).
        "JOB_TIMEOUT_SECONDS": "4",
        "JOB_RETRY_SECONDS": "6",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip


def stop(workers: subprocess.Popen, *, killed: bool = False) -> str:
    """SIGTERM: the cluster stops as it would on a deploy; killed: SIGKILL to every process of it at once."""
    if killed:
        os.killpg(workers.pid, signal.SIGKILL)
    else:
        workers.terminate()
    try:
        output, _ = workers.communicate(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(workers.pid, signal.SIGKILL)  # no orphan outlives the test
    return output


def wait_for(condition, seconds: float) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s"
        time.sleep(0.1)
    return time.monotonic() - started


def accept(referral):
    services.referral_accept(referral=referral, by=referral.oncologist.account, version=referral.version)


def test_a_worker_sends_the_email_a_change_queued_under_that_requests_id(mail_server, enqueued):
    referral = make_referral("submitted")
    with request_id_bound("req-4711"):
        accept(referral)
    notification = Notification.objects.get()
    workers = start_workers(mail_server)
    try:
        wait_for(lambda: mail_server.accepted, 30)
    finally:
        output = stop(workers)
    assert mail_server.accepted == [notification.message_id]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    sent_lines = [json.loads(line) for line in output.splitlines() if line.startswith("{") and "Sent " in line]
    assert [line["request_id"] for line in sent_lines] == ["req-4711"]


@pytest.mark.parametrize("mail_server", [{"hold_first": 30}], indirect=True)
def test_workers_killed_while_sending_the_next_ones_send_it_once(mail_server, enqueued):
    # given workers killed (SIGKILL, the whole cluster) while the mail server is taking the email
    accept(make_referral("submitted"))
    notification = Notification.objects.get()
    workers = start_workers(mail_server)
    wait_for(mail_server.holding.is_set, 30)
    stop(workers, killed=True)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)  # its transaction died with them

    # when new workers start, the task the killed ones held is handed out again
    workers = start_workers(mail_server)
    try:
        waited = wait_for(lambda: mail_server.accepted, 40)
        time.sleep(2)  # anything sent twice would arrive now
    finally:
        stop(workers)

    # then the email arrived once
    assert mail_server.accepted == [notification.message_id]
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert waited < 20
