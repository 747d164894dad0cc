"""Referral pages for GPs, oncologists and curators. Thin: forms parse, services write, permissions decide."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import Role, User
from apps.directory.models import Physician

from . import services
from .access import log_access
from .forms import ACTION_FORMS, AttachmentForm, MessageForm, ReferralForm
from .models import AccessLog, Priority, Referral, Status
from .permissions import visible_referrals
from .stats import oncologist_figures as compute_figures

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
    return get_object_or_404(visible_referrals(request.user).select_related("oncologist", "referring_gp"), pk=pk)


@signed_in
@require_GET
def referral_list(request):
    user = request.user
    if user.role == Role.CURATOR:
        return redirect("referrals:figures")
    if user.role == Role.GP:
        mine = visible_referrals(user)
        # Everything still moving, and the closed ones a page at a time (most recent first): the page stays
        # fast for busy GPs, and every closed referral can still be reached.
        referrals = list(mine.exclude(status__in=services.FINAL_STATUSES).for_list())
        closed = mine.filter(status__in=services.FINAL_STATUSES).for_list().order_by("-updated_at", "-pk")
        closed_page = Paginator(closed, RECENT_CLOSED_SHOWN).get_page(request.GET.get("closed_page"))
        referrals += list(closed_page)
        log_access(request, action=AccessLog.Action.LIST, object_type="referral")
        overdue = [r for r in referrals if r.is_overdue]
        groups = []
        for status in GP_GROUP_ORDER:
            items = [r for r in referrals if r.status == status and not r.is_overdue]
            if items:
                groups.append((status.label, items))
        return render(
            request, "referrals/gp_dashboard.html", {"overdue": overdue, "groups": groups, "closed_page": closed_page}
        )
    if user.role == Role.ONCOLOGIST:
        statuses = [s for s in request.GET.getlist("status") if s in Status.values] or INBOX_DEFAULT_STATUSES
        priorities = [p for p in request.GET.getlist("priority") if p in Priority.values]
        referrals = visible_referrals(user).filter(status__in=statuses)
        if priorities:
            referrals = referrals.filter(priority__in=priorities)
        page = Paginator(referrals.for_list(), INBOX_SHOWN).get_page(request.GET.get("page"))
        log_access(request, action=AccessLog.Action.LIST, object_type="referral")
        filters = urlencode([("status", s) for s in statuses] + [("priority", p) for p in priorities])
        context = {
            "referrals": list(page),
            "page": page,
            "filters": filters,
            "status_choices": [(s, Status(s).label, s in statuses) for s in Status.values if s != Status.DRAFT],
            "priority_choices": [(p, Priority(p).label, p in priorities) for p in Priority.values],
        }
        return render(request, "referrals/oncologist_inbox.html", context)
    raise PermissionDenied


@signed_in
def referral_create(request, npi):
    if request.user.role != Role.GP:
        raise PermissionDenied(services.ONLY_GPS_REFER)
    physician = get_object_or_404(Physician.objects.active(), npi=npi)
    accepting = physician.locations.filter(accepting_new_patients=True).exists()
    has_account = User.objects.oncologists().filter(physician=physician).exists()
    form = ReferralForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        duplicates = list(
            Referral.objects.for_gp(request.user).duplicates_of(
                first_name=data["patient_first_name"],
                last_name=data["patient_last_name"],
                date_of_birth=data["patient_date_of_birth"],
                oncologist=physician,
            )
        )
        if duplicates and not request.POST.get("confirm_duplicate"):
            messages.warning(request, "This patient already has an open referral to this oncologist.")
        else:
            submit = "submit" in request.POST
            try:
                referral = services.referral_create(by=request.user, oncologist=physician, data=data, submit=submit)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                log_access(request, action=AccessLog.Action.CREATE, obj=referral)
                messages.success(
                    request, f"Referral {referral.reference} {'submitted' if submit else 'saved as a draft'}."
                )
                return redirect(referral)
    context = {
        "form": form,
        "physician": physician,
        "accepting": accepting,
        "has_account": has_account,
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
    if not services.is_referring_gp(request.user, referral):
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
    actions = services.available_actions(referral, request.user)
    action_forms = forms or {}
    for name in actions:
        action_forms.setdefault(name, ACTION_FORMS[name](initial={"version": referral.version}))
    return {
        "referral": referral,
        "events": referral.events.select_related("actor"),
        "thread": referral.messages.select_related("author"),
        "attachments": referral.attachments.all(),
        "actions": [(name, action_forms[name]) for name in actions],
        "message_form": MessageForm(),
        "attachment_form": AttachmentForm(),
        "can_attach": referral.status not in (*services.FINAL_STATUSES, Status.COMPLETED)
        and (
            services.is_referring_gp(request.user, referral) or services.is_receiving_oncologist(request.user, referral)
        ),
        "can_message": referral.status not in (Status.DRAFT, Status.ENTERED_IN_ERROR)
        and (
            services.is_referring_gp(request.user, referral) or services.is_receiving_oncologist(request.user, referral)
        ),
        "is_gp": services.is_referring_gp(request.user, referral),
        "is_oncologist": services.is_receiving_oncologist(request.user, referral),
    }


@signed_in
@require_GET
def referral_detail(request, pk):
    referral = _visible(request, pk)
    if referral.status == Status.SUBMITTED and services.is_receiving_oncologist(request.user, referral):
        # Opening a submitted referral puts it under review: the GP sees it has been read.
        try:
            referral = services.referral_open(referral=referral, by=request.user, version=referral.version)
            log_access(request, action=AccessLog.Action.TRANSITION, obj=referral, detail="open")
        except services.ReferralConflict:
            referral.refresh_from_db()  # someone acted first (the GP cancelled, say): show what it is now
    log_access(request, action=AccessLog.Action.VIEW, obj=referral)
    return render(request, "referrals/referral_detail.html", _detail_context(request, referral))


@signed_in
def referral_action(request, pk, action):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    referral = _visible(request, pk)
    if action.replace("-", "_") not in services.ACTION_FUNCTIONS:
        raise Http404("No such action.")
    name = action.replace("-", "_")
    form = ACTION_FORMS[name](request.POST)
    status = 400
    if form.is_valid():
        try:
            result = services.ACTION_FUNCTIONS[name](referral=referral, by=request.user, **form.service_kwargs())
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
    referral.refresh_from_db()
    log_access(request, action=AccessLog.Action.VIEW, obj=referral)
    return render(
        request, "referrals/referral_detail.html", _detail_context(request, referral, {name: form}), status=status
    )


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
            return redirect(referral)
        log_access(request, action=AccessLog.Action.CREATE, obj=message)
        return redirect(f"{referral.get_absolute_url()}#messages")
    context = _detail_context(request, referral)
    context["message_form"] = form
    return render(request, "referrals/referral_detail.html", context, status=400)


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
            form.add_error("file", conflict.message)
            status = 409
        except ValidationError as error:
            _add_errors(form, error)
        else:
            log_access(request, action=AccessLog.Action.CREATE, obj=attachment)
            messages.success(request, "File attached.")
            return redirect(f"{referral.get_absolute_url()}#attachments")
    context = _detail_context(request, referral)
    context["attachment_form"] = form
    return render(request, "referrals/referral_detail.html", context, status=status)


@signed_in
@require_GET
def attachment_download(request, pk, attachment_pk):
    referral = _visible(request, pk)
    attachment = get_object_or_404(referral.attachments, pk=attachment_pk)
    try:
        handle = open(attachment.path, "rb")  # noqa: SIM115 - FileResponse closes it
    except FileNotFoundError as missing:
        raise Http404("The file is missing.") from missing
    log_access(request, action=AccessLog.Action.DOWNLOAD, obj=attachment)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@signed_in
@require_GET
def oncologist_figures(request):
    if request.user.role != Role.CURATOR:
        raise PermissionDenied
    return render(request, "referrals/figures.html", {"rows": compute_figures()})
