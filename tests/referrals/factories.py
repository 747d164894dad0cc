"""Referral factories and helpers to put a referral straight into any status."""

import datetime

import factory
from django.utils import timezone

from apps.referrals.models import Priority, Referral, Status, add_business_days
from tests.factories import GPFactory, OncologistUserFactory, PracticeLocationFactory, cancer_type


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    patient_first_name = "Ada"
    patient_last_name = "Quilliam"
    patient_date_of_birth = datetime.date(1961, 3, 14)
    patient_sex = "F"
    patient_phone = "212-555-0199"
    patient_email = "ada.quilliam@example.org"
    patient_mrn = "MRN-778812"
    patient_consent = True
    referring_gp = factory.SubFactory(GPFactory)
    oncologist = factory.LazyFunction(lambda: OncologistUserFactory().physician)
    cancer_type = factory.LazyFunction(lambda: cancer_type("breast"))
    icd10_code = "C50.911"
    clinical_question = "Palpable left breast lump, BI-RADS 5 on mammogram: please assess for biopsy."
    history = "Mother had breast cancer at 52."
    investigations = "Mammogram and ultrasound 2026-11-20."
    medications = "Lisinopril 10 mg daily."
    allergies = "Penicillin (rash)."
    priority = Priority.URGENT_SUSPECTED_CANCER
    status = Status.DRAFT


# Strings that appear only in the clinical content and the patient's identity: never in emails,
# URLs, logs, or the pages and API answers of people who may not see them.
CLINICAL_MARKERS = ("Quilliam", "BI-RADS", "Lisinopril", "Penicillin", "MRN-778812", "C50.911", "1961")
# And in the oncologist's outcome, once there is one.
OUTCOME_MARKERS = ("Invasive ductal carcinoma", "Neoadjuvant", "ER-positive", "Dear Dr")


def make_referral(status: str = Status.DRAFT, **kwargs) -> Referral:
    """A referral already in `status`, with the fields that status requires filled in."""
    now = timezone.now()
    fields: dict = {"status": status}
    if status != Status.DRAFT:
        fields["submitted_at"] = now - datetime.timedelta(hours=2)
        fields["response_due_at"] = add_business_days(now, 1)
    if status == Status.SCHEDULED:
        fields["appointment_at"] = now + datetime.timedelta(days=7)
        fields["appointment_place"] = "Cancer Center, Suite 4"
    if status == Status.REJECTED:
        fields["rejection_reason"] = "out_of_scope"
        fields["rejection_comment"] = "Please refer to hematology."
    if status in (Status.COMPLETED, Status.ACKNOWLEDGED):
        fields["outcome_findings"] = "Invasive ductal carcinoma, grade 2."
        fields["outcome_recommendations"] = "Neoadjuvant chemotherapy."
        fields["outcome_diagnosis"] = "ER-positive breast cancer, stage IIA."
        fields["outcome_letter"] = "Dear Dr Patel, I saw your patient today."
    fields.update(kwargs)
    return ReferralFactory(**fields)


def oncologist_user_for(referral: Referral):
    return referral.oncologist.account


def accepting_oncologist(**kwargs):
    """An oncologist account whose physician has a primary practice location accepting patients."""
    user = OncologistUserFactory(**kwargs)
    PracticeLocationFactory(physician=user.physician)
    return user
