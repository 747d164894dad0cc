from django import forms
from django.core.exceptions import ValidationError

from .services import IMPORT_JOBS, inbox_files

ONE_FILE = "Choose a file from the inbox or upload one, not both."
DRY_RUN_NPPES_ONLY = "Only an NPPES import can be a dry run."


class ImportStartForm(forms.Form):
    """The admin's "Start an import": what to import, from the inbox or uploaded."""

    source = forms.ChoiceField(label="Registry", choices=[(key, label) for key, (label, _) in IMPORT_JOBS.items()])
    name = forms.ChoiceField(label="File in the inbox", required=False)
    upload = forms.FileField(label="Or upload a file", required=False)
    dry_run = forms.BooleanField(
        required=False, help_text="NPPES only: read and compare the file, write nothing, count what would change."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].choices = [("", "---------"), *((name, name) for name in inbox_files())]

    def clean(self):
        data = super().clean()
        if bool(data.get("name")) == bool(data.get("upload")):
            raise ValidationError(ONE_FILE)
        if data.get("dry_run") and data.get("source") != "nppes":
            self.add_error("dry_run", DRY_RUN_NPPES_ONLY)
        return data
