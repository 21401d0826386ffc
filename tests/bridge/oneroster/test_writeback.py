from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select

from bridge.oneroster.client import OneRosterClient
from bridge.oneroster.roster_sync import sync_roster
from bridge.oneroster.standings import (
    CATEGORY_ID,
    StandingResult,
    StandingsInvalid,
    line_item_id,
    plan_standings,
    result_id,
)
from bridge.oneroster.writeback import write_back
from pbridge.errors import PlatformUnavailable
from sandbox.oneroster import FaultRule, create_app
from store.sync_runs import RunStatus, SyncRun
from tests.bridge.oneroster.openapi import assert_valid

CASE = "3f1c8a0e-6b1d-4e0b-9d0a-5b7a1c2d3e4f"
DISTRICT = {"schools": 2, "users": 60, "classes": 5, "enrollments": 120}


def standings(value: str = "3", *, students: int = 6, classes: int = 2) -> list[StandingResult]:
    made = []
    for c in range(classes):
        for s in range(students):
            student = f"usr-{(c + s) % 59:06d}"
            made.append(
                StandingResult(
                    f"cls-{c:05d}",
                    student,
                    "MATH.1",
                    "Number sense",
                    None,
                    Decimal(value),
                    CASE,
                    date(2025, 10, 1),
                    comment="from evidence",
                )
            )
            made.append(
                StandingResult(
                    f"cls-{c:05d}",
                    student,
                    "ELA.2",
                    "Writing",
                    "ELA.2.a",
                    Decimal("2.5"),
                    None,
                    date(2025, 10, 2),
                    indicator_title="Claims",
                )
            )
    return made


class Recording(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return self.inner.handle_request(request)


def _recording_client(sis) -> tuple[OneRosterClient, Recording]:
    client = sis.client()
    recording = Recording(httpx.WSGITransport(app=create_app(sis.state)))
    client.http.client = httpx.Client(transport=recording)
    return client, recording


@pytest.fixture
def synced(sis_factory):
    sis = sis_factory(**DISTRICT)
    sync_roster(sis.database, sis.connection_id, sis.client())
    return sis


def test_payloads_sent_validate_against_the_official_gradebook_schema(synced):
    client, recording = _recording_client(synced)
    report = write_back(synced.database, synced.connection_id, client, standings())
    assert report.status is RunStatus.SUCCEEDED
    puts = [r for r in recording.sent if r.method == "PUT"]
    kinds = {
        "lineItems": "SingleLineItemDType",
        "results": "SingleResultDType",
        "categories": "SingleCategoryDType",
    }
    for request in puts:
        collection = request.url.path.split("/")[-2]
        assert_valid("gradebook", kinds[collection], json.loads(request.content))
    results = [json.loads(r.content)["result"] for r in puts if "/results/" in r.url.path]
    case = next(r for r in results if r["learningObjectiveSet"][0]["source"] == "case")
    assert case["learningObjectiveSet"][0]["learningObjectiveResults"] == [
        {"learningObjectiveId": CASE, "score": 3.0}
    ]
    assert (case["scoreStatus"], case["scoreDate"], case["inProgress"]) == (
        "fully graded",
        "2025-10-01",
        "false",
    )
    unknown = next(r for r in results if r["learningObjectiveSet"][0]["source"] == "unknown")
    assert (
        unknown["learningObjectiveSet"][0]["learningObjectiveResults"][0]["learningObjectiveId"] == "ELA.2.a"
    )


def test_line_items_are_per_standard_or_indicator_with_stable_ids(synced):
    write_back(synced.database, synced.connection_id, synced.client(), standings())
    items = synced.state.records["lineItems"]
    assert len(items) == 4  # 2 classes x (MATH.1, ELA.2.a)
    item = items[line_item_id("cls-00000", "MATH.1", None)]
    assert item["title"] == "MATH.1 Number sense"
    assert item["category"]["sourcedId"] == CATEGORY_ID
    assert item["school"]["sourcedId"] == "org-000"
    assert (item["assignDate"][:10], item["dueDate"][:10]) == ("2025-08-15", "2026-01-20")  # the class's term
    indicator = items[line_item_id("cls-00000", "ELA.2", "ELA.2.a")]
    assert indicator["title"] == "ELA.2.a Claims"


def test_only_changed_results_are_sent_again(synced):
    first = write_back(synced.database, synced.connection_id, synced.client(), standings())
    assert (first.line_items_written, first.results_written) == (4, 24)
    again = write_back(synced.database, synced.connection_id, synced.client(), standings())
    assert (again.requests, again.unchanged, again.results_written) == (0, 24, 0)
    changed = standings()
    changed[0] = replace(changed[0], value=Decimal("4"))
    third = write_back(synced.database, synced.connection_id, synced.client(), changed)
    assert (third.results_written, third.line_items_written, third.unchanged) == (1, 0, 23)
    rid = result_id(line_item_id("cls-00000", "MATH.1", None), "usr-000000")
    assert synced.state.get("results", rid)["score"] == 4.0


def test_a_run_killed_midway_resumes_to_the_same_end_state(synced, sis_factory):
    synced.state.faults.set([FaultRule(path="/results/", method="PUT", status=503, after_n=9)])
    with pytest.raises(PlatformUnavailable):
        write_back(synced.database, synced.connection_id, synced.client(), standings(), flush_every=3)
    done_before = len(synced.state.records["results"])
    assert 0 < done_before < 24
    with synced.database.begin() as session:
        assert session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first().status is RunStatus.FAILED
    synced.state.faults.clear()
    synced.state.faults.reset_counts()
    resumed = write_back(synced.database, synced.connection_id, synced.client(), standings())
    assert resumed.status is RunStatus.SUCCEEDED
    assert synced.requests("PUT lineItems") == 0  # all four were written before the fault
    assert resumed.results_written == 24 - done_before
    assert len(synced.state.records["lineItems"]) == 4
    assert len(synced.state.records["results"]) == 24
    # the end state equals a run that never failed
    clean = sis_factory(name="never failed", **DISTRICT)
    sync_roster(clean.database, clean.connection_id, clean.client())
    write_back(clean.database, clean.connection_id, clean.client(), standings())

    def content(state):
        return {
            name: {
                k: {f: v for f, v in r.items() if f != "dateLastModified"}
                for k, r in state.records[name].items()
            }
            for name in ("lineItems", "results", "categories")
        }

    assert content(synced.state) == content(clean.state)


def test_throttling_is_waited_out(synced):
    synced.state.faults.set([FaultRule(path="/results/", status=429, next_n=2, retry_after=1)])
    report = write_back(synced.database, synced.connection_id, synced.client(), standings())
    assert report.results_written == 24
    assert synced.state.faults.injected[429] == 2


def test_a_refused_result_is_an_error_and_the_rest_lands(synced):
    bad = standings()
    bad.append(
        StandingResult(
            "cls-00000", "usr-unknown", "MATH.1", "Number sense", None, Decimal(3), CASE, date(2025, 10, 1)
        )
    )
    report = write_back(synced.database, synced.connection_id, synced.client(), bad)
    assert report.status is RunStatus.PARTIAL
    assert report.results_written == 24 and report.failed == 1
    assert "usr-unknown" in report.errors[0]


def test_a_standing_gone_is_cleared_in_1_2(synced):
    write_back(synced.database, synced.connection_id, synced.client(), standings())
    gone = standings()
    gone[0] = replace(gone[0], value=None)
    report = write_back(synced.database, synced.connection_id, synced.client(), gone)
    assert report.results_cleared == 1
    result = synced.state.get("results", result_id(line_item_id("cls-00000", "MATH.1", None), "usr-000000"))
    assert result["scoreStatus"] == "not submitted" and "score" not in result
    # never written, now None: nothing to send
    fresh = [replace(s, value=None) for s in standings(classes=1)][:1]
    fresh[0] = replace(fresh[0], student_sourced_id="usr-000050")
    assert write_back(synced.database, synced.connection_id, synced.client(), fresh).requests == 0


def test_version_1_1_payloads_and_delete_to_clear(sis_factory):
    sis = sis_factory(version="1.1", auth="oauth1", **DISTRICT)
    sync_roster(sis.database, sis.connection_id, sis.client())
    report = write_back(sis.database, sis.connection_id, sis.client(), standings())
    assert report.status is RunStatus.SUCCEEDED
    item = sis.state.records["lineItems"][line_item_id("cls-00000", "MATH.1", None)]
    assert item["gradingPeriod"]["sourcedId"] == "ses-t1" and "school" not in item
    gone = standings()
    gone[0] = replace(gone[0], value=None)
    cleared = write_back(sis.database, sis.connection_id, sis.client(), gone)
    assert cleared.results_cleared == 1
    assert len(sis.state.records["results"]) == 23


def test_a_class_the_roster_does_not_know_is_asked_of_the_sis(sis_factory):
    sis = sis_factory(**DISTRICT)  # no roster sync: the class is looked up over REST
    report = write_back(sis.database, sis.connection_id, sis.client(), standings(classes=1))
    assert report.status is RunStatus.SUCCEEDED
    assert sis.requests("GET classes") == 1


def test_bad_standings_are_refused_before_any_request(synced):
    bad = standings()
    bad.append(replace(bad[0]))
    with pytest.raises(StandingsInvalid, match="the same student, class and standard"):
        write_back(synced.database, synced.connection_id, synced.client(), bad)
    with pytest.raises(StandingsInvalid, match="not a UUID"):
        plan_standings([replace(bad[0], case_uuid="MATH-1")])
    with pytest.raises(StandingsInvalid, match="outside the scale"):
        plan_standings([replace(bad[0], value=Decimal(7))])
    assert synced.requests("PUT results") == 0
