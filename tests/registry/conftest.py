from io import StringIO

import pytest
from django.core.management import call_command

from .nppes_files import NUCC


@pytest.fixture
def nucc(db):
    """Every NUCC 25.1 code, as `import_nucc` loads them."""
    call_command("import_nucc", str(NUCC), stdout=StringIO())


@pytest.fixture
def import_nppes(tmp_path):
    """Run the command as a curator would; returns the ImportRun it recorded."""
    from apps.registry.models import ImportRun

    def run(path, *args):
        out = StringIO()
        call_command("import_nppes", str(path), "--no-progress", *args, stdout=out)
        imported = ImportRun.objects.order_by("-id").first()
        imported.output = out.getvalue()
        return imported

    return run
