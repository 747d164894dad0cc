"""Trials: the ClinicalTrials.gov import (apps.trials.pipeline), the matching of the people studies name
to directory physicians (apps.trials.matching), and the curators' decisions on those matches. The
commands and the admin call these functions. The import runs alone (the registry's import lock) and is
recorded as a registry ImportRun."""

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.registry.models import ImportRun
from apps.registry.pipeline.rejects import Rejects
from apps.registry.services import RegistryImportError, import_lock, recorded, start_run

from . import matching
from .models import InvestigatorMatch
from .pipeline import importer
from .pipeline.importer import DEFAULT_BATCH_SIZE
from .pipeline.read import TrialsFileError

__all__ = ["DEFAULT_BATCH_SIZE", "RegistryImportError", "trials_import"]

NO_NAME_MESSAGE = "This name has no words left once titles and credentials are set aside."


def trials_import(
    *,
    path: str | Path,
    rejects_path: str | Path | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = False,
    match: bool = True,
) -> ImportRun:
    """Import ClinicalTrials.gov studies (a bulk zip, a directory of study files, one study or a search
    response), then match the people they name to physicians. Idempotent; a run that dies part-way can
    simply be run again. Returns the finished ImportRun."""
    if batch_size < 1:
        raise RegistryImportError("The batch size must be at least 1.")
    path = Path(path)
    with import_lock():
        run = start_run(file_name=path.name, kind=ImportRun.Kind.CTGOV, dry_run=False)
        default_rejects = Path(settings.BASE_DIR) / "var" / "imports" / f"trials-rejects-{run.pk}.csv"
        rejects = Rejects(Path(rejects_path) if rejects_path else None, default_rejects, header=("file", "reason"))
        try:
            with recorded(run, readable_errors=(TrialsFileError,)):
                options = importer.Options(batch_size=batch_size, progress=progress)
                importer.import_path(run, path, rejects=rejects, options=options)
                if match:
                    matching.match_all()
        finally:
            rejects.close()
    return run


def investigator_match_decide(*, matches, by, confirm: bool) -> int:
    """A curator confirms or rejects pending (or automatic) matches; a decision is never undone by an
    import. Returns how many were decided."""
    status = InvestigatorMatch.Status.CONFIRMED if confirm else InvestigatorMatch.Status.REJECTED
    with transaction.atomic():
        return (
            InvestigatorMatch.objects.filter(
                pk__in=[m.pk for m in matches],
                status__in=[InvestigatorMatch.Status.PENDING, InvestigatorMatch.Status.AUTO],
            )
            .select_for_update()
            .update(status=status, decided_by=by, decided_at=timezone.now())
        )


def investigator_link(*, trial, name: str, physician, by) -> InvestigatorMatch:
    """A curator links a person a study names to a physician by hand (a confirmed match)."""
    key = matching.name_key(name)
    if not key:
        raise ValueError(NO_NAME_MESSAGE)
    with transaction.atomic():
        match, _ = InvestigatorMatch.objects.select_for_update().update_or_create(
            trial=trial,
            name_key=key,
            physician=physician,
            defaults={
                "name": name,
                "status": InvestigatorMatch.Status.CONFIRMED,
                "reasons": "curator",
                "decided_by": by,
                "decided_at": timezone.now(),
            },
        )
    return match
