"""Signed-in sessions end after REFERRAL_SESSION_IDLE_SECONDS without activity, wherever they are used."""

import time

from django.conf import settings
from django.contrib.auth import logout

LAST_ACTIVITY_KEY = "referrals_last_activity"


class ReferralSessionIdleMiddleware:
    """Log out an idle session, and keep the session cookie itself short-lived.

    Every signed-in role can reach patient data (GPs and oncologists their referrals, curators the admin
    and /admin/ only through a session), so every signed-in request is checked, not only referral URLs.
    The session's own expiry (set_expiry) makes the cookie die after the same idle time, so a stolen cookie
    is of little use.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            idle = settings.REFERRAL_SESSION_IDLE_SECONDS
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - float(last) > idle:
                logout(request)
            else:
                request.session[LAST_ACTIVITY_KEY] = now
                request.session.set_expiry(idle)
        return self.get_response(request)
