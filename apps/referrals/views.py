"""Referral pages for GPs, oncologists and curators. Thin: forms parse, services write, permissions decide."""

from functools import wraps
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import Role, User
from apps.directory.models import Physician

from . import charts, services
from .access import log_access, log_list, log_refused
from .downloads import attachment_response
from .filters import ReferralListFilter
from .forms import AttachmentForm, MessageForm, ReferralForm
from .models import FINAL_STATUSES, AccessLog, Priority, Referral, Status

GP_GROUP_ORDER = [
    Status.INFO_REQUESTED,
    Status.COMPLETED,
    Status.DRAFT,
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.ACCEPTED,
    Status.SCHEDULED,
    Status.ACKNOWLEDGED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.FAILED,
    Status.ENTERED_IN_ERROR,
]
RECENT_CLOSED_SHOWN = 50  # closed referrals a page of the GP's dashboard shows
INBOX_SHOWN = 50  # referrals a page of the oncologist's inbox shows
INBOX_DEFAULT_STATUSES = [
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.INFO_REQUESTED,
    Status.ACCEPTED,
    Status.SCHEDULED,
]


def signed_in(view):
    """Referral pages answer 403 (with a sign-in link) to anonymous visitors, never a page of data."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            login = f"{reverse('accounts:login')}?next={request.path}"
            return render(request, "referrals/signed_out.html", {"login_url": login}, status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _visible(request, pk) -> Referral:
    """The referral, when `request.user` may see it; a logged refusal (404) otherwise."""
    try:
        return get_object_or_404(
            Referral.objects.visible_to(request.user).select_related("oncologist", "referring_gp", "cancer_type"), pk=pk
        )
    except Http404:
        log_refused(request, referral_id=pk, channel="page")
        raise


@signed_in
@require_GET
def referral_list(request):
    user = request.user
    if user.role == Role.CURATOR:
        return redirect("referrals:figures")
    if user.role == Role.GP:
        return _gp_dashboard(request)
    if user.role == Role.ONCOLOGIST:
        return _oncologist_inbox(request)
    raise PermissionDenied


def _gp_dashboard(request):
    mine = Referral.objects.visible_to(request.user)
    # Everything still moving, and the closed ones a page at a time (most recent first): the page stays
    # fast for busy GPs, and every closed referral can still be reached.
    referrals = list(mine.exclude(status__in=FINAL_STATUSES).for_list())
    closed = mine.filter(status__in=FINAL_STATUSES).for_list().order_by("-updated_at", "-pk")
    closed_page = Paginator(closed, RECENT_CLOSED_SHOWN).get_page(request.GET.get("closed_page"))
    referrals += list(closed_page)
    log_list(request, referrals, channel="page")
    overdue = [r for r in referrals if r.is_overdue]
    groups = []
    for status in GP_GROUP_ORDER:
        items = [r for r in referrals if r.status == status and not r.is_overdue]
        if items:
            groups.append((status.label, items))
    context = {"overdue": overdue, "groups": groups, "closed_page": closed_page}
    return render(request, "referrals/gp_dashboard.html", context)


def _oncologist_inbox(request):
    filters = ReferralListFilter(request.GET)
    context = {"filter_form": filters, "referrals": [], "page": None}
    statuses, priorities = INBOX_DEFAULT_STATUSES, []
    if filters.is_valid():
        referrals = filters.filter(Referral.objects.visible_to(request.user), default_statuses=INBOX_DEFAULT_STATUSES)
        page = Paginator(referrals.for_list(), INBOX_SHOWN).get_page(request.GET.get("page"))
        log_list(request, page.object_list, channel="page")
        statuses = filters.cleaned_data["status"] or INBOX_DEFAULT_STATUSES
        priorities = filters.cleaned_data["priority"]
        context.update(referrals=list(page), page=page)
    context.update(
        filters=urlencode([("status", s) for s in statuses] + [("priority", p) for p in priorities]),
        status_choices=[(s, Status(s).label, s in statuses) for s in Status.values if s != Status.DRAFT],
        priority_choices=[(p, Priority(p).label, p in priorities) for p in Priority.values],
    )
    status = 200 if filters.is_valid() else 400
    return render(request, "referrals/oncologist_inbox.html", context, status=status)


@signed_in
def referral_create(request, npi):
    if request.user.role != Role.GP:
        raise PermissionDenied(services.ONLY_GPS_REFER)
    physician = get_object_or_404(Physician.objects.active(), npi=npi)
    form = ReferralForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            referral = services.referral_create(
                by=request.user,
                oncologist=physician,
                data=form.service_data(),
                submit=submit,
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
            )
        except services.DuplicateReferral as duplicate:
            duplicates = duplicate.duplicates
            _add_errors(form, duplicate)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            log_access(request, action=AccessLog.Action.CREATE, obj=referral)
            messages.success(request, f"Referral {referral.reference} {'submitted' if submit else 'saved as a draft'}.")
            return redirect(referral)
    context = {
        "form": form,
        "physician": physician,
        # The warning is for a known no at every location: not knowing is no reason to look elsewhere.
        "accepting": physician.locations.exclude(accepting_new_patients=False).exists(),
        "has_account": User.objects.oncologists().filter(physician=physician).exists(),
        "duplicates": duplicates,
    }
    return render(request, "referrals/referral_form.html", context, status=400 if form.errors else 200)


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@signed_in
def referral_edit(request, pk):
    referral = _visible(request, pk)
    if not referral.referred_by(request.user):
        raise PermissionDenied(services.NOT_A_PARTY)
    form = ReferralForm(request.POST or None, instance=referral)
    status = 200
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = 0
        if form.is_valid():
            try:
                referral = services.referral_update_draft(
                    referral=referral, by=request.user, version=version, data=form.service_data()
                )
                log_access(request, action=AccessLog.Action.UPDATE, obj=referral)
                if "submit" in request.POST:
                    referral = services.referral_submit(referral=referral, by=request.user, version=referral.version)
                    log_access(request, action=AccessLog.Action.TRANSITION, obj=referral, detail="submit")
                return redirect(referral)
            except services.ReferralConflict as conflict:
                messages.error(request, conflict.message)
                status = 409
            except ValidationError as error:
                _add_errors(form, error)
        status = 400 if status == 200 else status
    else:
        log_access(request, action=AccessLog.Action.VIEW, obj=referral, detail="edit")
    context = {
        "form": form,
        "physician": referral.oncologist,
        "referral": referral,
        "accepting": True,
        "has_account": True,
    }
    return render(request, "referrals/referral_form.html", context, status=status)


@signed_in
@require_POST
def referral_delete(request, pk):
    referral = _visible(request, pk)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.referral_delete_draft(referral=referral, by=request.user, version=version)
    except services.ReferralConflict as conflict:
        messages.error(request, conflict.message)
        return redirect(referral)
    log_access(request, action=AccessLog.Action.DELETE, obj=referral)
    messages.success(request, f"Draft {referral.reference} deleted.")
    return redirect("referrals:list")


def _detail_context(request, referral, forms=None):
    user = request.user
    shown_forms = forms or {}
    actions = []
    for name in services.available_actions(referral, user):
        transition = services.TRANSITIONS[name]
        form = shown_forms.get(name) or transition.form(initial={"version": referral.version})
        actions.append({"name": name, "label": transition.label, "form": form})
    events = [("event", event) for event in referral.events.select_related("actor")]
    messages_ = [("message", message) for message in referral.messages.select_related("author")]
    return {
        "referral": referral,
        "summary": _summary(referral, user),
        # messages and events as one story, oldest first
        "timeline": sorted([*events, *messages_], key=lambda entry: entry[1].created_at),
        "attachments": referral.attachments.all(),
        "actions": actions,
        "message_form": shown_forms.get("message") or MessageForm(),
        "attachment_form": shown_forms.get("attachment") or AttachmentForm(),
        "can_attach": referral.takes_attachments and referral.is_party(user),
        "can_message": referral.takes_messages and referral.is_party(user),
        "is_gp": referral.referred_by(user),
    }


def _summary(referral, user) -> dict:
    """Who the referral waits on (you, or the other party by name) and what happens next."""
    step = services.NEXT_STEPS[referral.status]
    waiting_on = {Role.GP: referral.referring_gp.full_name, Role.ONCOLOGIST: referral.oncologist.display_name}
    return {
        "next_step": step.text,
        "waiting_on_you": step.waiting_on is not None and step.waiting_on == user.role and referral.is_party(user),
        "waiting_on": waiting_on.get(step.waiting_on, ""),
    }


def _show_again(request, referral, status, forms):
    """The detail page again, with the form that failed and its errors."""
    referral.refresh_from_db()
    log_access(request, action=AccessLog.Action.VIEW, obj=referral)
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral, forms), status=status)


@signed_in
@require_GET
def referral_detail(request, pk):
    referral = _visible(request, pk)
    referral, opened = services.referral_read(referral=referral, by=request.user)
    if opened:
        log_access(request, action=AccessLog.Action.TRANSITION, obj=referral, detail="open")
    log_access(request, action=AccessLog.Action.VIEW, obj=referral)
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


@signed_in
@require_GET
def referral_letter(request, pk):
    """The referral as a letter for the receiving practice, laid out for print."""
    referral = _visible(request, pk)
    log_access(request, action=AccessLog.Action.VIEW, obj=referral, detail="letter")
    context = {"referral": referral, "attachments": referral.attachments.all(), "printed_at": timezone.now()}
    return render(request, "referrals/referral_letter.html", context)


@signed_in
def referral_action(request, pk, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    referral = _visible(request, pk)
    name = action.replace("-", "_")
    transition = services.TRANSITIONS.get(name)
    if transition is None:
        raise Http404("No such action.")
    form = transition.form(request.POST)
    status = 400
    if form.is_valid():
        try:
            result = transition.service(referral=referral, by=request.user, **form.service_kwargs())
        except services.ReferralConflict as conflict:
            messages.error(request, conflict.message)
            status = 409
        except ValidationError as error:
            _add_errors(form, error)
        else:
            log_access(request, action=AccessLog.Action.TRANSITION, obj=referral, detail=name)
            if name == "re_refer":
                log_access(request, action=AccessLog.Action.CREATE, obj=result)
                messages.success(request, f"New draft {result.reference} created: check it and submit it.")
                return redirect("referrals:edit", pk=result.pk)
            messages.success(request, f"Referral {result.reference}: {Status(result.status).label.lower()}.")
            return redirect(result)
    return _show_again(request, referral, status, {name: form})


@signed_in
@require_POST
def message_create(request, pk):
    referral = _visible(request, pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            message = services.message_create(referral=referral, by=request.user, body=form.cleaned_data["body"])
        except services.ReferralConflict as conflict:
            messages.error(request, conflict.message)
            return _show_again(request, referral, 409, {"message": form})
        except ValidationError as error:
            _add_errors(form, error)
        else:
            log_access(request, action=AccessLog.Action.CREATE, obj=message)
            return redirect(f"{referral.get_absolute_url()}#messages")
    return _show_again(request, referral, 400, {"message": form})


@signed_in
@require_POST
def attachment_upload(request, pk):
    referral = _visible(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            attachment = services.attachment_add(referral=referral, by=request.user, upload=form.cleaned_data["file"])
        except services.ReferralConflict as conflict:
            messages.error(request, conflict.message)  # about the referral, not the file: as the API says it
            status = 409
        except ValidationError as error:
            _add_errors(form, error)
        else:
            log_access(request, action=AccessLog.Action.CREATE, obj=attachment)
            messages.success(request, "File attached.")
            return redirect(f"{referral.get_absolute_url()}#attachments")
    return _show_again(request, referral, status, {"attachment": form})


@signed_in
@require_GET
def attachment_download(request, pk, attachment_pk):
    referral = _visible(request, pk)
    attachment = get_object_or_404(referral.attachments, pk=attachment_pk)
    return attachment_response(request, attachment, channel="page")


@signed_in
@require_GET
def oncologist_figures(request):
    if request.user.role != Role.CURATOR:
        raise PermissionDenied("The referral figures are for curators.")
    figures = {name: build() for name, build in charts.FIGURES.items()}
    return render(request, "referrals/figures.html", {"figures": figures})


@signed_in
@require_GET
@csp_update({"style-src": ["'unsafe-inline'"]})  # the chart's own <style>; an SVG shown as an image runs no script
def figure_chart(request, name):
    if request.user.role != Role.CURATOR:
        raise PermissionDenied("The referral figures are for curators.")
    if name not in charts.FIGURES:
        raise Http404("No such figure.")
    return HttpResponse(charts.FIGURES[name]().svg(), content_type="image/svg+xml")
