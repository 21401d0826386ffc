"""A standing as a Canvas outcome result and as a OneRoster 1.2 result: same number, same date."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sqlalchemy import select

from bridge.lms_api.connection import course_api
from bridge.lms_sync import sync_course
from bridge.native import assessed_on, native_score, objective_result
from bridge.native.wanted import lms_user_ids
from bridge.oneroster.standings import Payloads, plan_standings
from sandbox.native_outcomes import native_outcomes
from store.sis import SisVersion
from store.standings import StandingRow


def _canvas_results(course) -> dict[tuple[str, str], tuple[Decimal, datetime]]:
    """(Canvas user, outcome vendor_guid) -> (score, when), from Canvas's own outcome results."""
    state = course.stack.state
    token = state.lms_api.add_personal_token(course.stack.seed.admin_id)
    codes = {o.id: o.vendor_guid for o in native_outcomes(state).outcomes.values()}
    found = {}
    url: str | None = f"{state.base_url}/api/v1/courses/{course.sandbox_course}/outcome_results?per_page=100"
    while url:
        answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert answer.status_code == 200, answer.text
        for row in answer.json()["outcome_results"]:
            when = datetime.fromisoformat(row["submitted_or_assessed_at"].replace("Z", "+00:00"))
            found[(row["links"]["user"], codes[row["links"]["learning_outcome"]])] = (
                Decimal(str(row["score"])),
                when,
            )
        url = answer.links.get("next", {}).get("url")
    return found


def test_canvas_outcome_result_and_oneroster_result_agree(canvas):
    outcome = sync_course(canvas.bridge, canvas.course_id)
    assert not outcome.problems, outcome.problems
    shown = _canvas_results(canvas)
    payloads = Payloads(
        version=SisVersion.V1_2,
        rostering_url="https://sis.example/ims/oneroster/rostering/v1p2",
        gradebook_url="https://sis.example/ims/oneroster/gradebook/v1p2",
        now=datetime.now(UTC),
    )
    compared = 0
    with canvas.stack.database.begin() as session:
        rows = session.scalars(
            select(StandingRow).where(
                StandingRow.course_id == canvas.course_id, StandingRow.value.is_not(None)
            )
        ).all()
        users = lms_user_ids(
            session,
            course_api(session, canvas.bridge.secret_box, canvas.course_id),
            [r.student_id for r in rows],
        )
        for row in rows:
            standing = objective_result(
                session, row, assessed_at=datetime(2026, 1, 1, tzinfo=UTC), class_sourced_id="class-1",
                student_sourced_id=f"sis-{row.student_id}",
            )  # fmt: skip
            code = standing.indicator_code or standing.standard_code
            canvas_result = shown.get((users.get(row.student_id, ""), code))
            if canvas_result is None:
                continue  # a learner Canvas cannot be matched to
            score, when = canvas_result
            standing = objective_result(
                session,
                row,
                assessed_at=when,
                class_sourced_id="class-1",
                student_sourced_id=f"sis-{row.student_id}",
            )
            wire = payloads.result(plan_standings([standing]).results[0]).to_wire()
            objective = wire["learningObjectiveSet"][0]["learningObjectiveResults"][0]
            assert (
                Decimal(str(wire["score"]))
                == Decimal(str(objective["score"]))
                == score
                == native_score(row.value)
            )
            assert (
                wire["scoreDate"] == when.astimezone(UTC).date().isoformat() == assessed_on(when).isoformat()
            )
            compared += 1
    assert compared == len(shown) > 0


def test_the_date_is_the_lms_timestamps_utc_day():
    late_in_new_york = datetime.fromisoformat("2026-03-01T23:30:00-05:00")
    assert assessed_on(late_in_new_york).isoformat() == "2026-03-02"
    assert native_score(Decimal("2.665")) == Decimal("2.67")
