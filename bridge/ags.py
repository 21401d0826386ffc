"""LTI Assignment and Grade Services 2.0: line items, results, scores.

Written to the spec and to what platforms really do (`shared/PLATFORMS.md`): the AGS media
types always in `Accept` (Moodle answers `*/*` with a 400), line item ids whose query string
must survive when `/results` or `/scores` is appended (Moodle's `?type_id=1`), pages that
Canvas caps at 50 and Moodle only makes when asked (and then links with curly quotes), and
results that Moodle will not page at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from bridge.http import PlatformHttp
from bridge.paging import next_link
from bridge.service_tokens import ServiceTokens
from pbridge.errors import PlatformRejected

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

LINEITEM_CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
RESULT_CONTAINER = "application/vnd.ims.lis.v2.resultcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"

#: the most items a page can hold on each platform (None: ask for none, get everything)
PAGE_SIZES = {"canvas": 50, "moodle": None, "schoology": 100, "generic": 100}


@dataclass(frozen=True)
class LineItem:
    id: str
    label: str
    score_maximum: Decimal
    resource_id: str = ""
    tag: str = ""
    resource_link_id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineItem:
        return cls(
            id=str(data["id"]),
            label=str(data.get("label") or ""),
            score_maximum=Decimal(str(data.get("scoreMaximum", 0))),
            resource_id=str(data.get("resourceId") or ""),
            tag=str(data.get("tag") or ""),
            resource_link_id=str(data.get("resourceLinkId") or ""),
        )


@dataclass(frozen=True)
class NewLineItem:
    label: str
    score_maximum: Decimal
    resource_id: str
    tag: str

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "scoreMaximum": float(self.score_maximum),
            "resourceId": self.resource_id,
            "tag": self.tag,
        }


@dataclass(frozen=True)
class Result:
    user_id: str
    score: Decimal | None
    maximum: Decimal | None
    timestamp: str | None
    comment: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Result:
        score = data.get("resultScore")
        maximum = data.get("resultMaximum")
        return cls(
            user_id=str(data["userId"]),
            score=Decimal(str(score)) if score is not None else None,
            maximum=Decimal(str(maximum)) if maximum is not None else None,
            timestamp=data.get("timestamp"),
            comment=str(data.get("comment") or ""),
        )


@dataclass(frozen=True)
class Score:
    """What we post. `given` None clears the grade (insufficient evidence)."""

    user_id: str
    given: Decimal | None
    maximum: Decimal
    timestamp: datetime
    comment: str = ""

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "userId": self.user_id,
            "timestamp": self.timestamp.isoformat(timespec="milliseconds"),
        }
        if self.given is None:
            # no number: Canvas refuses scoreMaximum alone, Moodle clears on anything but FullyGraded
            body |= {"activityProgress": "Initialized", "gradingProgress": "NotReady"}
        else:
            body |= {
                "scoreGiven": float(self.given),
                "scoreMaximum": float(self.maximum),
                "activityProgress": "Completed",
                "gradingProgress": "FullyGraded",
            }
        if self.comment:
            body["comment"] = self.comment
        return body


def service_url(item_url: str, suffix: str, **query: str) -> str:
    """`…/lineitem?type_id=1` + `/scores` -> `…/lineitem/scores?type_id=1` (query kept)."""
    parts = urlsplit(item_url)
    path = parts.path.rstrip("/") + suffix
    params = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in query.items() if v]
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(params), ""))


class AgsClient:
    """AGS calls for one course on one platform, with only the scopes it granted."""

    def __init__(
        self,
        http: PlatformHttp,
        tokens: ServiceTokens,
        *,
        granted_scopes: frozenset[str],
        token_scopes: frozenset[str] | None = None,
        flavour: str = "generic",
    ) -> None:
        self._http = http
        self._tokens = tokens
        self.granted = granted_scopes
        #: what the token is asked for: the granted AGS scopes, plus NRPS's when the same
        #: token serves the roster too
        self.token_scopes = token_scopes or granted_scopes
        self._page_size = PAGE_SIZES.get(flavour, 100)
        self._flavour = flavour

    @property
    def can_manage_line_items(self) -> bool:
        """False in Moodle's "grade sync only" mode: no columns of our own can be made."""
        return SCOPE_LINEITEM in self.granted

    @property
    def can_read_line_items(self) -> bool:
        return bool({SCOPE_LINEITEM, SCOPE_LINEITEM_READ} & self.granted)

    def _auth(self, *scopes: str) -> dict[str, str]:
        usable = [s for s in scopes if s in self.granted]
        if not usable:
            raise PlatformRejected(f"the platform did not grant the scope this needs ({', '.join(scopes)})")
        return {"Authorization": f"Bearer {self._tokens.token(sorted(self.token_scopes))}"}

    def _request(self, method: str, url: str, *scopes: str, **kwargs: Any) -> httpx.Response:
        headers = {**kwargs.pop("headers", {}), **self._auth(*scopes)}
        try:
            return self._http.request(method, url, headers=headers, **kwargs)
        except PlatformRejected as error:
            if error.status != 401:
                raise
            # the token may have been revoked early: ask once more with a fresh one
            self._tokens.forget(sorted(self.token_scopes))
            headers.update(self._auth(*scopes))
            return self._http.request(method, url, headers=headers, **kwargs)

    def _pages(self, url: str, accept: str, *scopes: str) -> Iterator[list[dict[str, Any]]]:
        while url:
            response = self._request("GET", url, *scopes, headers={"Accept": accept}, expected=(200,))
            body = response.json()
            if not isinstance(body, list):
                raise PlatformRejected("the platform answered a list request with something else", url=url)
            yield body
            url = next_link(response.headers.get("Link")) or ""

    def line_items(
        self, container_url: str, *, resource_id: str | None = None, tag: str | None = None
    ) -> list[LineItem]:
        query = {"resource_id": resource_id or "", "tag": tag or ""}
        if self._page_size:
            query["limit"] = str(self._page_size)
        url = service_url(container_url, "", **query)
        items: list[LineItem] = []
        for page in self._pages(url, LINEITEM_CONTAINER, SCOPE_LINEITEM, SCOPE_LINEITEM_READ):
            items.extend(LineItem.from_json(entry) for entry in page)
        return items

    def create_line_item(self, container_url: str, item: NewLineItem) -> LineItem:
        response = self._request(
            "POST",
            container_url,
            SCOPE_LINEITEM,
            json=item.to_json(),
            headers={"Content-Type": LINEITEM, "Accept": LINEITEM},
            expected=(200, 201),
        )
        return LineItem.from_json(response.json())

    def update_line_item(self, item: LineItem, *, label: str, score_maximum: Decimal) -> LineItem:
        body = {
            "id": item.id,
            "label": label,
            "scoreMaximum": float(score_maximum),
            "resourceId": item.resource_id,
            "tag": item.tag,
        }
        response = self._request(
            "PUT",
            item.id,
            SCOPE_LINEITEM,
            json=body,
            headers={"Content-Type": LINEITEM, "Accept": LINEITEM},
            expected=(200,),
        )
        return LineItem.from_json(response.json())

    def results(self, line_item_id: str) -> list[Result]:
        # Moodle answers results?limit= with a 404: read results unpaged there
        query = {"limit": str(self._page_size)} if self._page_size and self._flavour != "moodle" else {}
        url = service_url(line_item_id, "/results", **query)
        found: list[Result] = []
        for page in self._pages(url, RESULT_CONTAINER, SCOPE_RESULT_READ):
            found.extend(Result.from_json(entry) for entry in page if entry.get("userId") is not None)
        return found

    def post_score(self, line_item_id: str, score: Score) -> None:
        self._request(
            "POST",
            service_url(line_item_id, "/scores"),
            SCOPE_SCORE,
            json=score.to_json(),
            headers={"Content-Type": SCORE},
            expected=(200, 201, 202, 204),
        )
