import httpx
import pytest

from bridge.http import PlatformHttp, RetryPolicy, retry_after_seconds
from pbridge.errors import PlatformRejected, PlatformUnavailable


def _http(handler, **kwargs):
    waits: list[float] = []
    http = PlatformHttp(
        httpx.Client(transport=httpx.MockTransport(handler)),
        name="Test LMS",
        retry=RetryPolicy(attempts=3, base_delay=0.01, jitter=False),
        sleep=waits.append,
        **kwargs,
    )
    return http, waits


def test_5xx_is_retried_then_succeeds():
    answers = iter([503, 502, 200])
    http, waits = _http(lambda request: httpx.Response(next(answers), json={}))
    assert http.get("https://lms/x").status_code == 200
    assert http.stats.requests == 3
    assert len(waits) == 2


def test_5xx_outlasting_the_retries_is_unavailable_with_the_platform_message():
    http, _ = _http(lambda request: httpx.Response(500, json={"error": "db down"}))
    with pytest.raises(PlatformUnavailable, match="db down") as info:
        http.get("https://lms/x")
    assert info.value.status == 500
    assert http.stats.requests == 3


def test_4xx_is_not_retried():
    http, _ = _http(lambda request: httpx.Response(422, json={"errors": "not a student"}))
    with pytest.raises(PlatformRejected, match="HTTP 422"):
        http.post("https://lms/scores", json={})
    assert http.stats.requests == 1


def test_429_waits_for_retry_after():
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])
    http, waits = _http(lambda request: next(answers))
    assert http.get("https://lms/x").status_code == 200
    assert waits and waits[0] > 6


def test_canvas_403_rate_limit_counts_as_throttling():
    answers = iter([httpx.Response(403, text="403 Forbidden (Rate Limit Exceeded)"), httpx.Response(200)])
    http, _ = _http(lambda request: next(answers))
    assert http.get("https://canvas/api/v1/x").status_code == 200
    assert http.stats.throttled == 1


def test_a_retry_after_longer_than_we_accept_fails_clearly():
    http, _ = _http(lambda request: httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(PlatformUnavailable, match="throttling"):
        http.get("https://lms/x")


def test_timeouts_are_retried_then_reported():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    http, _ = _http(handler)
    with pytest.raises(PlatformUnavailable, match="did not answer in time"):
        http.get("https://lms/x")
    assert http.stats.requests == 3


def test_retry_after_as_http_date():
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_seconds(response, default=5) == 0.0
