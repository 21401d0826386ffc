"""Fault injection: errors for the next N requests, seeded rates, 429s, hangs, Canvas's bucket,
latency, and request counting."""

from __future__ import annotations

import httpx
import pytest

from sandbox.faults import CanvasThrottle, FaultPlan, FaultRule
from tests.sandbox.conftest import CONTAINER, Platform


def _list(platform: Platform, headers: dict[str, str]) -> httpx.Response:
    return platform.http.get(platform.line_items_url(), headers={**headers, "Accept": CONTAINER})


def test_the_next_n_requests_fail_then_all_is_well(generic: Platform) -> None:
    headers = generic.bearer()
    generic.state.faults.add(FaultRule(path=r"/lineitems$", status=503, next_n=2))
    statuses = [_list(generic, headers).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_a_rule_matches_its_method_only(generic: Platform) -> None:
    headers = generic.bearer()
    generic.state.faults.add(FaultRule(path="lineitems", method="POST", status=500))
    assert _list(generic, headers).status_code == 200


def test_429_carries_retry_after(generic: Platform) -> None:
    headers = generic.bearer()
    generic.state.faults.add(FaultRule(path="lineitems", status=429, retry_after=3, next_n=1))
    limited = _list(generic, headers)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"


def test_seeded_rates_repeat() -> None:
    def run(seed: int) -> list[int | None]:
        plan = FaultPlan(seed=seed)
        plan.add(FaultRule(status=502, rate=0.3))
        return [plan.decide("GET", "/x").status for _ in range(50)]

    first = run(11)
    assert first == run(11)
    assert 5 <= first.count(502) <= 25
    assert first != run(12)


def test_latency_adds_up_over_matching_rules() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(path="scores", latency_ms=30))
    plan.add(FaultRule(path="/ags/", latency_ms=20, hang_seconds=1.0))
    assert plan.decide("POST", "/ags/courses/1/lineitems/2/scores").delay_seconds == pytest.approx(1.05)
    assert plan.decide("GET", "/auth").delay_seconds == 0


def test_a_hang_outlasts_a_client_timeout(generic: Platform) -> None:
    headers = generic.bearer()
    generic.state.faults.add(FaultRule(path="lineitems", hang_seconds=1.0, next_n=1))
    with pytest.raises(httpx.ReadTimeout):
        generic.http.get(generic.line_items_url(), headers={**headers, "Accept": CONTAINER}, timeout=0.2)


def test_canvas_cost_bucket_reports_and_refuses(canvas: Platform) -> None:
    headers = canvas.bearer()
    canvas.state.faults.set_throttle(CanvasThrottle(bucket=3, cost=1, leak_per_second=0))
    answers = [_list(canvas, headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 403]
    assert [float(a.headers["X-Rate-Limit-Remaining"]) for a in answers] == [2, 1, 0, 0]
    assert answers[0].headers["X-Request-Cost"].startswith("1")
    assert "Rate Limit Exceeded" in answers[3].text


def test_requests_are_counted_by_method_and_kind(generic: Platform) -> None:
    headers = generic.bearer()
    generic.line_items_url()  # launches once, before counting starts
    generic.state.faults.reset_counts()
    for _ in range(3):
        _list(generic, headers)
    assert generic.state.faults.count(method="GET", kind="ags.line_items") == 3
    assert generic.state.faults.count(kind="ags") == 3
    assert generic.state.faults.count(method="POST") == 0
    counters = generic.http.get(generic.state.url("/sandbox/counters")).json()
    assert counters == {"GET ags.line_items": 3}


def test_faults_over_http(generic: Platform) -> None:
    headers = generic.bearer()
    control = generic.state.url("/sandbox/faults")
    answer = generic.http.post(
        control,
        json={"seed": 3, "rules": [{"path": "lineitems", "status": 500, "next_n": 1}]},
    )
    assert answer.status_code == 200 and answer.json()["rules"][0]["status"] == 500
    assert _list(generic, headers).status_code == 500
    assert _list(generic, headers).status_code == 200
    bad = generic.http.post(control, json={"rules": [{"path": "x", "statuss": 500}]})
    assert bad.status_code == 400 and "statuss" in bad.json()["message"]
    assert generic.http.delete(control).json()["rules"] == []


def test_a_rule_must_make_sense() -> None:
    with pytest.raises(ValueError, match="4xx or 5xx"):
        FaultRule(status=200)
    with pytest.raises(ValueError, match="rate"):
        FaultRule(status=500, rate=1.5)


def test_next_n_limits_latency_too() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(latency_ms=100, next_n=1))
    assert [plan.decide("GET", "/x").delay_seconds for _ in range(2)] == [0.1, 0]
