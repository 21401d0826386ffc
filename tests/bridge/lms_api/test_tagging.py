"""What the teacher's tagging page gets: the assignments, and a preview of the levels."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bridge.lms_api import GradeState, LmsNotConnected, course_assignments, preview_scores
from mappings.conversion import LevelMap, default_cut_scores
from pbridge.errors import ProficiencyBridgeError
from store.lms_credentials import remove_credentials

RATINGS = LevelMap(levels=(("Exceeds", Decimal(4)), ("Meets", Decimal(3)), ("Partially meets", Decimal(2))))


def test_a_preview_converts_every_current_result_and_says_what_it_cannot(canvas_course):
    course = canvas_course
    course.sync()  # the roster, so students have names
    lab = next(a for a in course_assignments(course.bridge, course.course_id) if a.criteria)
    criterion = lab.criteria[0]
    shown = preview_scores(course.bridge, course.course_id, lab.id, RATINGS, rubric_criterion_id=criterion.id)
    assert len(shown) == len(course.seed.student_ids)
    assert all(p.student_id is not None and p.student_name for p in shown)
    graded = [p for p in shown if p.state is GradeState.GRADED]
    for preview in graded:
        if preview.rating == "Does not meet":  # not in this map: said, not guessed
            assert preview.level is None and "not in the conversion's level map" in preview.problem
        else:
            assert preview.level == RATINGS.convert(None, rating=preview.rating) and preview.problem == ""
        assert preview.maximum == criterion.points
    assert all(p.level is None for p in shown if p.state is not GradeState.GRADED)

    whole = preview_scores(course.bridge, course.course_id, lab.id, default_cut_scores())
    assert {p.maximum for p in whole} == {lab.points_possible}
    with pytest.raises(ProficiencyBridgeError, match="has no rubric criterion"):
        preview_scores(course.bridge, course.course_id, lab.id, RATINGS, rubric_criterion_id="nope")
    with pytest.raises(ProficiencyBridgeError, match="no assignment 999"):
        preview_scores(course.bridge, course.course_id, "999", RATINGS)


def test_without_credentials_the_page_is_told_to_ask_an_admin(canvas_course):
    with canvas_course.stack.database.begin() as session:
        remove_credentials(session, canvas_course.platform_id)
    with pytest.raises(LmsNotConnected, match="pbridge lms connect"):
        course_assignments(canvas_course.bridge, canvas_course.course_id)
