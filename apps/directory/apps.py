from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "apps.directory"
    label = "directory"
    verbose_name = "Directory"

    def ready(self):
        from django.db.models.signals import post_delete, post_migrate, post_save

        from .changes import version_bump_on_migrate
        from .reference import TABLES, forget

        post_migrate.connect(version_bump_on_migrate, sender=self, dispatch_uid="directory-version-release")

        for model in TABLES:
            post_save.connect(forget, sender=model, dispatch_uid=f"reference-forget-save-{model.__name__}")
            post_delete.connect(forget, sender=model, dispatch_uid=f"reference-forget-delete-{model.__name__}")
