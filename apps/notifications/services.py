"""Queue an email in the caller's transaction, and send it from a worker: once, and again later while the mail
server fails (backing off from NOTIFICATION_RETRY_SECONDS, doubling, up to an hour), until it is sent or
NOTIFICATION_MAX_ATTEMPTS have failed."""

import datetime
import logging
import smtplib

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.common import metrics
from apps.common.jobs import enqueue
from apps.common.request_ids import current_request_id, request_id_bound

from .models import Notification

logger = logging.getLogger(__name__)

SEND = "apps.notifications.services.notification_send"
SEND_DUE = "apps.notifications.services.notifications_send_due"
LONGEST_WAIT = datetime.timedelta(hours=1)
# What a mail server or the network raises when it cannot take an email now.
SENDING_ERRORS = (smtplib.SMTPException, OSError)


def notification_queue(*, subject: str, body: str, recipients: list[str]) -> Notification | None:
    """Write the email in the current transaction; a worker sends it once that commits. None without recipients."""
    if not recipients:
        return None
    notification = Notification.objects.create(
        subject=subject, body=body, recipients=recipients, request_id=current_request_id() or ""
    )
    transaction.on_commit(lambda: enqueue(SEND, str(notification.pk)))
    return notification


def notifications_queue_once(notifications: list[Notification]) -> int:
    """Write the ones whose `key` is new (ON CONFLICT DO NOTHING): a reminder queued again is not sent again.
    The sweep sends them. Those without recipients are dropped. How many were new."""
    notifications = [n for n in notifications if n.recipients]
    if not notifications:
        return 0
    with transaction.atomic():
        before = Notification.objects.filter(key__in=[n.key for n in notifications]).count()
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
        added = Notification.objects.filter(key__in=[n.key for n in notifications]).count() - before
        if added:
            transaction.on_commit(lambda: enqueue(SEND_DUE))
    return added


def _retry_delay(attempts: int) -> datetime.timedelta:
    return min(datetime.timedelta(seconds=settings.NOTIFICATION_RETRY_SECONDS * 2 ** (attempts - 1)), LONGEST_WAIT)


def notification_send(notification_id: str) -> bool:
    """Send it if it is still waiting and no other worker holds it. Its row stays locked while the mail server
    takes it, so two workers never send it both; a worker killed meanwhile leaves it waiting, to be sent again.
    Whether this call sent it."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .first()
        )
        if notification is None:
            return False
        notification.attempts += 1
        with request_id_bound(notification.request_id or None):
            try:
                notification.email().send()
            except SENDING_ERRORS as error:
                _failed(notification, error)
            else:
                notification.status = Notification.Status.SENT
                notification.sent_at = timezone.now()
                notification.last_error = ""
                logger.info(
                    "Sent %r (notification %s, attempt %d)",
                    notification.subject,
                    notification.pk,
                    notification.attempts,
                )
                metrics.NOTIFICATIONS.labels(outcome="sent").inc()
        notification.save()
    return notification.status == Notification.Status.SENT


def _failed(notification: Notification, error: Exception) -> None:
    notification.last_error = f"{error.__class__.__name__}: {error}"[:1000]
    if notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        notification.status = Notification.Status.GAVE_UP
        logger.error("Notification %s given up after %d attempts: %s", notification.pk, notification.attempts, error)
        metrics.NOTIFICATIONS.labels(outcome="gave_up").inc()
        return
    notification.next_attempt_at = timezone.now() + _retry_delay(notification.attempts)
    logger.warning("Notification %s not sent (attempt %d): %s", notification.pk, notification.attempts, error)
    metrics.NOTIFICATIONS.labels(outcome="failed").inc()


def notifications_send_due(limit: int = 500) -> int:
    """The sweep (scheduled every minute): send what is due, whether its own job was lost, failed or is waiting
    out a mail server's outage. How many were sent."""
    due = list(Notification.objects.due().values_list("pk", flat=True)[:limit])
    return sum(notification_send(str(pk)) for pk in due)


def notifications_retry(*, notifications) -> int:
    """Try the given-up ones again from now (the admin's action). How many."""
    return notifications.filter(status=Notification.Status.GAVE_UP).update(
        status=Notification.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
