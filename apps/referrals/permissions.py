"""The one permission rule that is not about being a party to the referral (those are Referral.referred_by,
received_by and is_party): curators holding `referrals.view_clinical_data` see every sent referral's clinical
content; other curators see status and dates only (in the admin); everyone else sees nothing.
"""

from apps.accounts.models import Role

CLINICAL_PERMISSION = "referrals.view_clinical_data"


def has_clinical_permission(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.role == Role.CURATOR and user.has_perm(CLINICAL_PERMISSION)
    )
