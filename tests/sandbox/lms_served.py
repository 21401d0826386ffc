"""A served sandbox of one flavour with the demo course, for the LMS API emulation tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

from sandbox import RunningServer, SandboxState, create_app, serve
from sandbox.seed import DemoSeed, seed_demo


@dataclass
class Served:
    state: SandboxState
    seed: DemoSeed
    server: RunningServer
    http: httpx.Client

    @property
    def url(self) -> str:
        return self.server.url


@contextmanager
def served_lms(flavour: str, *, students: int = 5, assignments: int = 6) -> Iterator[Served]:
    state = SandboxState.for_flavour(flavour)
    seed = seed_demo(state, students=students, assignments=assignments)
    server = serve(create_app(state))
    http = httpx.Client(timeout=5.0)
    try:
        yield Served(state, seed, server, http)
    finally:
        http.close()
        server.stop()
