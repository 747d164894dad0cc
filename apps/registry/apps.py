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
    """Setting up (migrate) extracts the ZIP places that searches and imports read (apps/directory/geo.py),
    once per `zipcodes` version: the extraction takes seconds and 150 MB, which the first search or import
    would otherwise pay. A server that cannot write it (a read-only var/) still migrates: a search or an
    import tries again and reports the error."""
    from apps.directory import geo

    try:
        geo.extract()
    except (OSError, subprocess.CalledProcessError) as error:
        logger.warning("ZIP centroids not extracted (%s): the first search or NPPES import will try again.", error)
