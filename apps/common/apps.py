from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommonConfig(AppConfig):
    name = "apps.common"
    label = "common"

    def ready(self):
        from . import (
            checks,  # noqa: F401 (registers the deploy checks)
            jobs,
            metrics,
        )
        from .db_roles import restrict_app_role

        # Once per migrate (sent for each app; this one's is enough), after every migration ran.
        post_migrate.connect(restrict_app_role, sender=self, dispatch_uid="restrict_app_role")
        metrics.SCRAPE_COLLECTORS.append(jobs.QueueCollector())
