"""The carriers most US patients are insured by, with the plan types each sells: what the search's insurance menu
starts from. Curators add others in the admin; a payer's feed adds its named plans."""

from django.db import migrations

CARRIERS = [
    # slug, name, plan types
    ("aetna", "Aetna", ["hmo", "ppo", "pos", "medicare-advantage"]),
    ("anthem", "Anthem Blue Cross Blue Shield", ["hmo", "ppo", "epo", "medicare-advantage", "medicaid"]),
    ("bcbs", "Blue Cross Blue Shield (other plans)", ["hmo", "ppo", "medicare-advantage"]),
    ("cigna", "Cigna", ["hmo", "ppo", "epo", "pos"]),
    ("humana", "Humana", ["hmo", "ppo", "medicare-advantage"]),
    ("kaiser", "Kaiser Permanente", ["hmo", "medicare-advantage", "medicaid"]),
    ("medicaid", "Medicaid", ["medicaid"]),
    ("medicare", "Medicare", ["medicare"]),
    ("molina", "Molina Healthcare", ["medicare-advantage", "medicaid"]),
    ("oscar", "Oscar Health", ["epo"]),
    ("tricare", "TRICARE", ["tricare"]),
    ("uhc", "UnitedHealthcare", ["hmo", "ppo", "epo", "pos", "medicare-advantage", "medicaid"]),
]


def seed(apps, schema_editor):
    Carrier = apps.get_model("directory", "InsuranceCarrier")
    Plan = apps.get_model("directory", "InsurancePlan")
    for slug, name, plan_types in CARRIERS:
        carrier, _ = Carrier.objects.update_or_create(slug=slug, defaults={"name": name})
        for plan_type in plan_types:
            Plan.objects.get_or_create(carrier=carrier, plan_type=plan_type, name="")


def unseed(apps, schema_editor):
    slugs = [slug for slug, _, _ in CARRIERS]
    apps.get_model("directory", "InsurancePlan").objects.filter(carrier__slug__in=slugs).delete()
    apps.get_model("directory", "InsuranceCarrier").objects.filter(slug__in=slugs).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0020_insurance")]

    operations = [migrations.RunPython(seed, unseed)]
