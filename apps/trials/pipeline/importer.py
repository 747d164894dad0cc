"""Run the import over a file, a batch of studies at a time: each batch commits on its own, so a run
killed part-way leaves whole studies written and the next run carries on (it skips the studies already
written, unchanged). Studies that left a full file are marked only once the whole file was read."""

from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from apps.registry.models import ImportRun
from apps.registry.pipeline.progress import Progress
from apps.registry.pipeline.rejects import Rejects

from ..models import Trial
from . import read, write

DEFAULT_BATCH_SIZE = 1000
COUNT_FIELDS = ["read", "matched", "created", "updated", "unchanged", "rejected", "deactivated"]


@dataclass
class Options:
    batch_size: int = DEFAULT_BATCH_SIZE
    progress: bool = False


def import_path(run: ImportRun, path: Path, *, rejects: Rejects, options: Options) -> None:
    """Import every study of `path` into the trials tables and record the counts on `run`."""
    known = dict(Trial.objects.values_list("nct_id", "content_hash"))
    seen: set[str] = set()
    batch: list[read.Document] = []
    bar = Progress.start(read.total_bytes(path) if path.exists() else 0, options.progress)
    with connection.cursor() as cursor:
        write.prepare(cursor)
    try:
        for item, done in read.documents(path, known):
            run.read += 1
            if isinstance(item, read.Unreadable):
                _reject(run, rejects, item.source, item.reason)
                seen.add(item.nct_id)
            elif item.data is None:
                run.unchanged += 1
                seen.add(item.nct_id)
            else:
                batch.append(item)
                if len(batch) >= options.batch_size:
                    _write(run, batch, seen, rejects)
                    batch = []
            bar.update(done, run.read)
        _write(run, batch, seen, rejects)
    finally:
        bar.close()
    # A study whose document was rejected is still in the file: it has not left (seen holds its NCT id
    # when its file name gives one).
    seen.discard(None)
    with transaction.atomic(), connection.cursor() as cursor:
        run.deactivated = write.mark_seen(cursor, seen, full=read.is_full(path))
    run.matched += run.unchanged
    run.rejects_path = str(rejects.path) if rejects.written else ""
    run.status = ImportRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()


def _write(run: ImportRun, batch: list[read.Document], seen: set[str], rejects: Rejects) -> None:
    if not batch:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        result = write.write_batch(cursor, [(doc.checksum, doc.data) for doc in batch])
        run.matched += len(result.kept)
        run.created += result.created
        run.updated += result.updated
        run.save(update_fields=COUNT_FIELDS)
    seen.update(result.kept)
    for n, reason in result.rejects:
        _reject(run, rejects, batch[n].source, reason)
        seen.add(batch[n].nct_id)


def _reject(run: ImportRun, rejects: Rejects, source: str, reason: str) -> None:
    run.rejected += 1
    rejects.add(source, reason)
