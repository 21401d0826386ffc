"""Fault injection and request counting, so tests and benchmarks can make the platform misbehave.

Rules match a regular expression searched in the request path (and optionally a method) and
add latency, answer an error (5xx, 429 with Retry-After) at a rate or for the next N
requests, or hang. A Canvas-style cost bucket reports `X-Rate-Limit-Remaining` and
`X-Request-Cost` and refuses when empty. Random choices use a seeded generator, so a run is
repeatable. Every request is counted by method and endpoint kind (the Flask endpoint name,
e.g. `ags.scores`), so a benchmark can tell how many requests a sync made.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FaultRule:
    """One misbehaviour for matching requests.

    `latency_ms` and `hang_seconds` delay every matching request; `status` (e.g. 503, 429)
    is answered with probability `rate`. With `next_n` the whole rule applies to exactly the
    next `next_n` matching requests (`rate` is then ignored) and is inert afterwards. A hang
    lets the request through afterwards (unless `status` also applies): a client with a
    shorter timeout gives up while the platform still does the work, as a real overloaded
    server would.
    """

    path: str = ".*"
    method: str | None = None
    latency_ms: int = 0
    status: int | None = None
    rate: float = 1.0
    next_n: int | None = None
    retry_after: int | None = None
    hang_seconds: float = 0.0

    def __post_init__(self) -> None:
        re.compile(self.path)
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"fault status must be a 4xx or 5xx, not {self.status}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, not {self.rate}")

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return re.search(self.path, path) is not None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        allowed = set(cls.__dataclass_fields__)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule fields {sorted(unknown)}: use {sorted(allowed)}")
        return cls(**data)


@dataclass(frozen=True)
class CanvasThrottle:
    """Canvas's leaky cost bucket: each request costs `cost`, the bucket leaks per second."""

    bucket: float = 700.0
    cost: float = 1.0
    leak_per_second: float = 10.0
    status: int = 403


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request: wait, then maybe answer an error instead."""

    delay_seconds: float = 0.0
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class FaultPlan:
    """The rules in force, their remaining counts, the throttle and the request counters."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._remaining: list[int | None] = []
        self.throttle: CanvasThrottle | None = None
        self._used = 0.0
        self._last_leak = time.monotonic()
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)
            self._remaining.append(rule.next_n)

    def clear(self, *, seed: int | None = None) -> None:
        """Drop every rule and the throttle (the counters stay)."""
        with self._lock:
            self._rules, self._remaining, self.throttle, self._used = [], [], None, 0.0
            if seed is not None:
                self._rng = random.Random(seed)

    def set_throttle(self, throttle: CanvasThrottle | None) -> None:
        with self._lock:
            self.throttle, self._used, self._last_leak = throttle, 0.0, time.monotonic()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    # counting -------------------------------------------------------------------------------

    def count_request(self, method: str, kind: str) -> None:
        with self._lock:
            self._counts[(method.upper(), kind)] += 1

    def count(self, *, method: str | None = None, kind: str | None = None) -> int:
        """Requests seen, optionally only of one method and/or endpoint kind (prefix match)."""
        with self._lock:
            return sum(
                number
                for (seen_method, seen_kind), number in self._counts.items()
                if (method is None or seen_method == method.upper())
                and (kind is None or seen_kind == kind or seen_kind.startswith(kind + "."))
            )

    def counts(self) -> dict[str, int]:
        """`{"GET ags.line_items": 3, ...}`."""
        with self._lock:
            return {f"{method} {kind}": n for (method, kind), n in sorted(self._counts.items())}

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()

    # deciding -------------------------------------------------------------------------------

    def decide(self, method: str, path: str) -> FaultDecision:
        """Apply the first matching rules' latency and the first error that fires."""
        delay, status, headers = 0.0, None, {}
        with self._lock:
            for index, rule in enumerate(self._rules):
                if not rule.matches(method, path) or not self._still_applies(index):
                    continue
                delay += rule.latency_ms / 1000 + rule.hang_seconds
                if status is None and rule.status is not None and self._fires(rule):
                    status = rule.status
                    if rule.retry_after is not None:
                        headers["Retry-After"] = str(rule.retry_after)
        if status is not None:
            return FaultDecision(delay, status, headers, f"sandbox fault injected: {status}")
        return FaultDecision(delay)

    def _still_applies(self, index: int) -> bool:
        """Count one use of a rule limited to `next_n` requests; False once used up."""
        remaining = self._remaining[index]
        if remaining is None:
            return True
        if remaining <= 0:
            return False
        self._remaining[index] = remaining - 1
        return True

    def _fires(self, rule: FaultRule) -> bool:
        return rule.next_n is not None or self._rng.random() < rule.rate

    def charge(self) -> tuple[dict[str, str], bool]:
        """Charge one request to the throttle: its headers, and whether it is refused."""
        with self._lock:
            throttle = self.throttle
            if throttle is None:
                return {}, False
            now = time.monotonic()
            self._used = max(0.0, self._used - (now - self._last_leak) * throttle.leak_per_second)
            self._last_leak = now
            refused = self._used + throttle.cost > throttle.bucket
            if not refused:
                self._used += throttle.cost
            remaining = max(0.0, throttle.bucket - self._used)
        headers = {
            "X-Request-Cost": f"{throttle.cost:.4f}",
            "X-Rate-Limit-Remaining": f"{remaining:.4f}",
        }
        return headers, refused
