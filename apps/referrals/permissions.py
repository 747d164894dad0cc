"""Who may see what of a referral. Every page, API endpoint and admin screen asks here.

The rule: the referring GP and the receiving oncologist (once it is submitted) see everything; curators
holding `referrals.view_clinical_data` see everything but drafts; other curators see status and dates only
(in the admin); everyone else sees nothing.
"""

from apps.accounts.models import Role

from .models import Referral, Status

CLINICAL_PERMISSION = "referrals.view_clinical_data"


def has_clinical_permission(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.role == Role.CURATOR and user.has_perm(CLINICAL_PERMISSION)
    )


def can_view_clinical(user, referral: Referral) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.GP:
        return referral.referring_gp_id == user.pk
    if user.role == Role.ONCOLOGIST:
        return (
            user.physician_id is not None
            and referral.oncologist_id == user.physician_id
            and (referral.status != Status.DRAFT)
        )
    return referral.status != Status.DRAFT and has_clinical_permission(user)


def visible_referrals(user):
    return Referral.objects.visible_to(user)
