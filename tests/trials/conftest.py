from io import StringIO

import pytest
from django.core.management import call_command


@pytest.fixture
def import_trials(tmp_path):
    """Run the command as a curator would; returns the ImportRun it recorded, with its output."""
    from apps.registry.models import ImportRun

    def run(path, *args):
        out = StringIO()
        call_command("import_trials", str(path), "--no-progress", *args, stdout=out)
        imported = ImportRun.objects.order_by("-id").first()
        imported.output = out.getvalue()
        return imported

    return run
