"""The outbox: an email is a row of the change's own transaction, sent by a job once, again later while the mail
server fails, and never twice."""

import datetime
import socket

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from apps.common.health import readiness
from apps.common.metrics import exposition
from apps.notifications import services
from apps.notifications.models import Notification
from apps.referrals import services as referral_services
from tests.referrals.factories import make_referral

pytestmark = pytest.mark.django_db

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def mail_server_down(settings):
    """SMTP pointed at a port where nothing listens: every attempt fails at once, as in an outage."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_PORT = SMTP_BACKEND, "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return settings


def accept(referral):
    return referral_services.referral_accept(
        referral=referral, by=referral.oncologist.account, version=referral.version
    )


def test_a_transition_writes_its_email_in_its_own_transaction_and_a_job_sends_it(
    mailoutbox, django_capture_on_commit_callbacks
):
    referral = make_referral("submitted")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        accept(referral)
        # written, not yet sent: the job is enqueued only once the transaction commits
        notification = Notification.objects.get()
        assert notification.status == Notification.Status.PENDING
        assert mailoutbox == []
    assert len(callbacks) == 1

    callbacks[0]()  # the commit: the job runs (inline in tests)

    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.SENT, 1)
    assert len(mailoutbox) == 1
    assert (
        mailoutbox[0].extra_headers["Message-ID"] == notification.message_id == f"<{notification.pk}@oncodir.localhost>"
    )
    assert mailoutbox[0].to == [referral.referring_gp.email]


def test_a_rolled_back_change_leaves_no_email_behind(mailoutbox, django_capture_on_commit_callbacks):
    referral = make_referral("submitted")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        accept(referral)
        raise RuntimeError("the request failed after the transition")
    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_a_mail_server_outage_delays_the_email_with_growing_waits_and_loses_nothing(
    mail_server_down, django_capture_on_commit_callbacks
):
    # given an email whose first attempt, at the commit, finds the mail server down
    referral = make_referral("submitted")
    with django_capture_on_commit_callbacks(execute=True):
        accept(referral)
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts) == (Notification.Status.PENDING, 1)
    assert "ConnectionRefusedError" in notification.last_error
    first_wait = notification.next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=55) < first_wait <= datetime.timedelta(seconds=60)

    # when the sweep runs before the wait is over, nothing is tried
    assert services.notifications_send_due() == 0
    notification.refresh_from_db()
    assert notification.attempts == 1

    # and when it is due and the server is still down, the next wait doubles
    Notification.objects.update(next_attempt_at=timezone.now())
    assert services.notifications_send_due() == 0
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert (
        datetime.timedelta(seconds=115)
        < notification.next_attempt_at - timezone.now()
        <= datetime.timedelta(seconds=120)
    )

    # then once the server is back and the wait is over, the sweep sends it once
    mail_server_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    Notification.objects.update(next_attempt_at=timezone.now())
    assert services.notifications_send_due() == 1
    assert services.notifications_send_due() == 0
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 3, "")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == notification.message_id


def test_a_sent_email_is_not_sent_again(mailoutbox):
    notification = Notification.objects.create(subject="s", body="b", recipients=["gp@example.org"])
    assert services.notification_send(str(notification.pk)) is True
    assert services.notification_send(str(notification.pk)) is False
    assert services.notifications_send_due() == 0
    assert len(mailoutbox) == 1


def test_after_the_last_attempt_it_is_given_up_and_the_admin_can_try_again(mail_server_down):
    mail_server_down.NOTIFICATION_MAX_ATTEMPTS = 2
    notification = Notification.objects.create(subject="s", body="b", recipients=["gp@example.org"])
    services.notification_send(str(notification.pk))
    Notification.objects.update(next_attempt_at=timezone.now())
    services.notification_send(str(notification.pk))
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.GAVE_UP, 2)
    assert services.notifications_send_due() == 0

    assert services.notifications_retry(notifications=Notification.objects.all()) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == (Notification.Status.PENDING, 0)


def test_queued_once_per_key():
    def reminder():
        return Notification(key="referral-overdue:1:2026", subject="s", body="b", recipients=["a@example.org"])

    assert services.notifications_queue_once([reminder()]) == 1
    assert services.notifications_queue_once([reminder()]) == 0
    assert services.notifications_queue_once([Notification(key="k", subject="s", body="b", recipients=[])]) == 0
    assert Notification.objects.count() == 1


def test_readiness_and_metrics_see_the_job_queue():
    assert readiness()["queue"] is True
    text = exposition()[0].decode()
    for name in ("oncodir_job_queue_waiting", "oncodir_job_queue_running", "oncodir_job_failures"):
        assert f"\n{name} 0.0\n" in text
