"""A GP's shortlist of oncologists for a patient: ordered, with a note, printable and shareable by a link.
It holds no patient data (the page says so where the GP writes), so its link can be given to the patient."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse


def new_share_token() -> str:
    return secrets.token_urlsafe(18)


class Shortlist(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shortlists")
    title = models.CharField(max_length=100, default="Shortlist")
    note = models.TextField(max_length=2000, blank=True)
    # The shared link's secret: whoever has it sees the list (and nothing else).
    share_token = models.CharField(max_length=32, unique=True, default=new_share_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("shortlists:detail", args=[self.pk])

    def get_share_url(self):
        return reverse("shortlists:shared", args=[self.share_token])


class ShortlistEntry(models.Model):
    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="entries")
    physician = models.ForeignKey("directory.Physician", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shortlist", "physician"], name="shortlist_entry_once"),
        ]

    def __str__(self):
        return f"{self.position + 1}. {self.physician}"
