"""Following `Link: <...>; rel="next"` headers, leniently.

Moodle's Link header is malformed (curly quotes around `next`, `&amp;` in the URL), so a
strict parser finds no next page and a sync silently stops after the first one.
"""

from __future__ import annotations

import html
import re

_LINK_PART = re.compile(r"<([^>]*)>([^,<]*)")
_REL = re.compile(r"""rel\s*=\s*["'“”‘’]?\s*([^"'“”‘’;,]+)""", re.IGNORECASE)


def parse_links(header: str | None) -> dict[str, str]:
    """Map each `rel` of a Link header to its URL (`&amp;` unescaped, quotes of any kind)."""
    links: dict[str, str] = {}
    if not header:
        return links
    for url, params in _LINK_PART.findall(header):
        match = _REL.search(params)
        if not match:
            continue
        for rel in match.group(1).split():
            links.setdefault(rel.strip().lower(), html.unescape(url.strip()))
    return links


def next_link(header: str | None) -> str | None:
    """The URL of the next page, or None on the last page."""
    return parse_links(header).get("next")
