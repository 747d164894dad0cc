import pytest

from apps.referrals import services
from apps.referrals.models import Referral, ReferralEvent, Status

from .cases import ALLOWED, SERVICE_FUNCTIONS, action_kwargs, actor_of, each_case, expected
from .factories import make_referral

pytestmark = pytest.mark.django_db


def snapshot(referral: Referral):
    referral.refresh_from_db()
    return referral.status, referral.version, ReferralEvent.objects.filter(referral=referral).count()


@each_case
def test_every_state_role_action_is_allowed_or_refused_without_change(status, role, action, curator):
    # given a referral in `status` and the actor of `role`
    referral = make_referral(status)
    actor = actor_of(referral, role, curator)
    before = snapshot(referral)
    outcome = expected(status, role, action)

    # when the actor tries the action with valid input and the current version
    call = SERVICE_FUNCTIONS[action]
    if outcome == "allowed":
        result = call(referral=referral, by=actor, version=referral.version, **action_kwargs(action))

        # then the referral moves to the expected status, the version grows and one event is recorded
        referral.refresh_from_db()
        assert referral.status == ALLOWED[(status, role, action)]
        assert referral.version == before[1] + 1
        event = ReferralEvent.objects.filter(referral=referral).latest("id")
        assert (event.action, event.from_status, event.to_status, event.actor_id) == (
            action,
            status,
            referral.status,
            actor.pk,
        )
        if action == "re_refer":
            assert result.status == Status.DRAFT
            assert result.replaces_id == referral.pk
            assert result.reference in event.reason
    else:
        exception = services.ReferralPermissionDenied if outcome == "permission" else services.ReferralConflict
        with pytest.raises(exception):
            call(referral=referral, by=actor, version=referral.version, **action_kwargs(action))

        # then nothing changed
        assert snapshot(referral) == before
        assert Referral.objects.count() == 1


ALLOWED_CASES = sorted(ALLOWED)


@pytest.mark.parametrize(("status", "role", "action"), ALLOWED_CASES, ids=["-".join(c) for c in ALLOWED_CASES])
def test_a_stale_version_is_a_conflict_and_changes_nothing(status, role, action, curator):
    # given a referral the actor loaded at an older version
    referral = make_referral(status, version=3)
    actor = actor_of(referral, role, curator)
    before = snapshot(referral)

    # when they act on version 2
    with pytest.raises(services.ReferralConflict) as raised:
        SERVICE_FUNCTIONS[action](referral=referral, by=actor, version=2, **action_kwargs(action))

    # then it is a conflict and nothing changed
    assert raised.value.message == services.STALE_VERSION
    assert snapshot(referral) == before


PARTY_CASES = [case for case in ALLOWED_CASES if case[1] in ("gp", "oncologist")]


@pytest.mark.parametrize(("status", "role", "action"), PARTY_CASES, ids=["-".join(c) for c in PARTY_CASES])
def test_another_gp_or_oncologist_is_refused_permission(status, role, action):
    # given a referral and a user of the right role who is not its GP or oncologist
    from tests.factories import GPFactory, OncologistUserFactory

    referral = make_referral(status)
    stranger = GPFactory() if role == "gp" else OncologistUserFactory()
    before = snapshot(referral)

    # when the stranger tries the action
    with pytest.raises(services.ReferralPermissionDenied) as raised:
        SERVICE_FUNCTIONS[action](referral=referral, by=stranger, version=referral.version, **action_kwargs(action))

    # then permission is refused and nothing changed
    assert str(raised.value) == services.NOT_A_PARTY
    assert snapshot(referral) == before


REQUIRED_INPUT_CASES = [
    ("under_review", "oncologist", "request_info", {"question": "  "}, "question", services.QUESTION_REQUIRED),
    ("info_requested", "gp", "respond", {"answer": ""}, "answer", services.ANSWER_REQUIRED),
    (
        "under_review",
        "oncologist",
        "reject",
        {"reason_code": "", "comment": "x"},
        "reason_code",
        services.REJECTION_CODE_REQUIRED,
    ),
    (
        "under_review",
        "oncologist",
        "reject",
        {"reason_code": "other", "comment": " "},
        "comment",
        services.REJECTION_COMMENT_REQUIRED,
    ),
    (
        "accepted",
        "oncologist",
        "schedule",
        {"appointment_at": None, "place": "Suite 4"},
        "appointment_at",
        services.APPOINTMENT_REQUIRED,
    ),
    (
        "scheduled",
        "oncologist",
        "complete",
        {"findings": "", "recommendations": "x"},
        "findings",
        services.OUTCOME_REQUIRED,
    ),
    ("submitted", "gp", "cancel", {"reason": ""}, "reason", services.REASON_REQUIRED),
    ("accepted", "oncologist", "fail", {"reason": ""}, "reason", services.REASON_REQUIRED),
    ("accepted", "curator", "enter_in_error", {"reason": ""}, "reason", services.REASON_REQUIRED),
]


@pytest.mark.parametrize(
    ("status", "role", "action", "kwargs", "field", "message"),
    REQUIRED_INPUT_CASES,
    ids=[f"{c[2]}-{c[4]}" for c in REQUIRED_INPUT_CASES],
)
def test_missing_required_input_is_a_validation_error_and_changes_nothing(
    status, role, action, kwargs, field, message, curator
):
    from django.core.exceptions import ValidationError

    referral = make_referral(status)
    actor = actor_of(referral, role, curator)
    before = snapshot(referral)

    with pytest.raises(ValidationError) as raised:
        SERVICE_FUNCTIONS[action](referral=referral, by=actor, version=referral.version, **kwargs)

    assert raised.value.message_dict[field] == [message]
    assert snapshot(referral) == before


def test_submitting_without_consent_is_refused_and_changes_nothing():
    from django.core.exceptions import ValidationError

    referral = make_referral("draft", patient_consent=False)
    before = snapshot(referral)
    with pytest.raises(ValidationError) as raised:
        services.referral_submit(referral=referral, by=referral.referring_gp, version=referral.version)
    assert raised.value.message_dict["patient_consent"] == [services.CONSENT_REQUIRED]
    assert snapshot(referral) == before


def test_the_whole_happy_path_records_every_step_in_order():
    import datetime

    from django.utils import timezone

    referral = make_referral("draft")
    gp, onc = referral.referring_gp, referral.oncologist.account
    r = services.referral_submit(referral=referral, by=gp, version=1)
    assert r.response_due_at is not None and r.submitted_at is not None
    r = services.referral_open(referral=r, by=onc, version=r.version)
    r = services.referral_request_info(referral=r, by=onc, version=r.version, question="Biopsy report?")
    r = services.referral_respond(referral=r, by=gp, version=r.version, answer="Pending.")
    r = services.referral_accept(referral=r, by=onc, version=r.version)
    when = timezone.now() + datetime.timedelta(days=3)
    r = services.referral_schedule(referral=r, by=onc, version=r.version, appointment_at=when, place="Suite 4")
    r = services.referral_complete(
        referral=r, by=onc, version=r.version, findings="Fibroadenoma.", recommendations="Follow-up in 6 months."
    )
    r = services.referral_acknowledge(referral=r, by=gp, version=r.version)

    assert r.status == Status.ACKNOWLEDGED
    assert r.version == 9
    assert list(r.events.values_list("action", flat=True)) == [
        "submit",
        "open",
        "request_info",
        "respond",
        "accept",
        "schedule",
        "complete",
        "acknowledge",
    ]
    assert r.first_response_at == r.info_requested_at
    assert r.answered_within_target is True
    assert all([r.first_reviewed_at, r.accepted_at, r.decided_at, r.scheduled_at, r.completed_at, r.acknowledged_at])


def test_only_drafts_can_be_deleted():
    draft = make_referral("draft")
    services.referral_delete_draft(referral=draft, by=draft.referring_gp, version=draft.version)
    assert not Referral.objects.filter(pk=draft.pk).exists()

    submitted = make_referral("submitted")
    with pytest.raises(services.ReferralConflict) as raised:
        services.referral_delete_draft(referral=submitted, by=submitted.referring_gp, version=submitted.version)
    assert raised.value.message == services.ONLY_DRAFTS_DELETED
    assert Referral.objects.filter(pk=submitted.pk).exists()


def test_referral_create_refuses_non_gps_and_non_oncologist_physicians(oncologist):
    from django.core.exceptions import ValidationError

    from tests.factories import GPFactory, PhysicianFactory, cancer_type

    data = {
        "patient_first_name": "Ada",
        "patient_last_name": "Quilliam",
        "patient_date_of_birth": "1961-03-14",
        "patient_phone": "212-555-0199",
        "cancer_type": cancer_type("lung"),
        "clinical_question": "Nodule on CT.",
        "patient_consent": True,
    }
    with pytest.raises(services.ReferralPermissionDenied):
        services.referral_create(by=oncologist, oncologist=oncologist.physician, data=data)
    with pytest.raises(ValidationError) as raised:
        services.referral_create(by=GPFactory(), oncologist=PhysicianFactory(), data=data)
    assert raised.value.message_dict["oncologist"] == [services.NOT_AN_ONCOLOGIST]
    assert Referral.objects.count() == 0

    created = services.referral_create(by=GPFactory(), oncologist=oncologist.physician, data=data, submit=True)
    assert created.status == Status.SUBMITTED
    assert created.reference.startswith("R-") and len(created.reference) == 10


def test_a_bad_icd10_code_is_refused():
    from django.core.exceptions import ValidationError

    referral = make_referral("draft")
    with pytest.raises(ValidationError) as raised:
        services.referral_update_draft(
            referral=referral, by=referral.referring_gp, version=referral.version, data={"icd10_code": "breast"}
        )
    assert "icd10_code" in raised.value.message_dict
    referral.refresh_from_db()
    assert referral.version == 1
