"""Public pages: recruiting trials near a ZIP code (/trials/) and one trial with its sites nearest first."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from apps.common.conditional import public_page
from apps.common.paging import page_of

from .forms import TrialSearchForm, TrialSitesForm, nct_id_error
from .models import Trial, with_nearest_sites, with_sites

TRIALS_PER_PAGE = 20


@require_safe
@public_page
def trial_list(request):
    form = TrialSearchForm(request.GET or None)
    context = {"form": form, "searched": False, "notice": ""}
    if form.is_bound and form.is_valid():
        # Sorted by distance, every match is measured anyway: the page's query counts them too.
        page, context["notice"] = page_of(
            form.trials(Trial.objects.all()), request.GET.get("page"), per_page=TRIALS_PER_PAGE, count_with_page=True
        )
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            searched=True,
            page=page,
            trials=with_nearest_sites(list(page.object_list)),
            near=form.cleaned_data["near"],
            cancer=form.cleaned_data["cancer"] and form.cancer_by_slug[form.cleaned_data["cancer"]],
            query_string=query.urlencode(),
        )
    elif form.is_bound:
        context["error_list"] = [(name, form.fields[name].label, m) for name, ms in form.errors.items() for m in ms]
    return render(request, "trials/trial_list.html", context)


@require_safe
@public_page
def trial_detail(request, nct_id):
    error = nct_id_error(nct_id)
    if error:
        return render(request, "trials/trial_bad_id.html", {"nct_id": nct_id, "error": error}, status=400)
    trial = Trial.objects.prefetch_related("cancer_types").filter(nct_id=nct_id).first()
    if trial is None:
        raise Http404("No trial has this NCT id.")
    form = TrialSitesForm(request.GET)
    origin = form.origin
    context = {"trial": with_sites(trial, origin), "form": form, "near": form.cleaned_data["near"] if origin else ""}
    return render(request, "trials/trial_detail.html", context)
