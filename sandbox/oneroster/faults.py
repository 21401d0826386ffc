"""Misbehaviour on demand, and a count of every request, for tests and benchmarks.

A rule matches a regular expression searched in the path (and optionally a method). It can
add latency to every matching request, and answer an error (5xx, or 429 with Retry-After)
at a rate, for the next N matching requests, or from the Nth matching request on
(`after_n`: "the SIS falls over half way through the run"). Random choices use a seeded
generator, so a run repeats exactly.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FaultRule:
    path: str = ".*"
    method: str | None = None
    latency_ms: float = 0.0
    status: int | None = None
    rate: float = 1.0
    #: answer `status` to exactly the next N matching requests, then stop
    next_n: int | None = None
    #: let the first N matching requests through, then answer `status`
    after_n: int = 0
    retry_after: float | None = None

    def __post_init__(self) -> None:
        re.compile(self.path)
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"a fault status must be 4xx or 5xx, not {self.status}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"a fault rate must be between 0 and 1, not {self.rate}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault rule fields {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait, then (maybe) answer an error instead."""

    latency: float = 0.0
    status: int | None = None
    retry_after: float | None = None


@dataclass
class FaultPlan:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 7
    counts: Counter[str] = field(default_factory=Counter)
    injected: Counter[int] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._matched: Counter[int] = Counter()
        self._fired: Counter[int] = Counter()

    def set(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self.rules = list(rules)
            self._matched.clear()
            self._fired.clear()

    def clear(self) -> None:
        self.set([])

    def reset_counts(self) -> None:
        with self._lock:
            self.counts.clear()
            self.injected.clear()

    def count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def decide(self, method: str, path: str) -> Fault:
        latency = 0.0
        with self._lock:
            for index, rule in enumerate(self.rules):
                if rule.method is not None and rule.method.upper() != method.upper():
                    continue
                if re.search(rule.path, path) is None:
                    continue
                latency += rule.latency_ms / 1000.0
                if rule.status is None:
                    continue
                self._matched[index] += 1
                if self._matched[index] <= rule.after_n:
                    continue
                if rule.next_n is not None and self._fired[index] >= rule.next_n:
                    continue
                if rule.next_n is None and self._rng.random() >= rule.rate:
                    continue
                self._fired[index] += 1
                self.injected[rule.status] += 1
                return Fault(latency=latency, status=rule.status, retry_after=rule.retry_after)
        return Fault(latency=latency)
