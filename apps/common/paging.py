"""The one page rule of the public result pages (the physician search, /trials/): the requested page, or the
nearest real one with a notice saying so, never a 404 for a page number out of range."""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

# A result larger than this is not counted (the page says "more than 1,000") nor paged past it: counting
# would cost the whole search, OFFSET makes page n cost n pages, and nobody reads 1,000 physicians in order.
COUNT_CAP = 1_000


def page_of(queryset, number: str | None, *, per_page: int, count_with_page: bool = False) -> tuple[Page, str]:
    """The requested page of `queryset` (or list), or the nearest real one with a notice saying so.

    With count_with_page, the page's query also counts the matches (count(*) OVER ()): a search sorted
    by distance or relevance computes every match to sort them anyway, so a separate count would run the
    search twice. A page past the end has no row to carry the count: then it is counted on its own."""
    paginator = Paginator(queryset, per_page)
    wanted, notice = _wanted(number)
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


def capped_page_of(
    results: Callable[[int], QuerySet], count_up_to: Callable[[int], int], number: str | None, *, per_page: int
) -> tuple[Page, str]:
    """The requested page of a search counted up to COUNT_CAP: `count_up_to(cap)` is its count, or cap + 1
    for more; `results(n)` the queryset whose first n rows are the search's. A page past the end (or past the
    cap) shows the last one with a notice; a page of more than COUNT_CAP results has `more_than` set."""
    wanted, notice = _wanted(number)
    found = count_up_to(COUNT_CAP)
    paginator = Paginator([], per_page)
    paginator.count = min(found, COUNT_CAP)  # a cached_property: set, it is not queried
    last = paginator.num_pages
    if wanted > last and found > COUNT_CAP:
        wanted = last
        notice = (
            f"Only the first {COUNT_CAP:,} results of a search this broad can be shown: showing page {last}. "
            "Add a filter or a ZIP code to narrow it."
        )
    elif wanted > last:
        wanted = last
        notice = f"There {'is only 1 page' if last == 1 else f'are only {last} pages'}: showing the last one."
    start = (wanted - 1) * per_page
    page = Page(list(results(start + per_page)[start : start + per_page]), wanted, paginator)
    page.more_than = COUNT_CAP if found > COUNT_CAP else None
    return page, notice


def _wanted(number: str | None) -> tuple[int, str]:
    try:
        wanted = int(number) if number not in (None, "") else 1
    except ValueError:
        return 1, "The page number was not a number: showing the first page."
    if wanted < 1:
        return 1, "Pages start at 1: showing the first page."
    return wanted, ""
