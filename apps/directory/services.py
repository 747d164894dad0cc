"""Curation writes: what a curator does to many physicians at once from the admin, an oncologist's own listing
(and the reminder to check it), the insurance plans a practice takes, and the visitors' reports of wrong listings
that curators work through.

Each function is atomic, locks the rows it changes, touches only the physicians whose state changes, and
records one history row per changed physician with the acting user.
"""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.notifications.services import notifications_queue_once

from .models import AcceptedPlan, InsurancePlan, ListingReport, ListingReportStatus, Physician, PracticeLocation

VERIFIED_CHANGE_REASON = "Marked verified"
DEACTIVATED_CHANGE_REASON = "Deactivated"
REACTIVATED_CHANGE_REASON = "Reactivated"


def _locked(physicians: Iterable[Physician]) -> list[Physician]:
    """The given physicians re-read under a row lock, in primary-key order (so two curators cannot deadlock).

    Accepts a queryset (possibly filtered, annotated or distinct, as the admin passes it) or model instances.
    """
    if hasattr(physicians, "values_list"):
        pks = list(physicians.order_by().values_list("pk", flat=True))
    else:
        pks = [physician.pk for physician in physicians]
    return list(Physician.objects.filter(pk__in=pks).order_by("pk").select_for_update())


def _save_with_history(physicians: list[Physician], fields: list[str], *, by, reason: str) -> int:
    if not physicians:
        return 0
    now = timezone.now()
    for physician in physicians:
        physician.updated_at = now
    bulk_update_with_history(
        physicians,
        Physician,
        [*fields, "updated_at"],
        batch_size=1000,
        default_user=by,
        default_change_reason=reason,
        default_date=now,
    )
    return len(physicians)


@transaction.atomic
def physicians_mark_verified(*, physicians: Iterable[Physician], by, on: datetime.date | None = None) -> int:
    """Record that a curator checked these physicians' records on `on` (today by default)."""
    on = on or timezone.localdate()
    curator = Physician.VerifiedBy.CURATOR
    changed = [p for p in _locked(physicians) if (p.last_verified_on, p.last_verified_by) != (on, curator)]
    for physician in changed:
        physician.last_verified_on, physician.last_verified_by = on, curator
    return _save_with_history(changed, ["last_verified_on", "last_verified_by"], by=by, reason=VERIFIED_CHANGE_REASON)


@transaction.atomic
def physicians_deactivate(*, physicians: Iterable[Physician], by, on: datetime.date | None = None) -> int:
    """Take active physicians out of the public directory as of `on` (today by default)."""
    on = on or timezone.localdate()
    changed = [physician for physician in _locked(physicians) if physician.is_active]
    for physician in changed:
        physician.is_active = False
        physician.deactivated_on = on
    return _save_with_history(changed, ["is_active", "deactivated_on"], by=by, reason=DEACTIVATED_CHANGE_REASON)


@transaction.atomic
def physicians_reactivate(*, physicians: Iterable[Physician], by) -> int:
    """Put inactive physicians back in the directory; the last deactivation date stays for the record."""
    today = timezone.localdate()
    changed = [physician for physician in _locked(physicians) if not physician.is_active]
    for physician in changed:
        physician.is_active = True
        physician.reactivated_on = today
    return _save_with_history(changed, ["is_active", "reactivated_on"], by=by, reason=REACTIVATED_CHANGE_REASON)


# -- an oncologist's own listing ------------------------------------------------------------------

OWN_LISTING_FIELDS = ("telehealth", "languages", "bio")
CONFIRMED_BY_PHYSICIAN_REASON = "Confirmed by the physician"


@transaction.atomic
def own_listing_update(
    *,
    physician: Physician,
    by,
    changes: dict,
    accepting: dict[int, bool | None],
    plans: dict[int, Iterable[InsurancePlan]] | None = None,
) -> None:
    """An oncologist keeps their own listing: `changes` to OWN_LISTING_FIELDS and, by location id, whether each
    of their locations accepts new patients and which insurance plans it takes. It goes live at once, is kept in
    history as theirs, and counts as a verification: today, confirmed by the physician."""
    plans = plans or {}
    if by.physician_id != physician.pk:
        raise PermissionDenied("Only the physician's own account keeps this listing.")
    if set(changes) - set(OWN_LISTING_FIELDS):
        raise ValueError(f"Not a field a physician keeps: {sorted(set(changes) - set(OWN_LISTING_FIELDS))}")
    (locked,) = _locked([physician])
    locations = {location.pk: location for location in locked.locations.select_for_update()}
    if (set(accepting) | set(plans)) - set(locations):
        raise ValidationError("A location that is not this physician's cannot be changed here.")
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.last_verified_on, locked.last_verified_by = timezone.localdate(), Physician.VerifiedBy.PHYSICIAN
    locked.full_clean()
    locked._change_reason = CONFIRMED_BY_PHYSICIAN_REASON
    locked._history_user = by
    locked.save()
    for pk, value in accepting.items():
        location = locations[pk]
        if location.accepting_new_patients != value:
            location.accepting_new_patients = value
            location._change_reason, location._history_user = CONFIRMED_BY_PHYSICIAN_REASON, by
            location.save(update_fields=["accepting_new_patients", "updated_at"])
    for pk, taken in plans.items():
        location_plans_set(location=locations[pk], plans=taken, by=by, source=AcceptedPlan.Source.PHYSICIAN)


def location_plans_set(*, location: PracticeLocation, plans: Iterable[InsurancePlan], by, source: str) -> bool:
    """Make `plans` the insurance plans `location` takes, as `source` says (the physician, a curator, a payer's
    feed); returns whether anything changed. Each link added or removed is kept in history, and the location's
    history says what changed (its admin page shows it). The caller holds the transaction."""
    wanted = {plan.pk: plan for plan in plans}
    current = {link.plan_id: link for link in location.accepted_plans.select_related("plan__carrier")}
    added = [wanted[pk] for pk in wanted.keys() - current.keys()]
    removed = [current[pk] for pk in current.keys() - wanted.keys()]
    for link in removed:
        link._history_user = by
        link.delete()
    for plan in added:
        link = AcceptedPlan(location=location, plan=plan, source=source)
        link._history_user = by
        link.save()
    if not (added or removed):
        return False
    words = [f"added {', '.join(sorted(map(str, added)))}" if added else "",
             f"removed {', '.join(sorted(str(link.plan) for link in removed))}" if removed else ""]  # fmt: skip
    location._change_reason = f"Insurance plans: {'; '.join(word for word in words if word)}"[:100]
    location._history_user = by
    location.save(update_fields=["updated_at"])
    return True


# -- reports of wrong listings --------------------------------------------------------------------

SPAM_RESOLUTION = "Dismissed: spam, or not about this listing."


def listing_report_create(*, physician: Physician, problem: str, details: str = "") -> ListingReport:
    """A visitor's report that `physician`'s listing is wrong; it waits in the curators' queue."""
    if not physician.is_active:
        raise ValidationError("This physician is no longer listed.")
    report = ListingReport(physician=physician, problem=problem, details=details.strip())
    report.full_clean()
    report.save()
    return report


@transaction.atomic
def listing_reports_close(*, reports: Iterable[ListingReport], by, status: str, resolution: str) -> int:
    """Close the open ones of `reports` as corrected or dismissed, saying what was done; returns how many.
    Reports already closed keep what their curator wrote."""
    resolution = resolution.strip()
    if status not in (ListingReportStatus.CORRECTED, ListingReportStatus.DISMISSED):
        raise ValidationError({"status": "Close a report as corrected or dismissed."})
    if not resolution:
        raise ValidationError({"resolution": "Say what was done about this report."})
    pks = list(reports.values_list("pk", flat=True)) if hasattr(reports, "values_list") else [r.pk for r in reports]
    closing = list(ListingReport.objects.open().filter(pk__in=pks).order_by("pk").select_for_update())
    now = timezone.now()
    for report in closing:
        report.status, report.resolution, report.resolved_by, report.resolved_at = status, resolution, by, now
    bulk_update_with_history(
        closing,
        ListingReport,
        ["status", "resolution", "resolved_by", "resolved_at"],
        default_user=by,
        default_date=now,
    )
    return len(closing)


# An oncologist is reminded to check their listing once it has gone this long without being verified.
LISTING_VERIFICATION_DAYS = 365


def listing_verification_reminders_queue() -> int:
    """The scheduled reminder (daily): each oncologist with an account whose listing has not been verified for
    LISTING_VERIFICATION_DAYS is asked to check it on /my-listing/ (which verifies it); once per verification
    date. How many were queued."""
    accounts = User.objects.filter(
        is_active=True, physician__in=Physician.objects.active().stale(LISTING_VERIFICATION_DAYS)
    ).select_related("physician")
    what = "please check your listing"
    body = (
        "Your OncoDir listing has not been checked for over a year. Patients and referring GPs rely on it: please "
        f"check your specialties, locations and whether you accept new patients at {settings.SITE_URL}"
        f"{reverse('directory:my-listing')}. Saving that page marks your listing as verified."
    )
    return notifications_queue_once(
        [
            Notification(
                key=f"listing-unverified:{account.physician_id}:{account.physician.last_verified_on or 'never'}",
                subject=f"OncoDir: {what}",
                body=body,
                recipients=[account.email],
            )
            for account in accounts
        ]
    )
