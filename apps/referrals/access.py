"""The access log: one row per read or write of a referral, message or attachment (no patient data),
one per refused read, and one per referral a list showed."""

from .models import DETAIL_MAX_LENGTH, AccessLog

USER_AGENT_MAX = 300
REFUSED = "refused"


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


def _row(request, *, action: str, object_type: str, object_id: str, detail: str, channel: str) -> AccessLog:
    user = request.user if request.user.is_authenticated else None
    return AccessLog(
        user=user,
        role=getattr(user, "role", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:DETAIL_MAX_LENGTH],
        channel=channel,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    )


def log_access(request, *, action: str, obj=None, object_type: str = "", detail: str = "", channel: str = "page"):
    row = _row(
        request,
        action=action,
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail,
        channel=channel,
    )
    row.save()
    return row


def log_refused(request, *, referral_id, channel: str, object_type: str = "referral") -> None:
    """Someone asked for a referral (or one of its attachments) they may not see, or that does not exist: who,
    which id, from where."""
    _row(
        request,
        action=AccessLog.Action.VIEW,
        object_type=object_type,
        object_id=str(referral_id),
        detail=REFUSED,
        channel=channel,
    ).save()


def log_list(request, referrals, *, channel: str, query: str = "", object_type: str = "referral") -> None:
    """A list read: one row for the list (with the query that chose it, if given), and one per referral (or
    attachment: `object_type`) it showed, in a single INSERT."""
    rows = [
        _row(
            request,
            action=AccessLog.Action.LIST,
            object_type=object_type,
            object_id="",
            detail=f"{len(referrals)} shown" + (f": {query}" if query else ""),
            channel=channel,
        )
    ]
    rows += [
        _row(
            request,
            action=AccessLog.Action.LIST,
            object_type=object_type,
            object_id=str(referral.pk),
            detail="listed",
            channel=channel,
        )
        for referral in referrals
    ]
    AccessLog.objects.bulk_create(rows)
