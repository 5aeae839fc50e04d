"""Server-side paging, search, filters and sort order of the big staff tables, read from the query string."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request, url_for

from autograder.models._integer import INTEGER_RANGE

PAGE_SIZES = (25, 50, 100, 200)
MAX_QUERY = 100
# No table has more rows than an id can number: a later page is past the end of every table (so
# it shows the last one), and its offset would not fit the database's integers (a 500).
MAX_PAGE = INTEGER_RANGE.stop // min(PAGE_SIZES)


@dataclass
class Listing:
    """What one table shows: a page of ``per_page`` rows out of ``total``, searched, filtered and sorted."""

    page: int = 1
    per_page: int = 50
    q: str = ""
    sort: str = ""
    filters: dict[str, str] = field(default_factory=dict)
    total: int = 0
    anchor: str | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.per_page, self.total)

    def params(self, **changes: Any) -> dict[str, Any]:
        """Return the query parameters of this listing with ``changes``; defaults are left out of links."""
        values: dict[str, Any] = {"q": self.q, "sort": self.sort, "per_page": self.per_page, "page": self.page,
                                  **self.filters, **changes}
        defaults = {"q": "", "page": 1, "per_page": 50}
        return {key: value for key, value in values.items() if value is not None and defaults.get(key) != value}

    def url(self, **changes: Any) -> str:
        """Return the link to this page of the table with ``changes`` (e.g. page=3), keeping every other parameter."""
        return url_for(request.endpoint or "", **(request.view_args or {}), **self.params(**changes),
                       _anchor=self.anchor)

    def window(self) -> list[int]:
        """Return the page numbers the pager links to: the first, the last, and two either side of this one."""
        near = range(max(1, self.page - 2), min(self.pages, self.page + 2) + 1)
        return sorted({1, self.pages, *near})

    def clamp(self, total: int) -> "Listing":
        """Record how many rows match, and bring the page back within range."""
        self.total = total
        self.page = min(self.page, self.pages)
        return self


def listing_from_request(sorts: tuple[str, ...], filters: dict[str, tuple[str, ...]] | None = None,
                         anchor: str | None = None) -> Listing:
    """Read page, per_page, q, sort and the named filters from the query string; unknown values fall back to defaults.

    ``sorts[0]`` is the default order; each filter's first allowed value is its default.
    """
    args = request.args
    try:
        page = min(max(1, int(args.get("page", "1"))), MAX_PAGE)
    except ValueError:
        page = 1
    try:
        per_page = int(args.get("per_page", "50"))
    except ValueError:
        per_page = 50
    sort = args.get("sort", "")
    chosen = {}
    for name, allowed in (filters or {}).items():
        value = args.get(name, "")
        chosen[name] = value if value in allowed else allowed[0]
    return Listing(page=page, per_page=per_page if per_page in PAGE_SIZES else 50,
                   q=args.get("q", "").strip()[:MAX_QUERY], sort=sort if sort in sorts else sorts[0],
                   filters=chosen, anchor=anchor)
