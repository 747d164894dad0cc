"""Figures for curators: referral volume per week, per-oncologist response times (medians in SQL,
PERCENTILE_CONT); aggregates only, no clinical data."""

import datetime

from django.db.models import Aggregate, Count, DurationField, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from .models import Referral


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    allow_distinct = False


def oncologist_figures(now=None):
    """One row per oncologist with sent referrals: counts, median time to first review and to decision,
    and the share of due referrals answered within their target."""
    now = now or timezone.now()
    due = Q(response_due_at__isnull=False) & (Q(first_response_at__isnull=False) | Q(response_due_at__lt=now))
    rows = (
        Referral.objects.sent()
        .values("oncologist_id", "oncologist__first_name", "oncologist__last_name", "oncologist__npi")
        .annotate(
            referrals=Count("id"),
            median_to_review=Median(F("first_reviewed_at") - F("submitted_at"), output_field=DurationField()),
            median_to_decision=Median(F("decided_at") - F("submitted_at"), output_field=DurationField()),
            due=Count("id", filter=due),
            within_target=Count("id", filter=Q(first_response_at__lte=F("response_due_at"))),
        )
        .order_by("oncologist__last_name", "oncologist__first_name", "oncologist_id")
    )
    result = []
    for row in rows:
        row["share_within_target"] = row["within_target"] / row["due"] if row["due"] else None
        result.append(row)
    return result


def weekly_volume(weeks: int = 12, now=None) -> list[tuple[datetime.date, int]]:
    """Referrals sent in each of the last `weeks` weeks (Monday first), oldest first, weeks without any included."""
    today = timezone.localdate(now or timezone.now())
    first = today - datetime.timedelta(days=today.weekday() + 7 * (weeks - 1))
    counted = dict(
        Referral.objects.sent()
        .filter(submitted_at__date__gte=first)
        .annotate(week=TruncWeek("submitted_at"))
        .values_list("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    counted = {
        timezone.localdate(week) if isinstance(week, datetime.datetime) else week: n for week, n in counted.items()
    }
    return [
        (first + datetime.timedelta(weeks=i), counted.get(first + datetime.timedelta(weeks=i), 0)) for i in range(weeks)
    ]
