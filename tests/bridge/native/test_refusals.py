"""A token that may not do what the native push needs: one clear problem, nothing written."""

from __future__ import annotations

from sqlalchemy import func, select

from bridge.lms_api.canvas import SCOPES
from bridge.lms_sync import sync_course
from bridge.native import push_native
from bridge.native.canvas_outcomes import KIND as CANVAS_KIND
from bridge.native.moodle_competencies import KIND as MOODLE_KIND
from bridge.outcome import CourseOutcome
from sandbox.lms_api_access import MOODLE_FUNCTIONS
from sandbox.native_outcomes import native_outcomes
from store.lms_credentials import save_credentials
from store.native_scales import chosen_moodle_scale
from store.platforms import Preset
from store.write_ledger import WrittenValue
from tests.bridge.native.conftest import platform_of

LEVELS = ("Does not meet", "Partially meets", "Meets", "Exceeds")


def _ledger_rows(course, kind: str) -> int:
    with course.stack.database.begin() as session:
        return session.scalar(select(func.count()).select_from(WrittenValue).where(WrittenValue.kind == kind))


def test_canvas_token_without_the_outcome_scopes(canvas):
    """A developer key that enforces scopes and grants only the grade-reading ones."""
    state = canvas.stack.state
    granted = tuple(SCOPES.values())
    key = state.lms_api.add_developer_key(redirect_uris=[canvas.stack.tool_url], scopes=granted)
    token, _ = state.lms_api.issue_access_token(
        client_id=key.client_id, user_id=canvas.stack.seed.admin_id, scopes=granted, with_refresh=False
    )
    with canvas.stack.database.begin() as session:
        save_credentials(
            session,
            canvas.bridge.secret_box,
            platform_id=platform_of(canvas),
            kind=Preset.CANVAS,
            token=token.token,
        )
    outcome = sync_course(canvas.bridge, canvas.course_id)
    native = [p for p in outcome.problems if p.subject == "native canvas results"]
    assert len(native) == 1, outcome.problems
    assert "does not grant url:GET|/api/v1/courses/:course_id/root_outcome_group" in native[0].reason
    store = native_outcomes(state)
    assert not store.groups and not store.outcomes and not store.rubrics and not store.results
    assert _ledger_rows(canvas, CANVAS_KIND) == 0


def test_moodle_token_without_the_competency_functions(moodle):
    state = moodle.stack.state
    token = state.lms_api.add_moodle_token(moodle.stack.seed.admin_id, functions=MOODLE_FUNCTIONS)
    with moodle.stack.database.begin() as session:
        save_credentials(
            session,
            moodle.bridge.secret_box,
            platform_id=platform_of(moodle),
            kind=Preset.MOODLE,
            token=token,
        )
    assert not [p for p in sync_course(moodle.bridge, moodle.course_id).problems if "moodle" not in p.subject]
    scale_id = native_outcomes(state).add_scale("Proficiency", LEVELS)
    outcome = CourseOutcome()
    push_native(moodle.bridge, moodle.course_id, outcome, moodle_scale_id=scale_id)
    assert len(outcome.problems) == 1, outcome.problems
    reason = outcome.problems[0].reason
    assert "does not allow core_competency_" in reason and "External services" in reason
    store = native_outcomes(state)
    assert not store.frameworks and not store.competencies and not store.user_competencies
    assert _ledger_rows(moodle, MOODLE_KIND) == 0
    with moodle.stack.database.begin() as session:
        assert chosen_moodle_scale(session, platform_of(moodle)) is None  # kept only once it worked
