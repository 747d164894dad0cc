"""Template helpers of the public directory pages."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def select_options(field):
    """The <option> elements of a ChoiceField BoundField's select, the current value selected. Written in
    Python: a template loop over the hundred-odd languages cost more than the rest of the form."""
    current = field.value()
    current = "" if current is None else str(current)
    options = (
        f'<option value="{escape(value)}"{" selected" if str(value) == current else ""}>{escape(label)}</option>'
        for value, label in field.field.widget.choices
    )
    return mark_safe("".join(options))  # noqa: S308 - every value and label is escaped above
