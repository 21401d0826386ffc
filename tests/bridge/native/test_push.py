"""Standings written natively and read back through the platform's own results API."""

from __future__ import annotations

from decimal import Decimal

import httpx

from bridge.lms_sync import sync_course
from bridge.native import push_native
from bridge.native.wanted import nearest_level
from bridge.outcome import CourseOutcome
from mappings.scale import Level, Scale
from sandbox.faults import FaultRule
from sandbox.moodle_competencies import WITH_COMPETENCIES
from sandbox.native_outcomes import native_outcomes
from tests.bridge.native.conftest import stored_standings

LEVELS = ("Does not meet", "Partially meets", "Meets", "Exceeds")


def _writes(state) -> int:
    return sum(n for key, n in state.faults.counts().items() if key.split()[0] in ("POST", "PUT", "DELETE"))


def _canvas_get(course, path: str) -> dict:
    """Every page of a Canvas results list, through the sandbox's own API."""
    state = course.stack.state
    token = state.lms_api.add_personal_token(course.stack.seed.admin_id)
    key = path.replace("outcome_", "")
    key = "outcome_results" if path == "outcome_results" else key
    found: list = []
    for page in range(1, 50):
        answer = httpx.get(
            f"{state.base_url}/api/v1/courses/{course.sandbox_course}/{path}",
            params={"per_page": 100, "page": page},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        rows = answer.json()[key]
        if not rows:
            break
        found += rows
    return {key: found}


def test_canvas_round_trip_and_idempotence(canvas):
    first = sync_course(canvas.bridge, canvas.course_id)
    assert not first.problems, first.problems
    assert native_outcomes(canvas.stack.state).outcomes, first.notices
    expected = stored_standings(canvas)
    assert expected
    store = native_outcomes(canvas.stack.state)
    codes = {o.vendor_guid: o.id for o in store.outcomes.values()}
    results = _canvas_get(canvas, "outcome_results")["outcome_results"]
    shown = {(r["links"]["user"], r["links"]["learning_outcome"]): Decimal(str(r["score"])) for r in results}
    assert {(u, codes[c]): v for (u, c), v in expected.items()} == shown
    rollups = _canvas_get(canvas, "outcome_rollups")["rollups"]
    rolled = {
        (r["links"]["user"], s["links"]["outcome"]): Decimal(str(s["score"]))
        for r in rollups
        for s in r["scores"]
    }
    assert all(rolled[(u, codes[c])] == v for (u, c), v in expected.items())
    # the outcome carries the scale: ratings per level, mastery at "meets"
    made = next(iter(store.outcomes.values()))
    assert [r["description"] for r in made.ratings] == list(reversed(LEVELS)) and made.mastery_points == 3.0

    outcomes, rubrics = len(store.outcomes), len(store.rubrics)
    canvas.stack.state.faults.reset_counts()
    again = sync_course(canvas.bridge, canvas.course_id)
    assert not again.problems
    assert _writes(canvas.stack.state) == 0
    assert (len(store.outcomes), len(store.rubrics)) == (outcomes, rubrics)


def test_canvas_changed_standing_is_rewritten_alone(canvas):
    sync_course(canvas.bridge, canvas.course_id)
    canvas.score(0, 0, 99.0, minutes=5)
    canvas.score(1, 0, 99.0, minutes=5)
    canvas.score(2, 0, 99.0, minutes=5)
    canvas.stack.state.faults.reset_counts()
    sync_course(canvas.bridge, canvas.course_id)
    counts = canvas.stack.state.faults.counts()
    puts = sum(n for key, n in counts.items() if key.startswith("PUT") and "canvas_outcomes" in key)
    assert 1 <= puts <= 6  # one learner: at most their 4 indicators and 2 standards
    expected = stored_standings(canvas)
    codes = {o.vendor_guid: o.id for o in native_outcomes(canvas.stack.state).outcomes.values()}
    results = _canvas_get(canvas, "outcome_results")["outcome_results"]
    shown = {(r["links"]["user"], r["links"]["learning_outcome"]): Decimal(str(r["score"])) for r in results}
    assert all(shown[(u, codes[c])] == v for (u, c), v in expected.items())


def test_canvas_retries_through_platform_http(canvas):
    state = canvas.stack.state
    state.faults.add(FaultRule(path=r".*/submissions/.*", method="PUT", status=503, next_n=2))
    outcome = sync_course(canvas.bridge, canvas.course_id)
    assert not outcome.problems, outcome.problems
    assert native_outcomes(state).results


def test_moodle_round_trip_and_idempotence(moodle):
    state = moodle.stack.state
    sync = sync_course(moodle.bridge, moodle.course_id)
    assert any("scale" in p.reason for p in sync.problems)  # no scale named yet: said, nothing made
    assert not native_outcomes(state).frameworks
    scale_id = native_outcomes(state).add_scale("Proficiency", LEVELS)
    outcome = CourseOutcome()
    push_native(moodle.bridge, moodle.course_id, outcome, moodle_scale_id=scale_id)
    assert not outcome.problems, outcome.problems
    store = native_outcomes(state)
    ids = {c.idnumber: c.id for c in store.competencies.values()}
    scale = Scale(tuple(Level(Decimal(i + 1), label) for i, label in enumerate(LEVELS)), Decimal(3))
    token = state.lms_api.add_moodle_token(moodle.stack.seed.admin_id, functions=WITH_COMPETENCIES)
    for (user, code), value in stored_standings(moodle).items():
        answer = httpx.post(
            f"{state.base_url}/webservice/rest/server.php",
            data={
                "wstoken": token,
                "wsfunction": "tool_lp_data_for_user_competency_summary_in_course",
                "moodlewsrestformat": "json",
                "userid": user,
                "competencyid": ids[code],
                "courseid": moodle.sandbox_course,
            },
            timeout=5,
        ).json()
        rated = answer["usercompetencysummary"]["usercompetencycourse"]
        assert Decimal(rated["grade"]) == nearest_level(scale, value).value
        assert answer["usercompetencysummary"]["evidence"][0]["note"]
    state.faults.reset_counts()
    again = sync_course(moodle.bridge, moodle.course_id)
    assert not again.problems
    calls = state.faults.counts()
    assert len(store.competencies) == len(ids) and len(store.frameworks) == 1
    graded = [u for u in store.user_competencies.values() if len(u.evidence) > 1]
    assert not graded, "a second sync rated nobody again"
    assert calls  # it did read
