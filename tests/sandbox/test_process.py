"""The sandbox served from a process of its own (for benchmarks)."""

from __future__ import annotations

import httpx
import pytest

from sandbox import SandboxState, serve_process


def small_school() -> tuple[SandboxState, dict[str, str]]:
    state = SandboxState.for_flavour("generic")
    course = state.add_course(title="Biology", label="BIO")
    return state, {"course": course.id}


def broken_school() -> SandboxState:
    raise ValueError("no such flavour today")


def test_a_sandbox_in_its_own_process_answers_and_counts() -> None:
    with serve_process(small_school) as server:
        assert server.info == {"course": "1"}
        jwks = httpx.get(server.url + "/.well-known/jwks.json", timeout=10)
        assert jwks.status_code == 200 and jwks.json()["keys"][0]["kid"]
        counters = httpx.get(server.url + "/sandbox/counters", timeout=10).json()
        assert counters == {"GET oidc.jwks": 1}


def test_a_factory_that_fails_is_reported() -> None:
    with pytest.raises(RuntimeError, match="no such flavour today"):
        serve_process(broken_school)
