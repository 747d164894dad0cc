"""A GP's shortlists: add from the search or a profile, order, annotate, print, share by link, refer."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.models import Role
from apps.directory.models import Physician
from apps.directory.reference import describe_listing

from . import services
from .forms import ShortlistForm
from .models import Shortlist, ShortlistEntry


def gp_only(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if request.user.role != Role.GP:
            raise PermissionDenied("Shortlists are for referring GPs.")
        return view(request, *args, **kwargs)

    return wrapped


def _with_entries(queryset):
    """Each list with its entries in order, their physicians read as a search result row reads them."""
    physicians = Prefetch("physician", Physician.objects.for_listing())
    return queryset.prefetch_related(Prefetch("entries", ShortlistEntry.objects.prefetch_related(physicians)))


def _entries(shortlist) -> list[ShortlistEntry]:
    entries = list(shortlist.entries.all())
    describe_listing([entry.physician for entry in entries])
    return entries


@gp_only
@require_POST
def add(request, npi):
    physician = get_object_or_404(Physician.objects.active(), npi=npi)
    shortlist = services.current_shortlist(request.user)
    try:
        added = services.shortlist_add(shortlist=shortlist, physician=physician)
    except services.ShortlistFull as full:
        messages.error(request, str(full))
    else:
        said = "added to" if added else "already on"
        messages.success(request, f"{physician.display_name} is {said} your shortlist “{shortlist.title}”.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = shortlist.get_absolute_url()
    return redirect(back)


@gp_only
@require_safe
def current(request):
    return redirect(services.current_shortlist(request.user))


@gp_only
def detail(request, pk):
    shortlist = get_object_or_404(_with_entries(request.user.shortlists.all()), pk=pk)
    form = ShortlistForm(request.POST or None, instance=shortlist)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Shortlist saved.")
        return redirect(shortlist)
    context = {
        "shortlist": shortlist,
        "entries": _entries(shortlist),
        "form": form,
        "share_url": request.build_absolute_uri(shortlist.get_share_url()),
        "others": request.user.shortlists.exclude(pk=shortlist.pk)[:10],
    }
    return render(request, "shortlists/detail.html", context, status=400 if form.errors else 200)


@gp_only
@require_POST
def entry_action(request, pk, entry_pk, action):
    entry = get_object_or_404(ShortlistEntry, pk=entry_pk, shortlist__pk=pk, shortlist__owner=request.user)
    if action not in ("up", "down", "remove"):
        raise Http404("No such change.")
    if action == "up":
        services.shortlist_move(entry=entry, by=-1)
    elif action == "down":
        services.shortlist_move(entry=entry, by=1)
    else:
        services.shortlist_remove(entry=entry)
    return redirect(f"{entry.shortlist.get_absolute_url()}#entries")


@gp_only
@require_POST
def start(request):
    shortlist = Shortlist.objects.create(owner=request.user, title="New shortlist")
    return redirect(shortlist)


@require_safe
def shared(request, token):
    """The list as whoever holds its link sees it: the oncologists, in order, and the GP's note."""
    shortlist = get_object_or_404(_with_entries(Shortlist.objects.select_related("owner")), share_token=token)
    response = render(request, "shortlists/shared.html", {"shortlist": shortlist, "entries": _entries(shortlist)})
    response["X-Robots-Tag"] = "noindex"
    return response
