"""The one outbound HTTP stack: timeouts, bounded retries, 429 handling, a concurrency cap.

Every call to a platform, LMS API or SIS goes through `PlatformHttp.request`, so the rules
live in one place: a request has a timeout; 5xx, timeouts and connection errors are retried
with exponential backoff and jitter; 429 (and Canvas's 403 "Rate Limit Exceeded") waits for
`Retry-After`; Canvas's `X-Rate-Limit-Remaining` slows us down before the bucket is empty;
at most `max_concurrency` requests are in flight per platform. httpx errors are translated
here and nowhere else into `PlatformUnavailable` / `PlatformRejected`.

Concurrency is by threads over one thread-safe `httpx.Client`: syncs also write to the
database through synchronous SQLAlchemy sessions, and threads keep both in one model.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from pbridge.errors import PlatformRejected, PlatformUnavailable

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. `attempts` counts the first try; waits grow as base·2^n, capped."""

    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 20.0
    #: the longest `Retry-After` we honour; a longer one fails the request with its reason
    max_retry_after: float = 120.0
    #: how many 429s in a row we accept for one request before giving up
    throttle_attempts: int = 6
    jitter: bool = True


@dataclass
class RequestStats:
    """Counts by outcome, for sync runs and benchmarks."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    failures: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, method: str) -> None:
        with self._lock:
            self.requests += 1
            self.by_method[method] = self.by_method.get(method, 0) + 1

    def add(self, name: str) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)


class PlatformHttp:
    """Requests to one platform (an LMS, a SIS) with its own retry rules and concurrency cap."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        name: str,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 8,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.name = name
        self.retry = retry or RetryPolicy()
        self.max_concurrency = max_concurrency
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.stats = RequestStats()
        self._pause_until = 0.0
        self._pause_lock = threading.Lock()

    def request(
        self,
        method: str,
        url: str,
        *,
        expected: Iterable[int] = (200, 201, 202, 204),
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request, retrying what is worth retrying; raise ours on failure.

        Raises `PlatformUnavailable` when timeouts, connection errors or 5xx outlast the
        retries, and `PlatformRejected` for any other status outside `expected`.
        """
        expected_set = set(expected)
        attempt = 0
        throttles = 0
        while True:
            self._wait_for_pause()
            try:
                with self._slots:
                    self.stats.count(method)
                    response = self.client.request(method, url, **kwargs)
            except httpx.TimeoutException as error:
                attempt += 1
                if attempt >= self.retry.attempts:
                    self.stats.add("failures")
                    raise PlatformUnavailable(
                        f"{self.name} did not answer in time ({type(error).__name__})", url=url
                    ) from None
                self._backoff(attempt)
                continue
            except httpx.TransportError as error:
                attempt += 1
                if attempt >= self.retry.attempts:
                    self.stats.add("failures")
                    raise PlatformUnavailable(
                        f"{self.name} could not be reached ({type(error).__name__}: {error})",
                        url=url,
                    ) from None
                self._backoff(attempt)
                continue

            self._note_rate_limit(response)
            status = response.status_code
            if status in expected_set:
                return response
            if is_throttled(response):
                throttles += 1
                self.stats.add("throttled")
                wait = retry_after_seconds(response, default=self._delay(throttles))
                if throttles > self.retry.throttle_attempts or wait > self.retry.max_retry_after:
                    self.stats.add("failures")
                    raise PlatformUnavailable(
                        f"{self.name} keeps throttling us (asked to wait {wait:.0f} s)",
                        url=url,
                        status=status,
                        platform_message=response_text(response),
                    )
                self._pause(wait)
                continue
            if status in RETRYABLE_STATUSES:
                attempt += 1
                if attempt >= self.retry.attempts:
                    self.stats.add("failures")
                    raise PlatformUnavailable(
                        f"{self.name} failed after {attempt} attempts",
                        url=url,
                        status=status,
                        platform_message=response_text(response),
                    )
                self._backoff(attempt)
                continue
            self.stats.add("failures")
            raise PlatformRejected(
                f"{self.name} refused the request",
                url=url,
                status=status,
                platform_message=response_text(response),
            )

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    # --- waiting -------------------------------------------------------------------------

    def _delay(self, attempt: int) -> float:
        delay = float(min(self.retry.max_delay, self.retry.base_delay * (2 ** (attempt - 1))))
        if self.retry.jitter:
            delay = delay / 2 + self._rng.random() * delay / 2
        return delay

    def _backoff(self, attempt: int) -> None:
        self.stats.add("retries")
        self._sleep(self._delay(attempt))

    def _pause(self, seconds: float) -> None:
        """Hold every request to this platform, not just this one: the bucket is shared."""
        with self._pause_lock:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)
        self._wait_for_pause()

    def _wait_for_pause(self) -> None:
        remaining = self._pause_until - time.monotonic()
        if remaining > 0:
            self._sleep(remaining)

    def _note_rate_limit(self, response: httpx.Response) -> None:
        """Canvas reports its cost bucket; below a tenth of a fresh one, ease off a little."""
        remaining = response.headers.get("X-Rate-Limit-Remaining")
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        if left < 70:  # Canvas buckets start at 700
            with self._pause_lock:
                self._pause_until = max(self._pause_until, time.monotonic() + (70 - left) / 70)


def is_throttled(response: httpx.Response) -> bool:
    """429, or Canvas's 403 whose body says the rate limit was exceeded."""
    if response.status_code == 429:
        return True
    return response.status_code == 403 and "rate limit exceeded" in response.text[:200].lower()


def retry_after_seconds(response: httpx.Response, *, default: float) -> float:
    """`Retry-After` as seconds, whether given as a number or an HTTP date."""
    value = response.headers.get("Retry-After")
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def response_text(response: httpx.Response) -> str:
    """What the platform said, short, for error messages (bodies can be whole HTML pages)."""
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text.split())[:300]
    if isinstance(data, dict):
        for key in ("error_description", "error", "message", "errors", "imsx_description"):
            if data.get(key):
                return str(data[key])[:300]
    return str(data)[:300]


def make_client(*, timeout: float = 10.0, **kwargs: Any) -> httpx.Client:
    """An httpx client with our defaults: a timeout on everything, a pool sized for syncs."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        follow_redirects=False,
        headers={"User-Agent": "ProficiencyBridge/0.1"},
        **kwargs,
    )
