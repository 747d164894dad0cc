"""Typo'd name searches and how well a search finds the physician meant: the one generator and the one scoring,
used by tests/directory/test_name_search_quality.py (which asserts the rates) and bench/search_bench.py (which
prints them at the bench's size).

A query is a physician's "first last" as stored, with one slip of the finger in one of the two names: two
adjacent letters swapped, one dropped, one doubled or one replaced by another letter ("John Brihgt" for
Bright, "Lucas Baarbe" for Barbe). A name of fewer than three letters is typed as stored: one slip in "Li"
or "Wu" leaves another surname ("Lu"), not a typo of this one.
"""

import random
import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

TYPOS = ("swap", "drop", "double", "substitute")
PAGE = 20  # the page's and the API's first page
MIN_TYPO_LETTERS = 3


@dataclass(frozen=True)
class NameQuery:
    text: str
    physician: object  # the key the caller gave: an id, an NPI
    typo: str


def typo(word: str, kind: str, rng: random.Random) -> str:
    """`word` with one typo of `kind` at a random letter (case kept; accents are letters too)."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if kind == "swap":
        pairs = [i for i in letters if i + 1 in letters and word[i].lower() != word[i + 1].lower()]
        if not pairs:  # "Aaa": nothing to swap; drop one instead
            return typo(word, "drop", rng)
        i = rng.choice(pairs)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    i = rng.choice(letters)
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[: i + 1] + word[i] + word[i + 1 :]
    other = rng.choice([ch for ch in string.ascii_lowercase if ch != _plain(word[i])])
    return word[:i] + (other.upper() if word[i].isupper() else other) + word[i + 1 :]


def name_queries(physicians: Iterable[tuple[object, str, str]], count: int, seed: int = 18) -> list[NameQuery]:
    """`count` queries over `physicians` ((key, first name, last name), the key an id or an NPI; drawn in
    key order, so the same rows and seed give the same queries), each kind of typo in turn, in the first or
    the last name at random."""
    rng = random.Random(f"name-typos:{seed}")
    rows = sorted(
        (key, first, last)
        for key, first, last in physicians
        if max(_letters(first), _letters(last)) >= MIN_TYPO_LETTERS
    )
    queries = []
    for number, (key, first, last) in enumerate(rng.sample(rows, min(count, len(rows)))):
        kind = TYPOS[number % len(TYPOS)]
        names = [first, last]
        typed = [i for i, name in enumerate(names) if _letters(name) >= MIN_TYPO_LETTERS]
        which = rng.choice(typed)
        names[which] = typo(names[which], kind, rng)
        queries.append(NameQuery(f"{names[0]} {names[1]}", key, kind))
    return queries


@dataclass(frozen=True)
class Figures:
    queries: int
    first: int  # the physician meant is the first result
    first_or_namesakes: int  # ... or behind only physicians of the same first and last name
    first_page: int  # ... among the first PAGE results
    not_found: int  # ... not among the results at all

    def rate(self, value: int) -> float:
        return 100.0 * value / self.queries

    def __str__(self) -> str:
        return (
            f"{self.queries} typo'd 'first last' queries: right physician first {self.rate(self.first):.1f} %, "
            f"first or behind namesakes only {self.rate(self.first_or_namesakes):.1f} %, on the first page "
            f"{self.rate(self.first_page):.1f} %, not found {self.rate(self.not_found):.1f} %"
        )


def figures(
    queries: list[NameQuery],
    first_page: Callable[[str], list],
    found: Callable[[str, object], bool],
    names: dict,
) -> Figures:
    """Run each query: `first_page(text)` gives the keys of the first PAGE results in order, `found(text, key)`
    whether the physician is among all the results; `names` gives (first, last) by key, for namesakes."""
    first = namesakes = on_page = missing = 0
    for query in queries:
        ids = first_page(query.text)[:PAGE]
        meant = _same(names[query.physician])
        if query.physician in ids:
            on_page += 1
            position = ids.index(query.physician)
            first += position == 0
            namesakes += all(_same(names[key]) == meant for key in ids[:position])
        elif not found(query.text, query.physician):
            missing += 1
    return Figures(len(queries), first, namesakes, on_page, missing)


def _plain(ch: str) -> str:
    return unicodedata.normalize("NFKD", ch)[0].lower()


def _letters(name: str) -> int:
    return max((sum(ch.isalpha() for ch in word) for word in name.split()), default=0)


def _same(name: tuple[str, str]) -> str:
    """A name as a search box sees it: no case, no accents."""
    return "".join(_plain(ch) for ch in " ".join(name)).strip()
