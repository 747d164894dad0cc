"""Demo referrals between the demo GP and the demo oncologist, in different states (called by seed_demo)."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from pypdf import PdfWriter

from apps.accounts.models import User
from apps.directory.demo import DEMO_GP_EMAIL, DEMO_ONCOLOGIST_EMAIL
from apps.directory.models import CancerType

from . import services
from .models import Referral


def demo_letter() -> bytes:
    """A real one-page (blank) PDF: uploads are parsed before they are accepted."""
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


PATIENTS = [
    # first name, last name, date of birth, cancer slug, priority, clinical question, target state
    ("Maria", "Demo-Alvarez", datetime.date(1958, 4, 2), "breast", "urgent_suspected_cancer",
     "Palpable 2 cm left breast mass, BI-RADS 5 on mammogram. Please assess for biopsy.", "draft"),
    ("James", "Demo-Okafor", datetime.date(1949, 11, 23), "lung", "urgent_suspected_cancer",
     "3 cm spiculated right upper lobe nodule on CT, 40 pack-year smoker.", "submitted_overdue"),
    ("Linda", "Demo-Chen", datetime.date(1971, 7, 9), "lymphoma", "urgent",
     "Persistent cervical lymphadenopathy for 8 weeks with night sweats.", "info_requested"),
    ("Robert", "Demo-Fischer", datetime.date(1962, 1, 30), "colorectal", "urgent",
     "Iron-deficiency anaemia and positive FIT; colonoscopy shows a sigmoid mass.", "accepted"),
    ("Aisha", "Demo-Rahman", datetime.date(1980, 9, 14), "melanoma", "routine",
     "Changing pigmented lesion on the back, 8 mm, irregular border.", "scheduled"),
    ("Peter", "Demo-Novak", datetime.date(1955, 3, 3), "prostate", "routine",
     "PSA 9.8 ng/mL rising over 12 months; MRI PI-RADS 4.", "completed"),
]  # fmt: skip


def _cancer_type(slug: str) -> CancerType:
    return CancerType.objects.filter(slug=slug).first() or CancerType.objects.order_by("name").first()


def seed_demo_referrals() -> int:
    """Create the demo referrals once; returns how many were created (0 when the accounts are missing or the
    demo GP already has referrals)."""
    gp = User.objects.gps().filter(email=DEMO_GP_EMAIL).first()
    oncologist = User.objects.oncologists().filter(email=DEMO_ONCOLOGIST_EMAIL).first()
    if gp is None or oncologist is None or Referral.objects.for_gp(gp).exists():
        return 0
    now = timezone.now()
    with transaction.atomic(), services.notifications_suppressed():
        for first, last, born, cancer, priority, question, target in PATIENTS:
            data = {
                "patient_first_name": first,
                "patient_last_name": last,
                "patient_date_of_birth": born,
                "patient_sex": "U",
                "patient_phone": "212-555-0100",
                "patient_consent": True,
                "cancer_type": _cancer_type(cancer),
                "clinical_question": question,
                "history": "Synthetic demo patient.",
                "priority": priority,
            }
            r = services.referral_create(by=gp, oncologist=oncologist.physician, data=data, submit=target != "draft")
            if target == "submitted_overdue":
                Referral.objects.filter(pk=r.pk).update(response_due_at=now - datetime.timedelta(hours=6))
                continue
            if target == "draft":
                services.attachment_add(
                    referral=r, by=gp, upload=SimpleUploadedFile("demo-mammogram-report.pdf", demo_letter())
                )
                continue
            r = services.referral_open(referral=r, by=oncologist, version=r.version)
            if target == "info_requested":
                services.referral_request_info(
                    referral=r, by=oncologist, version=r.version, question="Please send the latest blood count."
                )
                continue
            r = services.referral_accept(referral=r, by=oncologist, version=r.version)
            if target == "accepted":
                continue
            r = services.referral_schedule(
                referral=r,
                by=oncologist,
                version=r.version,
                appointment_at=now + datetime.timedelta(days=5),
                place="OncoDir Demo Cancer Center, Clinic B",
            )
            if target == "scheduled":
                continue
            services.referral_complete(
                referral=r,
                by=oncologist,
                version=r.version,
                findings="Synthetic demo findings.",
                diagnosis="Synthetic demo diagnosis.",
                recommendations="Active surveillance; repeat PSA in 3 months.",
            )
    return len(PATIENTS)
