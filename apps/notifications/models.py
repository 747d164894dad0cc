"""The outbox: each email is a row written in the transaction of the change it tells about, so a change that
commits always has its email, and one that rolls back never does. Workers send the rows (services.py)."""

import uuid
from email.utils import parseaddr

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.mail import EmailMessage
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationQuerySet(models.QuerySet):
    def due(self, now=None):
        """Waiting to be sent, and their next attempt is now or past: what the sweep sends, oldest first."""
        return self.filter(status=Notification.Status.PENDING, next_attempt_at__lte=now or timezone.now()).order_by(
            "next_attempt_at", "created_at"
        )


class Notification(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        GAVE_UP = "gave_up", "Given up"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What makes a reminder unique ("referral-overdue:<id>:<due>"): queued twice, it is written once.
    key = models.CharField(max_length=200, unique=True, null=True, blank=True, editable=False)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    recipients = ArrayField(models.EmailField())
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True, help_text="The request that queued it, for the logs.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The sweep's query: only the pending rows, which stay few.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notification_due"),
        ]

    def __str__(self):
        return self.subject

    @property
    def message_id(self) -> str:
        """The same on every attempt, so a mail system that got an email twice (a worker killed after the server
        took it, before the row said so) can tell it is one."""
        domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "oncodir"
        return f"<{self.id}@{domain}>"

    def email(self) -> EmailMessage:
        return EmailMessage(
            subject=self.subject, body=self.body, to=self.recipients, headers={"Message-ID": self.message_id}
        )
