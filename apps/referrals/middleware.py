"""Sessions that touch referral pages end after REFERRAL_SESSION_IDLE_SECONDS without activity."""

import time

from django.conf import settings
from django.contrib.auth import logout

LAST_ACTIVITY_KEY = "referrals_last_activity"
PROTECTED_PREFIXES = ("/referrals/", "/api/v1/referrals/")


class ReferralSessionIdleMiddleware:
    """Log out an idle session on referral pages, and keep the session cookie short-lived once used there.

    The check is made on each request to a referral URL; the session's own expiry (set_expiry) makes the
    cookie itself die after the same idle time, so a stolen cookie is of little use.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(PROTECTED_PREFIXES) and request.user.is_authenticated:
            idle = settings.REFERRAL_SESSION_IDLE_SECONDS
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - float(last) > idle:
                logout(request)
            else:
                request.session[LAST_ACTIVITY_KEY] = now
                request.session.set_expiry(idle)
        return self.get_response(request)
