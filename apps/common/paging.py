"""The one page rule of the public result pages (the physician search, /trials/): the requested page, or the
nearest real one with a notice saying so, never a 404 for a page number out of range."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window


def page_of(queryset, number: str | None, *, per_page: int, count_with_page: bool = False) -> tuple[Page, str]:
    """The requested page of `queryset` (or list), or the nearest real one with a notice saying so.

    With count_with_page, the page's query also counts the matches (count(*) OVER ()): a search sorted
    by distance or relevance computes every match to sort them anyway, so a separate count would run the
    search twice. A page past the end has no row to carry the count: then it is counted on its own."""
    paginator = Paginator(queryset, per_page)
    notice = ""
    try:
        wanted = int(number) if number not in (None, "") else 1
    except ValueError:
        wanted, notice = 1, "The page number was not a number: showing the first page."
    if wanted < 1:
        wanted, notice = 1, "Pages start at 1: showing the first page."
    if count_with_page:
        start = (wanted - 1) * per_page
        rows = list(queryset.annotate(matches_in_all=Window(Count("pk")))[start : start + per_page])
        if rows:
            paginator.count = rows[0].matches_in_all  # a cached_property: set, it is not queried
            return Page(rows, wanted, paginator), notice
    if wanted > paginator.num_pages:
        last = paginator.num_pages
        notice = f"There {'is only 1 page' if last == 1 else f'are only {last} pages'}: showing the last one."
        return paginator.page(last), notice
    return paginator.page(wanted), notice
