"""What django-axes counts sign-in failures against: the email as accounts store it (lower-cased)."""


def attempted_email(request, credentials) -> str:
    """The email a sign-in tried, normalised as the User manager stores it, so `GP@x` and `gp@x` add up."""
    attempted = (credentials or {}).get("username") or request.POST.get("username") or ""
    return attempted.strip().lower()
