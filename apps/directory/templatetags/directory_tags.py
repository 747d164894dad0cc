"""Template helpers of the public directory pages."""

from functools import lru_cache

from django import template
from django.forms.widgets import CheckboxInput, Input, Select
from django.template.defaultfilters import floatformat, urlencode
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from apps.directory import display
from apps.directory.forms import PreparedChoices

register = template.Library()


@register.simple_tag
def new_patients(accepting: bool | None, among=()):
    """A location's "accepting new patients?" as a badge: green only for a known yes, words otherwise.
    `among`: the locations shown with it (with more than one, a yes or no says "here")."""
    text = display.new_patients(accepting)
    if accepting is None:
        return format_html('<span class="badge unknown">{}</span>', text)
    where = " here" if len(among) > 1 else ""
    return format_html('<span class="badge{}">{}{}</span>', " ok" if accepting else "", text, where)


@register.simple_tag(takes_context=True)
def result_item(context, physician):
    """One search result's <li>: `physician` from PhysicianFilterSet.qs.for_listing() and
    views._describe_results(); `near` in the context is the searched ZIP. Python for the same reason as the
    tags below: an {% include %} per result was a third of the page's Python time (0.25 ms a row)."""
    npi = escape(physician.npi)
    name = escape(physician.display_name)
    near = context.get("near")
    url = escape(physician.get_absolute_url() + (f"?near={urlencode(near)}" if near else ""))
    html = [
        f'<li class="result">\n  <article aria-labelledby="result-{npi}">\n'
        f'    <h3 id="result-{npi}"><a href="{url}">{name}</a></h3>\n'
    ]
    if specialties := physician.specialty_list:
        html.append(f'    <p class="specialty">{"; ".join(escape(s.display_name) for s in specialties)}</p>\n')
    if location := physician.shown_location:
        distance = getattr(physician, "distance_miles", None)
        html.append('    <p class="location">\n      ')
        if distance is not None:
            html.append(f'<strong class="distance">{floatformat(distance, 1)} miles</strong> · ')
        html.append(f"{escape(location.title)}, {escape(location.display_city)}, {escape(location.state)}")
        if location.phone:
            html.append(f' · <a href="{escape(location.tel_uri)}">{escape(location.display_phone)}</a>')
        html.append('\n    </p>\n    <p class="badges">\n      ')
        html.append(new_patients(location.accepting_new_patients, among=physician.location_list))
        if physician.telehealth:
            html.append(' <span class="badge">Telehealth</span>')
        html.append("\n    </p>\n")
    if cancers := physician.cancer_type_list:
        names = ", ".join(escape(c.name) for c in cancers)
        html.append(f'    <p class="cancers"><span class="muted">Treats:</span> {names}</p>\n')
    user = context.get("user")
    if user is not None and user.is_authenticated and user.is_gp:
        html.append(
            f'    <form class="add-to-shortlist" method="post" action="{escape(reverse("shortlists:add", args=[physician.npi]))}">'
            f"{CsrfTokenNode().render(context)}"
            f'<input type="hidden" name="next" value="{escape(context["request"].get_full_path())}">'
            f'<button type="submit" class="secondary" aria-label="Add {name} to your shortlist">Add to shortlist</button>'
            "</form>\n"
        )
    stale = physician.verification_is_stale
    if physician.last_verified_on:
        verified = f"Information last verified on {date_format(physician.last_verified_on, 'F j, Y')}"
        verified += " (over a year ago)" if stale else ""
    else:
        verified = "Information not yet verified"
    html.append(f'    <p class="verified{" stale" if stale else ""}">{verified}</p>\n  </article>\n</li>\n')
    return mark_safe("".join(html))  # noqa: S308 - every value is escaped above or by the tags it calls


@register.simple_tag
def select_options(field):
    """The <option> elements of a ChoiceField BoundField's select, the current value selected. Written in
    Python: a template loop over the hundred-odd languages cost more than the rest of the form."""
    current = field.value()
    current = "" if current is None else str(current)
    choices = field.field.widget.choices
    options = (
        f"{start} selected{end}" if value == current else start + end
        for value, start, end in _escaped_options(
            choices.choices if isinstance(choices, PreparedChoices) else _frozen(choices)
        )
    )
    return mark_safe("".join(options))  # noqa: S308 - every value and label is escaped in _escaped_options


def _frozen(choices) -> tuple:
    """The choices as a key of the cache below: a group's options (the widget keeps them as a list) in a tuple."""
    return tuple((value, tuple(map(tuple, label)) if isinstance(label, list) else label) for value, label in choices)


@lru_cache(maxsize=64)
def _escaped_options(choices: tuple) -> tuple[tuple[str | None, str, str], ...]:
    """(value, '<option value="…"', '>label</option>') for each choice, escaped once per process: the menus
    (languages, specialties, cancer types) are the same on every page, and escaping them was most of the
    time spent on them. A group of choices (label, ((value, label), ...)) is an <optgroup> (value None)."""
    options = []
    for value, label in choices:
        if isinstance(label, tuple):
            options += [(None, f'<optgroup label="{escape(value)}">', ""), *_escaped_options(label)]
            options.append((None, "</optgroup>", ""))
        else:
            options.append((str(value), f'<option value="{escape(value)}"', f">{escape(label)}</option>"))
    return tuple(options)


@register.simple_tag
def facet_list(links):
    """A facet's links (views._facet_links): the current choice with a link that removes it, the others
    with a link that applies them, each with its count when counted. Python for the same reason as above:
    the two facets make about fifty links a page."""
    items = []
    for link in links:
        label, query = escape(link["label"]), escape(link["query"])
        count = link["count"]
        counted = (
            ""
            if count is None
            else f' <span class="count">{count}<span class="visually-hidden"> physicians</span></span>'
        )
        if link["current"]:
            items.append(
                f'<li><strong aria-current="true">{label}</strong>{counted} <a href="?{query}">Remove'
                f'<span class="visually-hidden"> {label}</span></a></li>'
            )
        else:
            items.append(f'<li><a href="?{query}">{label}</a>{counted}</li>')
    if not items:
        items.append('<li class="muted">No other choice would find anyone.</li>')
    return mark_safe(f'<ul class="facet-list">{"".join(items)}</ul>')  # noqa: S308 - labels and queries escaped


@register.simple_tag
def form_field(field):
    """A search form field in its <div>: label, errors and control (an <input>, a checkbox before its label,
    or a <select>). Python for the same reason as above: an {% include %} per field cost a template render
    each, and the results page has ten fields."""
    auto_id = escape(field.auto_id)
    errors = ""
    if field.errors:
        items = "".join(f"<li>{escape(error)}</li>" for error in field.errors)
        errors = f'<ul class="errorlist" id="{auto_id}_error">{items}</ul>'
    label = f'<label for="{auto_id}">{escape(field.label)}</label>'
    widget = field.field.widget
    if isinstance(widget, CheckboxInput):
        html = f'<div class="check{" has-error" if errors else ""}">{input_widget(field)} {label}{errors}</div>'
    else:
        if isinstance(widget, Select):
            invalid = f' aria-invalid="true" aria-describedby="{auto_id}_error"' if errors else ""
            control = (
                f'<select name="{escape(field.html_name)}" id="{auto_id}"{invalid}>{select_options(field)}</select>'
            )
        else:
            control = input_widget(field)
        html = f'<div class="field{" has-error" if errors else ""}">{label}{errors}{control}</div>'
    return mark_safe(html)  # noqa: S308 - every value is escaped above or by the tags it calls


@register.simple_tag
def input_widget(field):
    """`{{ field }}` for an <input> widget (text, search, checkbox), written directly: the same attributes
    in the same order (the widget's own, then what the BoundField adds, such as aria-invalid), without a
    template render per field."""
    widget = field.field.widget
    if not isinstance(widget, Input | CheckboxInput):
        return str(field)
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    html = f'<input type="{escape(context["type"])}" name="{escape(context["name"])}"'
    if context["value"] is not None:
        html += f' value="{escape(context["value"])}"'
    for name, value in context["attrs"].items():
        if value is not False:
            html += f" {name}" if value is True else f' {name}="{escape(value)}"'
    return mark_safe(html + ">")  # noqa: S308 - every value is escaped above
