from django.apps import AppConfig
from django.db.models.signals import post_migrate


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = "NPPES and NUCC registry imports"

    def ready(self):
        post_migrate.connect(_extract_zip_centroids, sender=self)


def _extract_zip_centroids(**kwargs):
    """Setting up (migrate) extracts the ZIP centroids imports read, once per `zipcodes` version: the
    extraction takes seconds and 150 MB, which the first import would otherwise pay."""
    from apps.registry import centroids

    centroids.extract()
