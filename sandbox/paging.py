"""Paging of AGS and NRPS collections with Link headers, in each platform's own manner.

- Canvas: `page`/`per_page` (a tool's `limit` is taken as `per_page`), default 10, cap 50,
  links `current`, `next`, `prev`, `first`, `last`.
- Moodle line items: paged only when `limit` is sent; `from` is an offset; the Link header
  is malformed exactly as Moodle's is: curly quotes around the rel values and `&amp;` in
  the URLs, so standard parsers find no next page.
- Moodle memberships: `limit`/`from`, only a `next` link, well formed, and without the
  `role` filter (Moodle drops it).
- Generic and Schoology: `limit`/`page`, links `next`, `prev`, `first`, `last`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from sandbox.flavours import PageRule
from sandbox.refusals import Refusal

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    link: str | None


def _positive(args: MultiDict[str, str], name: str) -> int | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise Refusal(400, f"{name} must be a positive whole number, not {raw!r}")
    return int(raw)


def _with(base: str, query: dict[str, str], **paging: int) -> str:
    params = {**query, **{key: str(value) for key, value in paging.items()}}
    return base + ("?" + urlencode(params) if params else "")


def _numbered(items: Sequence[T], size: int, page: int) -> tuple[list[T], list[tuple[int, str]]]:
    """Page `page` (1-based) of `items` and its neighbours as (page number, rel) pairs."""
    last = max(1, math.ceil(len(items) / size))
    links = []
    if page < last:
        links.append((page + 1, "next"))
    if page > 1:
        links.append((page - 1, "prev"))
    links += [(1, "first"), (last, "last")]
    return list(items[(page - 1) * size : page * size]), links


def canvas_page(
    items: Sequence[T], args: MultiDict[str, str], rule: PageRule, base: str, query: dict[str, str]
) -> Page[T]:
    size = rule.size(_positive(args, "per_page") or _positive(args, "limit")) or len(items) or 1
    page = _positive(args, "page") or 1
    chosen, links = _numbered(items, size, page)
    header = ",".join(
        f'<{_with(base, query, page=number, per_page=size)}>; rel="{rel}"'
        for number, rel in [(page, "current"), *links]
    )
    return Page(chosen, header)


def standard_page(
    items: Sequence[T], args: MultiDict[str, str], rule: PageRule, base: str, query: dict[str, str]
) -> Page[T]:
    size = rule.size(_positive(args, "limit"))
    if size is None:
        return Page(list(items), None)
    chosen, links = _numbered(items, size, _positive(args, "page") or 1)
    header = ", ".join(
        f'<{_with(base, query, limit=size, page=number)}>; rel="{rel}"' for number, rel in links
    )
    return Page(chosen, header)


def moodle_line_item_page(
    items: Sequence[T], args: MultiDict[str, str], base: str, query: dict[str, str]
) -> Page[T]:
    """Moodle's `lineitems` paging, including its malformed Link header."""
    limit = _moodle_int(args, "limit")
    if limit <= 0:
        return Page(list(items), None)
    start = max(0, _moodle_int(args, "from"))
    total = len(items)
    chosen = list(items[start : start + limit])
    out_of_range = start >= total
    following = start + limit
    previous = max(0, start - limit)
    last = max(0, total - limit + 1)

    def url(offset: int) -> str:
        return _with(base, query, limit=limit, **{"from": offset}).replace("&", "&amp;")

    links = f"<{url(0)}>; rel=“first”"
    if start > 0 and not out_of_range:
        links += f", <{url(previous)}>; rel=“prev”"
    links += f", <{url(start)}>; rel=“canonical”"
    if following <= total - 1 and not out_of_range:
        links += f", <{url(following)}>; rel=“next”"
    links += f", <{url(last)}>; rel=“last”"
    # PHP sends the curly quotes as raw UTF-8 bytes; WSGI headers are latin-1 strings
    return Page(chosen, links.encode("utf-8").decode("latin-1"))


def moodle_member_page(
    items: Sequence[T], args: MultiDict[str, str], base: str, query: dict[str, str]
) -> Page[T]:
    """Moodle's memberships paging: a `next` link only, and the `role` filter dropped from it."""
    limit = _moodle_int(args, "limit")
    if limit <= 0:
        return Page(list(items), None)
    start = max(0, _moodle_int(args, "from"))
    chosen = list(items[start : start + limit])
    if start + limit >= len(items):
        return Page(chosen, None)
    kept = {key: value for key, value in query.items() if key != "role"}
    return Page(chosen, f'<{_with(base, kept, limit=limit, **{"from": start + limit})}>; rel="next"')


def _moodle_int(args: MultiDict[str, str], name: str) -> int:
    """PHP's PARAM_INT: anything that is not a number is 0."""
    raw = args.get(name, "")
    return int(raw) if raw.lstrip("-").isdigit() else 0
