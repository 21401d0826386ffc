"""The OneRoster REST client: authenticated GET / PUT / DELETE and collections paged to the end.

Paging follows the spec: `limit` and `offset`, with `X-Total-Count` telling how many records
there are. When the first page gives the total, the remaining pages are fetched at once, up
to the connection's concurrency cap, so a district's roster costs about
`pages / concurrency` round trips instead of `pages`. Without a total we walk on while the
server's `Link: rel="next"` (or a full page) says there is more. A server that caps `limit`
below what we asked for is noticed from the first page, and the offsets follow its cap, so
no record is skipped.

Every request goes through `PlatformHttp` (timeouts, retries, 429 / Retry-After, the cap).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from bridge.http import PlatformHttp, RetryPolicy, make_client
from bridge.oneroster.auth import SCOPES, ClientCredentials, OAuth1Signer, TokenCache, encode_query
from bridge.paging import next_link
from pbridge.errors import PlatformRejected
from store.secret_box import SecretBox
from store.sis import SisAuthKind, SisConnection, SisConnectionInvalid, SisVersion, connection_secrets

ROSTERING = "rostering"
GRADEBOOK = "gradebook"


@dataclass(frozen=True)
class SisConfig:
    """Everything a client needs to talk to one SIS, secrets opened (and hidden from repr)."""

    name: str
    version: SisVersion
    auth_kind: SisAuthKind
    rostering_url: str
    gradebook_url: str
    token_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scopes: tuple[str, ...] | None = None
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    gradebook_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    page_size: int = 100
    max_concurrency: int = 4

    @classmethod
    def from_connection(cls, row: SisConnection, box: SecretBox) -> SisConfig:
        if row.auth_kind is SisAuthKind.NONE:
            raise SisConnectionInvalid(
                f"SIS connection {row.name!r} has no REST API (CSV only); "
                "give it a base URL and credentials first"
            )
        secrets = connection_secrets(row, box)
        return cls(
            name=row.name,
            version=row.version,
            auth_kind=row.auth_kind,
            rostering_url=row.rostering_url,
            gradebook_url=row.gradebook_url,
            token_url=row.token_url,
            client_id=row.client_id,
            client_secret=secrets.client_secret,
            scopes=tuple(row.scopes) if row.scopes is not None else None,
            headers=dict(secrets.headers),
            gradebook_headers=dict(secrets.gradebook_headers),
            page_size=row.page_size,
            max_concurrency=row.max_concurrency,
        )


@dataclass(frozen=True)
class CollectionQuery:
    """One collection to read: `key` is the member of the answer holding the records."""

    key: str
    path: str
    service: str = ROSTERING
    filter: str | None = None
    sort: str | None = None
    order_by: str | None = None
    fields: tuple[str, ...] | None = None

    def params(self, *, limit: int, offset: int) -> list[tuple[str, str]]:
        params = [("limit", str(limit)), ("offset", str(offset))]
        if self.filter:
            params.append(("filter", self.filter))
        if self.sort:
            params.append(("sort", self.sort))
        if self.order_by:
            params.append(("orderBy", self.order_by))
        if self.fields:
            params.append(("fields", ",".join(self.fields)))
        return params


@dataclass(frozen=True)
class Page:
    query: CollectionQuery
    offset: int
    items: list[dict[str, Any]]
    #: X-Total-Count when the server sent it
    total: int | None
    #: no more pages of this query will follow (the collection is complete once it arrives)
    last: bool = False
    #: what the caller's `prepare` made of the items, in the fetching thread
    prepared: Any = None


def delta_filter(since: datetime) -> str:
    """The spec's delta form: ``dateLastModified>'2025-01-31T08:00:00.000Z'``."""
    stamp = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
    return f"dateLastModified>'{stamp}'"


def field_filter(field_name: str, operator: str, value: str) -> str:
    """One filter predicate, e.g. ``status='active'``; refuses what the grammar cannot carry."""
    if operator not in {"=", "!=", ">", ">=", "<", "<=", "~"}:
        raise ValueError(f"{operator!r} is not a OneRoster filter operator")
    if "'" in value:
        raise ValueError(f"a OneRoster filter value cannot contain a quote: {value!r}")
    return f"{field_name}{operator}'{value}'"


class OneRosterClient:
    """Requests to one SIS. Thread-safe: roster syncs page with several threads."""

    def __init__(self, config: SisConfig, http: PlatformHttp, *, tokens: TokenCache | None = None) -> None:
        self.config = config
        self.http = http
        self.oauth2: ClientCredentials | None = None
        self.oauth1: OAuth1Signer | None = None
        if config.auth_kind is SisAuthKind.OAUTH2:
            self.oauth2 = ClientCredentials(
                http,
                token_url=config.token_url,
                client_id=config.client_id,
                client_secret=config.client_secret,
                cache=tokens,
            )
        elif config.auth_kind is SisAuthKind.OAUTH1:
            self.oauth1 = OAuth1Signer(config.client_id, config.client_secret)

    @classmethod
    def connect(
        cls,
        config: SisConfig,
        *,
        client: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        tokens: TokenCache | None = None,
        sleep: Callable[[float], None] | None = None,
        timeout: float = 30.0,
    ) -> OneRosterClient:
        """A client with our HTTP stack; tests pass `client` (the sandbox in-process)."""
        kwargs: dict[str, Any] = {}
        if sleep is not None:
            kwargs["sleep"] = sleep
        http = PlatformHttp(
            client or make_client(timeout=timeout),
            name=f"SIS {config.name!r}",
            retry=retry,
            max_concurrency=config.max_concurrency,
            **kwargs,
        )
        return cls(config, http, tokens=tokens)

    # --- plumbing ---------------------------------------------------------------------------

    @property
    def version(self) -> SisVersion:
        return self.config.version

    def url(self, service: str, path: str, params: Sequence[tuple[str, str]] = ()) -> str:
        base = self.config.rostering_url if service == ROSTERING else self.config.gradebook_url
        query = encode_query(params)
        return f"{base}{path}" + (f"?{query}" if query else "")

    def _scopes(self, purpose: str) -> tuple[str, ...]:
        if self.config.scopes is not None:
            return self.config.scopes
        return SCOPES[self.config.version.value][purpose]

    def _headers(self, service: str) -> dict[str, str]:
        headers = {"Accept": "application/json", **self.config.headers}
        if service == GRADEBOOK:
            headers.update(self.config.gradebook_headers)
        return headers

    def send(
        self,
        method: str,
        service: str,
        path: str,
        *,
        purpose: str,
        params: Sequence[tuple[str, str]] = (),
        json: Any = None,
        expected: Sequence[int] = (200, 201, 204),
    ) -> httpx.Response:
        """One authenticated request; a 401 with a cached OAuth 2 token retries once afresh."""
        url = self.url(service, path, params)
        headers = self._headers(service)
        kwargs: dict[str, Any] = {"headers": headers, "expected": expected}
        if json is not None:
            kwargs["json"] = json
        if self.oauth1 is not None:
            try:
                return self.http.request(method, url, auth=self.oauth1, **kwargs)
            except PlatformRejected as error:
                if error.status != 401:
                    raise
                raise PlatformRejected(
                    "the SIS refused our OAuth 1.0a signature or key; check the key and secret "
                    "(our signature base string, minus nonce and timestamp, was for "
                    f"{method} {url})",
                    url=url,
                    status=401,
                    platform_message=error.platform_message,
                ) from None
        if self.oauth2 is None:
            raise SisConnectionInvalid(f"SIS {self.config.name!r} has no REST credentials")
        scopes = self._scopes(purpose)
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {self.oauth2.bearer(scopes)}"
            try:
                return self.http.request(method, url, **kwargs)
            except PlatformRejected as error:
                if error.status != 401 or attempt == 2:
                    raise
                self.oauth2.drop(scopes)
        raise AssertionError("unreachable")  # pragma: no cover

    def get_json(
        self, service: str, path: str, *, purpose: str, params: Sequence[tuple[str, str]] = ()
    ) -> Any:
        response = self.send("GET", service, path, purpose=purpose, params=params, expected=(200,))
        return _json(response)

    def put_json(self, service: str, path: str, body: Any) -> None:
        self.send("PUT", service, path, purpose="gradebook_write", json=body)

    def delete(self, service: str, path: str) -> None:
        self.send("DELETE", service, path, purpose="gradebook_delete", expected=(200, 204, 404))

    # --- collections ------------------------------------------------------------------------

    def _fetch(
        self,
        query: CollectionQuery,
        offset: int,
        limit: int,
        prepare: Callable[[Page], Any] | None = None,
    ) -> tuple[Page, httpx.Response]:
        purpose = "roster" if query.service == ROSTERING else "gradebook_read"
        if query.path == "/demographics":
            purpose = "demographics"  # its own scope: roster-core does not grant it
        response = self.send(
            "GET",
            query.service,
            query.path,
            purpose=purpose,
            params=query.params(limit=limit, offset=offset),
            expected=(200,),
        )
        data = _json(response)
        items = data.get(query.key) if isinstance(data, dict) else None
        if items is None:
            items = []
        if not isinstance(items, list):
            raise PlatformRejected(
                f"SIS {self.config.name!r} answered {query.path} without a '{query.key}' list",
                url=str(response.request.url),
                status=response.status_code,
            )
        total_header = response.headers.get("X-Total-Count")
        total = int(total_header) if total_header and total_header.strip().isdigit() else None
        page = Page(query, offset, items, total)
        if prepare is not None:
            page = replace(page, prepared=prepare(page))
        return page, response

    def pages(
        self,
        queries: Sequence[CollectionQuery],
        *,
        page_size: int | None = None,
        prepare: Callable[[Page], Any] | None = None,
    ) -> Iterator[Page]:
        """Every page of every query, as they arrive (not in order), fetched concurrently.

        First pages of all queries go out together; when a first page tells the total, the
        rest of that collection is requested at once. A failure cancels what is pending and
        raises (`PlatformUnavailable` / `PlatformRejected`). `prepare` runs on each page in
        the fetching thread (parsing while the caller stores the previous page); its result
        is the page's `prepared`.
        """
        limit = page_size or self.config.page_size
        executor = ThreadPoolExecutor(max_workers=self.config.max_concurrency, thread_name_prefix="oneroster")
        pending: dict[Future[tuple[Page, httpx.Response]], tuple[CollectionQuery, int, bool]] = {}
        outstanding: dict[int, int] = {}

        def submit(index: int, offset: int, *, walking: bool) -> None:
            future = executor.submit(self._fetch, queries[index], offset, limit, prepare)
            pending[future] = (queries[index], offset, walking)
            outstanding[index] = outstanding.get(index, 0) + 1

        indexes = {id(query): index for index, query in enumerate(queries)}
        try:
            for index in range(len(queries)):
                submit(index, 0, walking=False)
            while pending:
                done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
                for future in done:
                    query, offset, walking = pending.pop(future)
                    index = indexes[id(query)]
                    outstanding[index] -= 1
                    page, response = future.result()
                    count = len(page.items)
                    if offset == 0 and page.total is not None and not walking and count:
                        # the first page's length is the server's real page size (some cap
                        # `limit` lower, some ignore it): step by it so nothing is skipped
                        for next_offset in range(count, page.total, count):
                            submit(index, next_offset, walking=False)
                    elif offset == 0 or walking:
                        more = next_link(response.headers.get("Link")) is not None or count >= limit
                        if more and count > 0:
                            submit(index, offset + count, walking=True)
                    yield replace(page, last=outstanding[index] == 0)
        finally:
            for future in pending:
                future.cancel()
            executor.shutdown(wait=True, cancel_futures=True)

    def collect(self, query: CollectionQuery, *, page_size: int | None = None) -> list[dict[str, Any]]:
        """All records of one collection, in the server's order."""
        pages = sorted(self.pages([query], page_size=page_size), key=lambda p: p.offset)
        return [item for page in pages for item in page.items]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise PlatformRejected(
            "the SIS answered with something that is not JSON",
            url=str(response.request.url),
            status=response.status_code,
            platform_message=response.text[:200],
        ) from None
