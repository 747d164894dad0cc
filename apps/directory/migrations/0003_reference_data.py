"""Seed the oncology taxonomy codes of NUCC 25.1, the cancer types patients search by, and the boards."""

from django.db import migrations

# (code, display name, grouping, classification, specialization, category), from NUCC 25.1.
PHYSICIANS = "Allopathic & Osteopathic Physicians"
SPECIALTIES = [
    ("207RX0202X", "Medical Oncology Physician", "Internal Medicine", "Medical Oncology", "medical-oncology"),
    (
        "207RH0003X",
        "Hematology & Oncology Physician",
        "Internal Medicine",
        "Hematology & Oncology",
        "hematology-oncology",
    ),
    ("207RH0000X", "Hematology (Internal Medicine) Physician", "Internal Medicine", "Hematology", "hematology"),
    ("207ZH0000X", "Hematology (Pathology) Physician", "Pathology", "Hematology", "hematology"),
    ("2086X0206X", "Surgical Oncology Physician", "Surgery", "Surgical Oncology", "surgical-oncology"),
    ("2085R0001X", "Radiation Oncology Physician", "Radiology", "Radiation Oncology", "radiation-oncology"),
    ("2085R0203X", "Therapeutic Radiology Physician", "Radiology", "Therapeutic Radiology", "radiation-oncology"),
    (
        "207VX0201X",
        "Gynecologic Oncology Physician",
        "Obstetrics & Gynecology",
        "Gynecologic Oncology",
        "gynecologic-oncology",
    ),
    (
        "2080P0207X",
        "Pediatric Hematology & Oncology Physician",
        "Pediatrics",
        "Pediatric Hematology-Oncology",
        "pediatric-hematology-oncology",
    ),
    (
        "207LH0002X",
        "Hospice and Palliative Medicine (Anesthesiology) Physician",
        "Anesthesiology",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "207PH0002X",
        "Hospice and Palliative Medicine (Emergency Medicine) Physician",
        "Emergency Medicine",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "207QH0002X",
        "Hospice and Palliative Medicine (Family Medicine) Physician",
        "Family Medicine",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "207RH0002X",
        "Hospice and Palliative Medicine (Internal Medicine) Physician",
        "Internal Medicine",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "207VH0002X",
        "Hospice and Palliative Medicine (Obstetrics & Gynecology) Physician",
        "Obstetrics & Gynecology",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "2080H0002X",
        "Pediatric Hospice and Palliative Medicine Physician",
        "Pediatrics",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "2081H0002X",
        "Hospice and Palliative Medicine (Physical Medicine & Rehabilitation) Physician",
        "Physical Medicine & Rehabilitation",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "2084H0002X",
        "Hospice and Palliative Medicine (Psychiatry & Neurology) Physician",
        "Psychiatry & Neurology",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "2085H0002X",
        "Hospice and Palliative Medicine (Radiology) Physician",
        "Radiology",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
    (
        "2086H0002X",
        "Hospice and Palliative Medicine (Surgery) Physician",
        "Surgery",
        "Hospice and Palliative Medicine",
        "palliative-care",
    ),
]

CANCER_TYPES = [
    ("breast", "Breast cancer"),
    ("lung", "Lung cancer"),
    ("colorectal", "Colorectal cancer"),
    ("prostate", "Prostate cancer"),
    ("pancreatic", "Pancreatic cancer"),
    ("melanoma", "Melanoma and skin cancers"),
    ("leukemia", "Leukemia"),
    ("lymphoma", "Lymphoma"),
    ("myeloma", "Multiple myeloma"),
    ("brain", "Brain and spinal cord tumors"),
    ("head-and-neck", "Head and neck cancers"),
    ("gynecologic", "Gynecologic cancers"),
    ("ovarian", "Ovarian cancer"),
    ("cervical", "Cervical cancer"),
    ("uterine", "Uterine cancer"),
    ("sarcoma", "Sarcoma"),
    ("pediatric", "Childhood cancers"),
    ("kidney", "Kidney cancer"),
    ("bladder", "Bladder cancer"),
    ("liver", "Liver cancer"),
    ("stomach-esophageal", "Stomach and esophageal cancers"),
    ("thyroid", "Thyroid cancer"),
    ("testicular", "Testicular cancer"),
    ("neuroendocrine", "Neuroendocrine tumors"),
]

BOARDS = [
    ("ABIM", "American Board of Internal Medicine", "abms"),
    ("ABS", "American Board of Surgery", "abms"),
    ("ABR", "American Board of Radiology", "abms"),
    ("ABOG", "American Board of Obstetrics and Gynecology", "abms"),
    ("ABP", "American Board of Pediatrics", "abms"),
    ("ABPath", "American Board of Pathology", "abms"),
    ("ABFM", "American Board of Family Medicine", "abms"),
    ("ABU", "American Board of Urology", "abms"),
    ("ABOto", "American Board of Otolaryngology - Head and Neck Surgery", "abms"),
    ("ABD", "American Board of Dermatology", "abms"),
    ("AOBIM", "American Osteopathic Board of Internal Medicine", "aoa"),
    ("AOBR", "American Osteopathic Board of Radiology", "aoa"),
    ("AOBOG", "American Osteopathic Board of Obstetrics and Gynecology", "aoa"),
    ("AOBS", "American Osteopathic Board of Surgery", "aoa"),
    ("AOBP", "American Osteopathic Board of Pediatrics", "aoa"),
    ("AOBFP", "American Osteopathic Board of Family Physicians", "aoa"),
]


def seed(apps, schema_editor):
    Specialty = apps.get_model("directory", "Specialty")
    CancerType = apps.get_model("directory", "CancerType")
    Board = apps.get_model("directory", "Board")
    for code, display, classification, specialization, category in SPECIALTIES:
        Specialty.objects.update_or_create(
            code=code,
            defaults={
                "display_name": display,
                "grouping": PHYSICIANS,
                "classification": classification,
                "specialization": specialization,
                "category": category,
            },
        )
    for slug, name in CANCER_TYPES:
        CancerType.objects.update_or_create(slug=slug, defaults={"name": name})
    for code, name, kind in BOARDS:
        Board.objects.update_or_create(code=code, defaults={"name": name, "kind": kind})


def unseed(apps, schema_editor):
    apps.get_model("directory", "Specialty").objects.filter(code__in=[s[0] for s in SPECIALTIES]).delete()
    apps.get_model("directory", "CancerType").objects.filter(slug__in=[c[0] for c in CANCER_TYPES]).delete()
    apps.get_model("directory", "Board").objects.filter(code__in=[b[0] for b in BOARDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_initial")]

    operations = [migrations.RunPython(seed, unseed)]
