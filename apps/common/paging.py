"""The one page rule of the public result pages (the physician search, /trials/): the requested page, or the
nearest real one with a notice saying so, never a 404 for a page number out of range."""

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window

# A search with more matches than it is worth counting is paged this deep at most (1,000 results at 20 a
# page): OFFSET makes page n cost n pages, and nobody reads a thousand physicians in order.
MAX_PAGES = 50


def page_of(
    queryset, number: str | None, *, per_page: int, count_with_page: bool = False, count: int | None = None
) -> tuple[Page, str]:
    """The requested page of `queryset` (or list), or the nearest real one with a notice saying so; `count`:
    the number of matches, when known already.

    With count_with_page, the page's query also counts the matches (count(*) OVER ()): a search sorted
    by distance or relevance computes every match to sort them anyway, so a separate count would run the
    search twice. A page past the end has no row to carry the count: then it is counted on its own."""
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: set, it is not queried
    wanted, notice = requested_page(number)
    if count_with_page:
        start = (wanted - 1) * per_page
        rows = list(queryset.annotate(matches_in_all=Window(Count("pk")))[start : start + per_page])
        if rows:
            paginator.count = rows[0].matches_in_all
            return Page(rows, wanted, paginator), notice
    if wanted > paginator.num_pages:
        last = paginator.num_pages
        notice = f"There {'is only 1 page' if last == 1 else f'are only {last} pages'}: showing the last one."
        return paginator.page(last), notice
    return paginator.page(wanted), notice


def requested_page(number: str | None) -> tuple[int, str]:
    """The page number asked for (1 when it is not one), and a notice when it was not."""
    try:
        wanted = int(number) if number not in (None, "") else 1
    except ValueError:
        return 1, "The page number was not a number: showing the first page."
    if wanted < 1:
        return 1, "Pages start at 1: showing the first page."
    return wanted, ""


def capped_page_of(
    results: Callable[[int], QuerySet], found: int, cap: int, number: str | None, *, per_page: int
) -> tuple[Page, str]:
    """The requested page of a search counted up to `cap`: `found` matches, or more than `cap` when `found`
    exceeds it. `results(n)` is a queryset whose first n rows are the search's.

    Counted, it pages as page_of does. Past the cap, the page has `more_than` (the cap) and a next page
    when a row follows it, up to MAX_PAGES; a page past the end is counted (up to MAX_PAGES pages) to show
    the last one."""
    wanted, notice = requested_page(number)
    if found <= cap:  # counted: the page asked for, or the last one
        last = max(1, -(-found // per_page))
        return page_of(results(min(wanted, last) * per_page), number, per_page=per_page, count=found)
    if wanted > MAX_PAGES:
        wanted = MAX_PAGES
        notice = (
            f"Only the first {MAX_PAGES} pages of a search this broad can be shown: showing page {MAX_PAGES}. "
            "Add a filter or a ZIP code to narrow it."
        )
    start = (wanted - 1) * per_page
    rows = list(results(start + per_page + 1)[start : start + per_page + 1])
    if not rows:  # past the end: the last page there is
        matches = results(MAX_PAGES * per_page)[: MAX_PAGES * per_page]
        return page_of(matches, str(wanted), per_page=per_page)
    paginator = Paginator([], per_page)
    paginator.count = MAX_PAGES * per_page  # for next_page_number(); the page says no "of n"
    return OpenEndedPage(rows[:per_page], wanted, paginator, more_than=cap, more=len(rows) > per_page), notice


class OpenEndedPage(Page):
    """A page of a search counted no further than `more_than`: a next page when a row follows it."""

    def __init__(self, object_list, number, paginator, *, more_than: int, more: bool):
        super().__init__(object_list, number, paginator)
        self.more_than, self.more = more_than, more

    def has_next(self):
        return self.more and self.number < MAX_PAGES
