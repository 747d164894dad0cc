import pytest
from django.db import transaction

from apps.referrals import services

from .cases import ALLOWED, SERVICE_FUNCTIONS, action_kwargs
from .factories import CLINICAL_MARKERS, make_referral

pytestmark = pytest.mark.django_db

# re_refer creates a draft for the GP alone: nobody else is told about a draft.
NOTIFYING = sorted(case for case in ALLOWED if case[2] != "re_refer")


@pytest.mark.parametrize(("status", "role", "action"), NOTIFYING, ids=["-".join(c) for c in NOTIFYING])
def test_each_transition_sends_one_email_to_the_other_party_without_clinical_content(
    status, role, action, curator, mailoutbox, django_capture_on_commit_callbacks
):
    # given a referral and its actor
    referral = make_referral(status)
    gp, onc = referral.referring_gp, referral.oncologist.account
    actor = {"gp": gp, "oncologist": onc, "curator": curator}[role]

    # when the transition commits
    with django_capture_on_commit_callbacks(execute=True):
        SERVICE_FUNCTIONS[action](referral=referral, by=actor, version=referral.version, **action_kwargs(action))

    # then exactly one email goes to the other party, with a link and no clinical content
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    expected_to = {"gp": [onc.email], "oncologist": [gp.email], "curator": [gp.email, onc.email]}[role]
    assert email.to == expected_to
    assert f"/referrals/{referral.pk}/" in email.body
    assert referral.reference in email.subject
    for marker in CLINICAL_MARKERS + tuple(
        action_kwargs(action).get(k, "") or "x" * 99
        for k in ("reason", "question", "answer", "comment", "findings", "recommendations")
    ):
        assert marker not in email.body
        assert marker not in email.subject


def test_no_email_when_the_transaction_rolls_back(mailoutbox, django_capture_on_commit_callbacks):
    # given a submitted referral
    referral = make_referral("submitted")
    onc = referral.oncologist.account

    # when it is accepted inside a transaction that then fails
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.referral_accept(referral=referral, by=onc, version=referral.version)
        raise RuntimeError("something later in the request failed")

    # then no email is sent and the referral is unchanged
    assert callbacks == []
    assert mailoutbox == []
    referral.refresh_from_db()
    assert referral.status == "submitted"
    assert referral.events.count() == 0


def test_a_message_notifies_the_other_party(mailoutbox, django_capture_on_commit_callbacks):
    referral = make_referral("under_review")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_create(
            referral=referral, by=referral.referring_gp, body="Patient asks about parking. Quilliam"
        )
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [referral.oncologist.account.email]
    assert "Quilliam" not in mailoutbox[0].body
    assert "parking" not in mailoutbox[0].body


def test_log_messages_carry_no_patient_data(caplog, django_capture_on_commit_callbacks):
    referral = make_referral("under_review")
    with caplog.at_level("DEBUG"), django_capture_on_commit_callbacks(execute=True):
        services.referral_reject(
            referral=referral,
            by=referral.oncologist.account,
            version=referral.version,
            reason_code="other",
            comment="Quilliam needs hematology",
        )
    assert referral.reference in caplog.text
    for marker in CLINICAL_MARKERS:
        assert marker not in caplog.text
