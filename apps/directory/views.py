"""Public pages: the home page's search form, the results page, the physician profile and its problem report."""

import json
import math
import re
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import _json_script_escapes
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_safe

from apps.common.conditional import public_page
from apps.common.paging import MAX_PAGES, capped_page_of, page_of, requested_page
from apps.common.throttling import ListingReportRateThrottle
from apps.trials.models import InvestigatorMatch, practice_origin

from . import display, services
from . import forms as search_forms
from .filters import BY_NAME, FACETED, PARAMETERS, PhysicianFilterSet
from .geo import zip_centroid
from .models import Physician
from .reference import describe_listing

RESULTS_PER_PAGE = 20
# Counted no further (the page says "more than ..."): by a bitmap of the filters' indexes, cheap; by the
# nearest-first walk, each result is ~40 us at 1,000,000 physicians, so that count stops sooner.
COUNT_CAP = 1_000
NEAREST_COUNT_CAP = 100
# earth_distance() uses a sphere of this radius (earthdistance's earth()); the profile uses the same, so a
# distance on the profile is the one the results page showed.
EARTH_RADIUS_MILES = 6378168 / 1609.344
MAX_SHOWN_UNKNOWN_PARAMETERS = 5


@require_safe
@public_page
def home(request):
    filterset = PhysicianFilterSet(queryset=Physician.objects.none())
    return render(request, "directory/home.html", {"form": filterset.form})


@require_safe
@public_page
def physician_list(request):
    search = PhysicianFilterSet(request.GET, queryset=Physician.objects.active())
    form = search.form
    # The search as run: with what the box said read out of `q` (search.reading), so links keep that reading.
    params = form.data
    query_strings = _QueryStrings(params)
    context = {
        "form": form,
        "filterset": search,
        "notices": _unknown_parameter_notices(request.GET),
        "page": None,
        "facets": None,
    }
    if search.is_valid():
        page, page_notice, counted = _results_page(search, request.GET.get("page"))
        results = list(page.object_list)
        if page_notice:
            context["notices"].append(page_notice)
        _describe_results(results, form)
        context.update(
            searched=True,
            page=page,
            results=results,
            facets=counted.facets if counted else None,
            sort=search.effective_sort,
            near=form.cleaned_data.get("near"),
            **_trials_link(form),
            active_filters=_active_filters(query_strings, search),
            widen_radius=_wider_radius(form),
            query_string=query_strings(drop=("page",)),
            reading=_reading(request.GET, search),
        )
    else:
        context["error_list"] = [
            (name, form.fields[name].label if name in form.fields else "", message)
            for name, messages in form.errors.items()
            for message in messages
        ]
    more = [p.name for p in PARAMETERS if p.more]
    context["more_filters_open"] = any(request.GET.get(name) for name in more) or bool(set(form.errors) & set(more))
    facets = context["facets"] or {}
    context["facet_links"] = [
        {
            "label": form.fields[p.name].label,
            "links": _facet_links(
                params, query_strings, p.name, form.fields[p.name].menu_choices[1:], facets.get(p.name)
            ),
        }
        for p in FACETED
    ]
    return render(request, "directory/physician_list.html", context)


@require_safe
@public_page
def physician_detail(request, npi, slug=None):
    if not re.fullmatch(r"[0-9]{10}", npi):
        raise Http404("No physician has this NPI.")
    physician = Physician.objects.for_profile().with_open_reports().filter(npi=npi).first()
    if physician is None:
        raise Http404("No physician has this NPI.")
    if not physician.is_active:
        return render(request, "directory/physician_gone.html", {"physician": physician}, status=410)
    if slug != physician.slug:
        url = physician.get_absolute_url()
        if request.GET:
            url = f"{url}?{request.GET.urlencode()}"
        return redirect(url, permanent=True)
    near_field = search_forms.ZipField()
    origin, near_error = None, ""
    if request.GET.get("near"):
        try:
            near = near_field.clean(request.GET["near"])
            origin = zip_centroid(near)
        except search_forms.forms.ValidationError as error:
            near_error = " ".join(error.messages)
    locations = physician.location_list
    if origin:
        for location in locations:
            location.distance_miles = _miles(origin, location)
    canonical_url = request.build_absolute_uri(physician.get_absolute_url())
    context = {
        "physician": physician,
        "locations": locations,
        "specialties": physician.specialty_links,
        "certifications": list(physician.certifications.all()),
        "affiliations": list(physician.affiliations.all()),
        "cancer_types": physician.cancer_type_list,
        "languages": [search_forms.LANGUAGE_NAMES.get(code, code) for code in physician.languages],
        "not_known": display.NOT_KNOWN,  # telehealth, languages: what an import cannot know
        "near": request.GET.get("near", "") if origin else "",
        "near_error": near_error,
        "canonical_url": canonical_url,
        "json_ld": _json_ld(physician, locations, canonical_url),
        "report_form": search_forms.ListingReportForm(),
    }
    context["care_team"], context["care_team_more"] = _care_team(physician)
    context["trials"] = list(InvestigatorMatch.objects.run_by(physician, practice_origin(locations)))
    return render(request, "directory/physician_detail.html", context)


def _care_team(physician: Physician) -> tuple[list[Physician], int]:
    """The other specialists at the physician's addresses and hospitals, each with its specialties named and
    `shared_place`, the place they share, as the page names it; and how many more there are."""
    team = list(Physician.objects.care_team(physician))
    describe_listing(team)
    for member in team:
        member.shared_place = (
            display.location_title(*member.shared_location) if member.shared_location else member.shared_institution
        )
    return team, (team[0].team_size - len(team) if team else 0)


@login_required
@require_http_methods(["GET", "POST"])
def my_listing(request):
    """An oncologist keeps their own listing: telehealth, languages, bio, and per location new patients and the
    insurance plans taken."""
    if request.user.physician_id is None:
        raise PermissionDenied("Only an oncologist's account has a listing in the directory.")
    physician = Physician.objects.get(pk=request.user.physician_id)
    data = request.POST if request.method == "POST" else None
    form = search_forms.OwnListingForm(data, instance=physician)
    locations = physician.locations.prefetch_related("accepted_plans")
    location_forms = [search_forms.OwnLocationForm(data, location=location) for location in locations]
    if data is not None and all([form.is_valid(), *(f.is_valid() for f in location_forms)]):
        services.own_listing_update(
            physician=physician,
            by=request.user,
            changes=form.changes(),
            accepting={f.location.pk: f.cleaned_data["accepting"] for f in location_forms},
            plans={f.location.pk: f.chosen_plans() for f in location_forms},
        )
        messages.success(request, "Your listing is updated, and shows as confirmed by you today.")
        return redirect("directory:my-listing")
    context = {"physician": physician, "form": form, "location_forms": location_forms}
    return render(request, "directory/my_listing.html", context, status=400 if data is not None else 200)


@require_http_methods(["GET", "POST"])
def listing_report(request, npi):
    """Report a problem with a listing: no account needed; limited per address; a robot's report is dropped."""
    physician = get_object_or_404(Physician.objects.active(), npi=npi)
    form = search_forms.ListingReportForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        throttle = ListingReportRateThrottle()
        if not throttle.allow_request(request, None):
            minutes = math.ceil((throttle.wait() or 60) / 60)
            form.add_error(
                None, f"You have sent several reports in a short time. Please try again in {minutes} minutes."
            )
            status = 429
        elif form.is_valid():
            if not form.is_robot:
                services.listing_report_create(physician=physician, **form.cleaned_data_for_report())
            messages.success(request, "Thank you. A curator will check this listing.")
            return redirect(physician.get_absolute_url())
        else:
            status = 400
    return render(request, "directory/listing_report.html", {"physician": physician, "form": form}, status=status)


# -- helpers ---------------------------------------------------------------------------------------------


def _results_page(search: PhysicianFilterSet, number: str | None):
    """The page of results asked for, its notice, and the search's Counted (None for a search too broad to
    count: no facet counts then).

    - Sorted by distance, a first stretch of the locations walked nearest-first (a few hundred) finds the
      page's results and up to NEAREST_COUNT_CAP + 1: finding them all, the search is broad ("more than
      100"); walking past the circle, every match is known; else it is counted up to NEAREST_COUNT_CAP.
      Up to that, search.counted adds the facets (when it finds the search narrow).
      The page is read from the small circle its results lie in (first_results).
    - Sorted by name, it is counted up to COUNT_CAP (a bitmap of the filters' indexes, stopping there), and
      up to that with its facets (search.counted).
    - Ranked, a narrow search is counted with its facets, a broad one with its page (ranking every match
      counts them for free)."""
    wanted = min(requested_page(number)[0], MAX_PAGES)
    need = wanted * RESULTS_PER_PAGE + 1  # the page's results and one more: is there a next page?
    found, cap, nearest = None, COUNT_CAP, None
    if search.effective_sort == "distance":
        nearest, cap = search.nearest_distances(max(need, NEAREST_COUNT_CAP + 1), once=True), NEAREST_COUNT_CAP
        walked_far = nearest.complete or len(nearest.distances) > cap
        found = len(nearest.distances) if walked_far else search.count_up_to(cap)
        cap = max(cap, found) if nearest.complete else cap  # every match found: the count is exact
    elif search.effective_sort == "name":
        found = search.count_up_to(cap)
    counted = search.counted() if found is None or found <= cap else None
    if counted:  # the matches are known, in order: the page reads its rows by id
        page, notice = page_of(counted.ids, number, per_page=RESULTS_PER_PAGE)
        page.object_list = counted.physicians(page.object_list, search.queryset.for_listing())
        return page, notice, counted
    if search.effective_sort == "relevance":
        return *page_of(search.qs.for_listing(), number, per_page=RESULTS_PER_PAGE, count_with_page=True), None
    results = lambda count: search.first_results(count, nearest).for_listing()  # noqa: E731
    return *capped_page_of(results, found, cap, number, per_page=RESULTS_PER_PAGE), None


def _trials_link(form) -> dict:
    """/trials/ for the same place, radius and cancer type, when the search has a place."""
    data = form.cleaned_data
    if not data.get("near"):
        return {}
    query = {"near": data["near"], "radius": data.get("radius"), "cancer": data.get("cancer")}
    cancer = form.cancer_by_slug[data["cancer"]].name if data.get("cancer") else ""
    return {"trials_query": urlencode({k: v for k, v in query.items() if v}), "trials_cancer": cancer}


def _printable(text: str, limit: int = 40) -> str:
    cleaned = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    return cleaned if len(cleaned) <= limit else f"{cleaned[:limit]}…"


def _unknown_parameter_notices(params: QueryDict) -> list[str]:
    unknown = sorted(name for name in params if name not in BY_NAME and name != "page")
    if not unknown:
        return []
    shown = ", ".join(_printable(name) for name in unknown[:MAX_SHOWN_UNKNOWN_PARAMETERS])
    more = (
        f" and {len(unknown) - MAX_SHOWN_UNKNOWN_PARAMETERS} more"
        if len(unknown) > MAX_SHOWN_UNKNOWN_PARAMETERS
        else ""
    )
    return [f"We ignored search options we do not know: {shown}{more}."]


class _QueryStrings:
    """Query strings of the current search (known parameters only), each without some parameters and with
    others replaced: the page needs one per facet link, so each parameter is encoded once."""

    def __init__(self, params: QueryDict):
        self.encoded = {
            name: urlencode({name: value})
            for name in BY_NAME
            if (value := params.get(name, "")) and "\x00" not in value
        }

    def __call__(self, *, drop=(), **replace) -> str:
        kept = [encoded for name, encoded in self.encoded.items() if name not in drop and name not in replace]
        return "&".join([*kept, *(urlencode({name: value}) for name, value in replace.items())])


def _active_filters(query_strings: _QueryStrings, search) -> list[dict]:
    """The active filters, each with its label and a link that drops it (the empty result offers these)."""
    return [
        {
            "name": parameter.name,
            "label": parameter.label(value, search),
            "without": query_strings(drop=("page", parameter.name, *parameter.drops)),
        }
        for parameter, value in search.active()
    ]


def _reading(asked: QueryDict, search) -> dict | None:
    """What the box was read as (the filters it gave, as their chips say them), with a link that searches
    the words as typed instead; None when it gave no filter."""
    read = search.reading
    given = {name: value for name, value in read.reading.params.items() if not asked.get(name)} if read else {}
    if not given:
        return None
    labels = []
    for name in (name for name in BY_NAME if name in given):
        label = BY_NAME[name].label(search.form.cleaned_data[name], search)
        labels.append(f"{label} ({read.reading.place})" if name == "near" and read.reading.place else label)
    literal = asked.copy()
    literal.pop("page", None)
    literal["literal"] = "1"
    return {"text": read.reading.text, "labels": labels, "literal_query": literal.urlencode()}


def _wider_radius(form) -> int | None:
    radius = form.cleaned_data.get("radius")
    if not form.cleaned_data.get("near") or radius is None or radius >= search_forms.MAX_RADIUS_MILES:
        return None
    for wider in (25, 50, 100, 250, search_forms.MAX_RADIUS_MILES):
        if wider > radius:
            return wider
    return None


def _facet_links(params: QueryDict, query_strings, name: str, choices, counts: dict | None) -> list[dict]:
    """A link per choice that applies it (or removes it when it is the current one), with its count."""
    current = params.get(name, "")
    links = [
        {
            "value": value,
            "label": label,
            "current": value == current,
            "count": None if counts is None else counts.get(value, 0),
            "query": query_strings(drop=("page", name), **({} if value == current else {name: value})),
        }
        for value, label in choices
    ]
    # With counts, choices that would find nobody are left out (the current one always stays).
    return [link for link in links if link["current"] or link["count"] is None or link["count"] > 0]


def _describe_results(results, form) -> None:
    """What each result row shows besides the physician: specialty and cancer type names (describe_listing)
    and one location: the one the search measured (the nearest accepting new patients or taking the insurance,
    when those filters are on), else the primary."""
    describe_listing(results)
    origin = form.origin
    for physician in results:
        locations = physician.location_list
        physician.shown_location = _nearest_location(physician, origin) if origin else next(iter(locations), None)


def _miles(origin: tuple[float, float], location) -> float | None:
    if location.latitude is None or location.longitude is None:
        return None
    lat1, lng1, lat2, lng2 = map(math.radians, (*origin, location.latitude, location.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def _nearest_location(physician, origin):
    """The location whose distance the search gave (`distance_miles`), else the nearest: with `accepting` or
    `insurance` the search measures to the nearest practice that qualifies, which may not be the nearest one."""
    measured = getattr(physician, "distance_miles", None)
    located = [(distance, loc) for loc in physician.location_list if (distance := _miles(origin, loc)) is not None]
    if measured is not None:
        return min(located, key=lambda pair: abs(pair[0] - measured))[1] if located else None
    return min(located, key=lambda pair: pair[0])[1] if located else None


def _json_ld(physician, locations, canonical_url: str) -> str:
    """schema.org Physician as JSON-LD, escaped like json_script so no value can close the script tag."""
    data = {
        "@context": "https://schema.org",
        "@type": "Physician",
        "@id": canonical_url,
        "url": canonical_url,
        "name": physician.display_name,
        "identifier": {"@type": "PropertyValue", "propertyID": "NPI", "value": physician.npi},
        "medicalSpecialty": [ps.specialty.display_name for ps in physician.specialty_links],
        "knowsLanguage": list(physician.languages),
        "availableService": [{"@type": "MedicalTherapy", "name": f"{c.name} care"} for c in physician.cancer_type_list],
        "address": [
            {
                "@type": "PostalAddress",
                # As the page shows it, not as the registry stores it ("1 MAIN ST", "191031234").
                "name": loc.title,
                "streetAddress": loc.display_street,
                "addressLocality": loc.display_city,
                "addressRegion": loc.state,
                "postalCode": display.zip_code(loc.zip_code),
                "addressCountry": "US",
                **({"telephone": loc.display_phone} if loc.phone else {}),
            }
            for loc in locations
        ],
        "hospitalAffiliation": [
            {"@type": "Hospital", "name": a.institution.name} for a in physician.affiliations.all()
        ],
        "hasCredential": [
            {
                "@type": "EducationalOccupationalCredential",
                "name": f"{c.board.name}: {c.certificate_name}",
                "credentialCategory": "Board certification",
                "recognizedBy": {"@type": "Organization", "name": c.board.name},
                **({"validUntil": c.expires_on} if c.expires_on else {}),
            }
            for c in physician.certifications.all()
            if c.is_current
        ],
    }
    if physician.accepting_new_patients is not None:  # left out when not known
        data["isAcceptingNewPatients"] = physician.accepting_new_patients
    if physician.telehealth:
        data["availableService"].append({"@type": "MedicalProcedure", "name": "Telehealth visits"})
    if physician.last_verified_on:
        data["dateModified"] = physician.last_verified_on
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_json_script_escapes)
    return mark_safe(text)  # noqa: S308 - <, > and & are escaped above, as json_script does
