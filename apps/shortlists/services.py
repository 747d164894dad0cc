"""Every write to a shortlist: atomic, and only by its owner (the views pass the owner's own lists)."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.directory.models import Physician

from .models import Shortlist, ShortlistEntry

MAX_ENTRIES = 20


class ShortlistFull(Exception):
    pass


def current_shortlist(owner) -> Shortlist:
    """The GP's most recently changed shortlist, or a new one."""
    return owner.shortlists.first() or Shortlist.objects.create(owner=owner)


@transaction.atomic
def shortlist_add(*, shortlist: Shortlist, physician: Physician) -> bool:
    """Add `physician` at the end; False when already there."""
    locked = Shortlist.objects.select_for_update().get(pk=shortlist.pk)
    entries = locked.entries.all()
    if entries.filter(physician=physician).exists():
        return False
    if entries.count() >= MAX_ENTRIES:
        raise ShortlistFull(f"A shortlist holds {MAX_ENTRIES} oncologists at most: start another one.")
    last = entries.aggregate(last=Max("position"))["last"]
    ShortlistEntry.objects.create(shortlist=locked, physician=physician, position=0 if last is None else last + 1)
    locked.save(update_fields=["updated_at"])
    return True


@transaction.atomic
def shortlist_move(*, entry: ShortlistEntry, by: int) -> None:
    """Move an entry `by` places (-1: up, 1: down), swapping with its neighbour; at either end, nothing moves."""
    Shortlist.objects.select_for_update().get(pk=entry.shortlist_id)
    order = list(ShortlistEntry.objects.filter(shortlist_id=entry.shortlist_id))
    index = next(i for i, other in enumerate(order) if other.pk == entry.pk)
    if not 0 <= index + by < len(order):
        return
    order[index], order[index + by] = order[index + by], order[index]
    for position, moved in enumerate(order):
        moved.position = position
    ShortlistEntry.objects.bulk_update(order, ["position"])
    Shortlist.objects.filter(pk=entry.shortlist_id).update(updated_at=timezone.now())


def shortlist_remove(*, entry: ShortlistEntry) -> None:
    entry.delete()
