"""The (state, role, action) table the exhaustive tests walk, with valid inputs for each action."""

import datetime

import pytest
from django.utils import timezone

from apps.referrals import services
from apps.referrals.models import Referral, ReferralEvent, Status

ROLES = ("gp", "oncologist", "curator")


def action_kwargs(action: str) -> dict:
    """Valid inputs for each action, so that only role and state decide whether it is allowed."""
    in_a_week = timezone.now() + datetime.timedelta(days=7)
    return {
        "submit": {},
        "open": {},
        "request_info": {"question": "Please send the latest full blood count."},
        "respond": {"answer": "FBC attached: normal."},
        "accept": {},
        "reject": {"reason_code": "out_of_scope", "comment": "Hematology is better placed."},
        "schedule": {"appointment_at": in_a_week, "place": "Cancer Center, Suite 4"},
        "reschedule": {"appointment_at": in_a_week + datetime.timedelta(days=1), "place": "Suite 5"},
        "no_show": {},
        "complete": {"findings": "Benign fibroadenoma.", "recommendations": "Routine follow-up."},
        "acknowledge": {},
        "cancel": {"reason": "The patient moved away."},
        "fail": {"reason": "The patient could not be reached."},
        "enter_in_error": {"reason": "Duplicate entry."},
        "re_refer": {},
    }[action]


SERVICE_FUNCTIONS = {
    "submit": services.referral_submit,
    "open": services.referral_open,
    "request_info": services.referral_request_info,
    "respond": services.referral_respond,
    "accept": services.referral_accept,
    "reject": services.referral_reject,
    "schedule": services.referral_schedule,
    "reschedule": services.referral_reschedule,
    "no_show": services.referral_mark_no_show,
    "complete": services.referral_complete,
    "acknowledge": services.referral_acknowledge,
    "cancel": services.referral_cancel,
    "fail": services.referral_fail,
    "enter_in_error": services.referral_enter_in_error,
    "re_refer": services.referral_re_refer,
}

# The allowed table, written out by hand (not derived from services.TRANSITIONS) so that a change to the
# state machine must be made twice, on purpose.
ALLOWED = {
    ("draft", "gp", "submit"): "submitted",
    ("submitted", "oncologist", "open"): "under_review",
    ("under_review", "oncologist", "request_info"): "info_requested",
    ("info_requested", "gp", "respond"): "under_review",
    ("submitted", "oncologist", "accept"): "accepted",
    ("under_review", "oncologist", "accept"): "accepted",
    ("submitted", "oncologist", "reject"): "rejected",
    ("under_review", "oncologist", "reject"): "rejected",
    ("info_requested", "oncologist", "reject"): "rejected",
    ("accepted", "oncologist", "schedule"): "scheduled",
    ("scheduled", "oncologist", "reschedule"): "scheduled",
    ("scheduled", "oncologist", "no_show"): "accepted",
    ("scheduled", "oncologist", "complete"): "completed",
    ("completed", "gp", "acknowledge"): "acknowledged",
    ("accepted", "oncologist", "fail"): "failed",
    ("scheduled", "oncologist", "fail"): "failed",
    **{
        (s, "gp", "cancel"): "cancelled"
        for s in ("submitted", "under_review", "info_requested", "accepted", "scheduled")
    },
    **{
        (s, "curator", "enter_in_error"): "entered_in_error"
        for s in Status.values
        if s not in ("draft", "entered_in_error")
    },
    **{
        (s, "gp", "re_refer"): s
        for s in ("rejected", "cancelled", "failed", "completed", "acknowledged", "entered_in_error")
    },
}

ACTION_ROLE = {
    "submit": "gp",
    "open": "oncologist",
    "request_info": "oncologist",
    "respond": "gp",
    "accept": "oncologist",
    "reject": "oncologist",
    "schedule": "oncologist",
    "reschedule": "oncologist",
    "no_show": "oncologist",
    "complete": "oncologist",
    "acknowledge": "gp",
    "cancel": "gp",
    "fail": "oncologist",
    "enter_in_error": "curator",
    "re_refer": "gp",
}


def all_cases():
    for status in Status.values:
        for role in ROLES:
            for action in SERVICE_FUNCTIONS:
                yield status, role, action


CASES = list(all_cases())
# Every (status, role, action) as a test case, with readable ids.
each_case = pytest.mark.parametrize(("status", "role", "action"), CASES, ids=["-".join(c) for c in CASES])


def expected(status: str, role: str, action: str) -> str:
    """'allowed', 'permission' (HTTP 403) or 'conflict' (HTTP 409)."""
    if (status, role, action) in ALLOWED:
        return "allowed"
    if ACTION_ROLE[action] != role:
        return "permission"
    return "conflict"


def actor_of(referral, role: str, curator):
    """Who plays `role` on `referral`: its GP, its oncologist, or the given curator."""
    return {"gp": referral.referring_gp, "oncologist": referral.oncologist.account, "curator": curator}[role]


def footprint(referral) -> tuple:
    """What a refused action must leave unchanged: the referral's state and version, and the row counts."""
    return referral.status, referral.version, ReferralEvent.objects.count(), Referral.objects.count()
