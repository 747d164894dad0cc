"""Signed-in sessions end after SESSION_IDLE_SECONDS without a request, wherever they are used."""

import time

from django.conf import settings
from django.contrib.auth import logout

LAST_ACTIVITY_KEY = "referrals_last_activity"
# The last activity is written at most this often: a session save on every signed-in request would cost two
# queries each; the idle limit is kept to within this many seconds (never longer than the limit).
ACTIVITY_GRANULARITY_SECONDS = 60


def start_idle_clock(sender, request, user, **kwargs) -> None:
    """On sign-in (the user_logged_in signal): the session is active now, and its cookie lives as long."""
    request.session[LAST_ACTIVITY_KEY] = time.time()
    request.session.set_expiry(settings.SESSION_IDLE_SECONDS)


class SessionIdleMiddleware:
    """Log out an idle session, and keep the session cookie itself short-lived.

    Every signed-in role can reach patient data (GPs and oncologists their referrals, curators the admin,
    which only a session reaches), so every signed-in request counts and is checked, not only referral URLs.
    The session's own expiry (set_expiry) makes the cookie die after the same idle time, so a stolen cookie
    is of little use.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            idle = settings.SESSION_IDLE_SECONDS
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - float(last) > idle:
                logout(request)
            elif last is None or now - float(last) >= ACTIVITY_GRANULARITY_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
                request.session.set_expiry(idle)
        return self.get_response(request)
