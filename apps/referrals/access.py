"""The access log: one row per read or write of a referral, message or attachment (no patient data)."""

from .models import AccessLog

USER_AGENT_MAX = 300


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy rewrites it.
    return request.META.get("REMOTE_ADDR") or None


def log_access(request, *, action: str, obj=None, object_type: str = "", detail: str = "", channel: str = "page"):
    user = request.user if request.user.is_authenticated else None
    return AccessLog.objects.create(
        user=user,
        role=getattr(user, "role", "") or "",
        action=action,
        object_type=object_type or (obj._meta.model_name if obj is not None else ""),
        object_id=str(obj.pk) if obj is not None else "",
        detail=detail[:100],
        channel=channel,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    )
