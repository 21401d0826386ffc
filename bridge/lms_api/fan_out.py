"""Independent API calls at once, so a course costs a few round trips rather than many.

Threads, like the rest of the bridge: the calls go through `PlatformHttp`, whose per-platform
cap still bounds what is in flight, however many calls are fanned out here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def in_parallel(calls: Sequence[Callable[[], T]], *, workers: int) -> list[T]:
    """Every call's result, in order; the first call's error is raised once all have ended."""
    if len(calls) <= 1 or workers <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=min(workers, len(calls)), thread_name_prefix="lms-api") as pool:
        futures = [pool.submit(call) for call in calls]
    return [future.result() for future in futures]
