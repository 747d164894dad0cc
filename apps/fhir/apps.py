from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "apps.fhir"
    label = "fhir"
    verbose_name = "FHIR directory"
