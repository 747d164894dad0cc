"""Runs of the NPPES and NUCC imports, and the curator edits an import kept instead of the registry's value."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.directory.models import Physician, PracticeLocation


class ImportRun(models.Model):
    """One run of `import_nppes`, `import_nucc` or `import_trials`: what file, when, how it ended and what it did."""

    class Kind(models.TextChoices):
        FULL = "full", "NPPES full file"
        WEEKLY = "weekly", "NPPES weekly update"
        NUCC = "nucc", "NUCC taxonomy"
        CTGOV = "ctgov", "ClinicalTrials.gov studies"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # The process died (killed, machine restarted) before it finished; set by the next run.
        INCOMPLETE = "incomplete", "Incomplete (interrupted)"

    file_name = models.CharField(max_length=500)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    read = models.PositiveBigIntegerField("rows read", default=0)
    matched = models.PositiveBigIntegerField(default=0)
    created = models.PositiveBigIntegerField(default=0)
    updated = models.PositiveBigIntegerField(default=0)
    unchanged = models.PositiveBigIntegerField(default=0)
    deactivated = models.PositiveBigIntegerField(default=0)
    reactivated = models.PositiveBigIntegerField(default=0)
    rejected = models.PositiveBigIntegerField(default=0)
    duplicates = models.PositiveBigIntegerField(
        default=0, help_text="Rows superseded by a later row with the same NPI in the same file."
    )
    rejects_path = models.CharField("rejects file", max_length=500, blank=True)
    scan_reused = models.BooleanField(
        "scan reused",
        default=False,
        help_text="The file was unchanged since an earlier run scanned it: only the records that scan found were read.",
    )
    message = models.TextField(blank=True, help_text="Why the run failed, or what it was limited to.")
    locations_created = models.PositiveBigIntegerField("secondary locations created", default=0)
    locations_updated = models.PositiveBigIntegerField("secondary locations moved", default=0)
    locations_removed = models.PositiveBigIntegerField("secondary locations removed", default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=models.F("started_at")),
                name="importrun_finished_after_start",
                violation_error_message="An import run cannot finish before it started.",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class KeptEditQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved=False)


class KeptEdit(models.Model):
    """A physician field a curator changed since the last import, which the import kept instead of the
    registry's value. One row per physician and field, refreshed by each import, until a curator
    resolves it."""

    physician = models.ForeignKey(Physician, on_delete=models.CASCADE, related_name="kept_edits")
    field = models.CharField(max_length=40)
    curator_value = models.TextField(blank=True)
    registry_value = models.TextField(blank=True)
    import_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detected_at = models.DateTimeField()
    resolved = models.BooleanField(default=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = KeptEditQuerySet.as_manager()

    class Meta:
        verbose_name = "curator edit kept by an import"
        verbose_name_plural = "curator edits kept by imports"
        ordering = ["resolved", "-detected_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["physician", "field"],
                name="keptedit_one_per_physician_field",
                violation_error_message="This field of this physician is already listed for review.",
            ),
            models.CheckConstraint(
                condition=Q(resolved=False) | Q(resolved_at__isnull=False),
                name="keptedit_resolved_has_date",
                violation_error_message="A resolved edit needs the date it was resolved.",
            ),
        ]
        indexes = [
            # The admin's default list: open edits, newest first.
            models.Index(fields=["resolved", "-detected_at"], name="keptedit_open_recent"),
        ]

    def __str__(self):
        return f"{self.physician_id} {self.field}: {self.curator_value!r} kept over {self.registry_value!r}"


class NppesRecord(models.Model):
    """What the last NPPES import that compared a physician saw: a digest of the registry record (with the
    codes it imported) and a digest of the physician's tracked fields as the import left them. When both
    still match, nothing changed on either side, so a re-import knows the physician is unchanged from one
    query instead of reading and comparing every field. Physicians with a kept curator edit have none,
    so they are always compared in full."""

    # No foreign key in the database: checking one per physician at each batch's commit would cost as much
    # as writing the row, and a row left behind by a raw delete is harmless (ids are never reused, and the
    # check joins the physician). Deletes through the ORM still cascade.
    physician = models.OneToOneField(
        Physician, on_delete=models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    digest = models.CharField(max_length=32)
    state = models.CharField(max_length=32)

    class Meta:
        verbose_name = "NPPES record seen by an import"

    def __str__(self):
        return f"{self.physician_id}: {self.digest}"


class ScannedFile(models.Model):
    """A plain NPPES file an import scanned in full, and where the scan found its candidate records. An
    import of the same path, unchanged since (same size, inode and change time), reads just those
    records instead of scanning the whole file again (apps.registry.pipeline.memo)."""

    path = models.CharField(max_length=1000, unique=True)
    size = models.PositiveBigIntegerField()
    device = models.PositiveBigIntegerField()
    inode = models.PositiveBigIntegerField()
    modified_ns = models.BigIntegerField()
    changed_ns = models.BigIntegerField()
    scan_version = models.PositiveIntegerField()
    codes_key = models.CharField(max_length=64, help_text="Digest of the taxonomy codes the scan looked for.")
    records = models.PositiveBigIntegerField(help_text="Data records in the file.")
    found = models.BinaryField(
        help_text="Line, offset, length and NPI of each candidate record (64-bit integers, zlib-compressed)."
    )
    known_npis = models.BinaryField(
        help_text="The directory's NPIs when the file was scanned (64-bit integers, zlib-compressed)."
    )
    import_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    scanned_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.path


class SecondaryLocation(models.Model):
    """A practice location an import created from NPPES's secondary practice location file, with the
    registry values it last wrote there. Only these locations does an import move or remove, and only
    while their fields still equal the snapshot: one a curator edited stays as the curator left it."""

    location = models.OneToOneField(
        PracticeLocation, on_delete=models.CASCADE, primary_key=True, related_name="registry_secondary"
    )
    snapshot = models.JSONField(help_text="The location's fields as the import last wrote them.")

    def __str__(self):
        return str(self.location)
