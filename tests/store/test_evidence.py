from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mappings.evidence import EvidenceStatus
from pbridge.errors import ProficiencyBridgeError
from store.evidence import (
    EvidenceRow,
    StandingKey,
    body_of_evidence,
    exclude_evidence,
    include_evidence,
    link_reassessment,
    mark_removed,
    record_observations,
)
from tests.store.district import make_district, observation


def test_record_upserts_without_duplicates(database):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        first = [observation(s, pi, c, 2, 1, "li1/u1"), observation(s, pi, c, 3, 5, "li2/u1")]
        assert record_observations(session, first) == {StandingKey(s, pi, c)}
        # the same pull again changes nothing
        assert record_observations(session, first) == set()
        # a changed score updates its row
        changed = record_observations(session, [observation(s, pi, c, 4, 5, "li2/u1")])
        assert changed == {StandingKey(s, pi, c)}
        assert session.scalar(select(func.count()).select_from(EvidenceRow)) == 2
        levels = [row.level for row in body_of_evidence(session, s, pi, c)]
        assert levels == [Decimal("2.00"), Decimal("4.00")]


def test_a_score_that_becomes_excused_loses_its_level_not_to_zero(database):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        record_observations(session, [observation(s, pi, c, 3, 1, "r")])
        assert record_observations(session, [observation(s, pi, c, None, 1, "r")]) == {StandingKey(s, pi, c)}
        assert body_of_evidence(session, s, pi, c)[0].level is None


def test_one_bad_observation_refuses_the_batch(database):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        with pytest.raises(ProficiencyBridgeError, match="at most two decimals"):
            record_observations(
                session, [observation(s, pi, c, 3, 1, "a"), observation(s, pi, c, "2.555", 2, "b")]
            )
        assert session.scalar(select(func.count()).select_from(EvidenceRow)) == 0


def test_mark_removed_keeps_rows_and_reports_keys(database):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        record_observations(session, [observation(s, pi, c, 3, 1, "r1"), observation(s, pi, c, 2, 2, "r2")])
        assert mark_removed(session, "ags", ["r1"]) == {StandingKey(s, pi, c)}
        assert mark_removed(session, "ags", ["r1"]) == set()  # already marked
        assert mark_removed(session, "ags", ["r2"], EvidenceStatus.STUDENT_LEFT) == set()  # still counts
        rows = body_of_evidence(session, s, pi, c)
        assert [r.status for r in rows] == [EvidenceStatus.REMOVED_AT_SOURCE, EvidenceStatus.STUDENT_LEFT]
        # the result comes back at its source: active again
        assert record_observations(session, [observation(s, pi, c, 3, 1, "r1")]) == {StandingKey(s, pi, c)}
        assert body_of_evidence(session, s, pi, c)[0].status is EvidenceStatus.ACTIVE


def test_exclusion_and_reassessment_links(database):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        record_observations(
            session,
            [
                observation(s, pi, c, 1, 1, "q1"),
                observation(s, pi, c, 3, 9, "q1-retake", attempt=2, replaces_source_ref="q1"),
            ],
        )
        first, retake = body_of_evidence(session, s, pi, c)
        assert retake.replaces_evidence_id == first.id
        with pytest.raises(ProficiencyBridgeError, match="say why"):
            exclude_evidence(session, first.id, by_user_id=d.teacher, reason=" ")
        exclude_evidence(session, first.id, by_user_id=d.teacher, reason="fire drill")
        assert first.excluded and first.excluded_reason == "fire drill"
        include_evidence(session, first.id)
        assert not first.excluded
        link_reassessment(session, retake.id, None)
        assert retake.replaces_evidence_id is None
        other = d.math_indicators[1]
        record_observations(session, [observation(s, other, c, 2, 3, "x")])
        x = body_of_evidence(session, s, other, c)[0]
        with pytest.raises(ProficiencyBridgeError, match="same student on the same indicator"):
            link_reassessment(session, retake.id, x.id)


@pytest.mark.parametrize("batch", [1, 20], ids=["inserted first", "read first"])
def test_new_changed_and_unchanged_results_in_one_batch(database, batch):
    with database.begin() as session:
        d = make_district(session)
        s, pi, c = d.students[0], d.math_indicators[0], d.courses[0]
        record_observations(
            session, [observation(s, pi, c, 2, 1, "kept"), observation(s, pi, c, 2, 2, "old")]
        )
        others = [observation(s, d.math_indicators[1], c, 3, 3, f"more{n}") for n in range(batch - 1)]
        repull = [observation(s, pi, c, 2, 1, "kept"), observation(s, pi, c, 4, 2, "old")]
        assert record_observations(session, [*repull, observation(s, pi, None, 3, 4, "new"), *others]) == {
            StandingKey(s, pi, c),
            StandingKey(s, pi, None),
            *({StandingKey(s, d.math_indicators[1], c)} if others else set()),
        }
        levels = [row.level for row in body_of_evidence(session, s, pi, None)]
        assert levels == [Decimal("2.00"), Decimal("4.00"), Decimal("3.00")]


@pytest.mark.parametrize("batch", [1, 20], ids=["inserted first", "read first"])
def test_a_ref_recorded_for_another_student_refuses_the_batch(database, batch):
    with database.begin() as session:
        d = make_district(session)
        s, other, pi, c = d.students[0], d.students[1], d.math_indicators[0], d.courses[0]
        record_observations(session, [observation(s, pi, c, 2, 1, "theirs")])
        new = [observation(other, pi, c, 3, 2, f"new{n}") for n in range(batch)]
        with pytest.raises(ProficiencyBridgeError, match="recorded for another student"):
            record_observations(session, [*new, observation(other, pi, c, 3, 2, "theirs")])
        assert session.scalar(select(func.count()).select_from(EvidenceRow)) == 1
