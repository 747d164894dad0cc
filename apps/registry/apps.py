import logging
import subprocess

from django.apps import AppConfig
from django.db.models.signals import post_migrate

logger = logging.getLogger(__name__)


class RegistryConfig(AppConfig):
    name = "apps.registry"
    label = "registry"
    verbose_name = "NPPES and NUCC registry imports"

    def ready(self):
        post_migrate.connect(_extract_zip_centroids, sender=self)


def _extract_zip_centroids(**kwargs):
    """Setting up (migrate) extracts the ZIP centroids imports read, once per `zipcodes` version: the
    extraction takes seconds and 150 MB, which the first import would otherwise pay. A server that cannot
    write it (a read-only var/) still migrates: an import tries again and reports the error."""
    from apps.registry import centroids

    try:
        centroids.extract()
    except (OSError, subprocess.CalledProcessError) as error:
        logger.warning("ZIP centroids not extracted (%s): the first NPPES import will try again.", error)
