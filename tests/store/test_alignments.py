from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.conversion import LevelMap, default_cut_scores
from mappings.evidence import Purpose
from pbridge.errors import ProficiencyBridgeError
from store.alignments import AlignmentKind, course_alignments, save_alignment
from tests.store.district import make_district


def test_save_is_an_upsert_with_indicators_and_conversion(database):
    with database.begin() as session:
        d = make_district(session)
        first = save_alignment(
            session,
            course_id=d.courses[0],
            kind=AlignmentKind.LMS_ASSIGNMENT,
            external_id="canvas:assignment:42",
            indicator_ids=d.math_indicators[:2],
            purpose=Purpose.SUMMATIVE,
            conversion=default_cut_scores(),
        )
        again = save_alignment(
            session,
            course_id=d.courses[0],
            kind=AlignmentKind.LMS_ASSIGNMENT,
            external_id="canvas:assignment:42",
            indicator_ids=[d.math_indicators[2]],
            purpose=Purpose.FORMATIVE,
            conversion=LevelMap(levels=(("Meets", Decimal(3)),)),
            rubric_criterion_id="",
        )
        assert again.id == first.id
        assert [i.id for i in again.indicators] == [d.math_indicators[2]]
        assert again.converter().convert(None, rating="meets") == Decimal(3)
        save_alignment(
            session,
            course_id=d.courses[0],
            kind=AlignmentKind.LMS_ASSIGNMENT,
            external_id="canvas:assignment:42",
            rubric_criterion_id="criterion_7",
            indicator_ids=[d.math_indicators[0]],
            purpose=Purpose.SUMMATIVE,
            conversion=default_cut_scores(),
        )
    with database.begin() as session:
        assert len(course_alignments(session, d.courses[0])) == 2


def test_an_alignment_needs_existing_indicators(database):
    with database.begin() as session:
        d = make_district(session)
        for ids, message in (([], "at least one"), ([99999], "no performance indicator")):
            with pytest.raises(ProficiencyBridgeError, match=message):
                save_alignment(
                    session,
                    course_id=d.courses[0],
                    kind=AlignmentKind.AGS_LINE_ITEM,
                    external_id="https://lms/lineitems/1",
                    indicator_ids=ids,
                    purpose=Purpose.SUMMATIVE,
                    conversion=default_cut_scores(),
                )
