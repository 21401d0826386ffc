from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from mappings.calculation import mean
from mappings.evidence import Evidence, EvidenceStatus, Purpose
from mappings.scale import default_scale
from mappings.selection import select
from pbridge.errors import CalculationError
from tests.mappings.bodies import START, body

SCALE = default_scale()


def reasons(evidence, counts=Purpose.SUMMATIVE):
    return {e.ref: why for e, why in select(evidence, counts=counts).left_out}


def test_each_reason_is_named():
    a, b, c, d, e, f = body([1, 2, 3, None, 4, 2])
    evidence = [
        replace(a, status=EvidenceStatus.REMOVED_AT_SOURCE),
        replace(b, excluded=True, excluded_reason="absent, retake pending"),
        replace(c, purpose=Purpose.FORMATIVE),
        d,
        replace(e, purpose=Purpose.HABIT_OF_WORK),
        replace(f, status=EvidenceStatus.STUDENT_LEFT),
    ]
    why = reasons(evidence)
    assert "removed at its source" in why["e1"]
    assert why["e2"] == "excluded by a teacher: absent, retake pending"
    assert "formative" in why["e3"]
    assert "never counted as 0" in why["e4"]
    assert "habit-of-work" in why["e5"]
    assert "e6" not in why  # a student who left keeps what they showed


def test_a_reassessment_replaces_the_attempt_it_names():
    first, second, retake = body([1, 3, 4])
    retake = replace(retake, replaces="e1")
    selection = select([first, second, retake])
    assert [e.ref for e in selection.counted] == ["e2", "e3"]
    assert "replaced by reassessment e3" in reasons([first, second, retake])["e1"]
    standing, explanation = mean([first, second, retake], scale=SCALE)
    assert standing.value == Decimal("3.50")
    assert "replaced by reassessment e3" in explanation.plain()


def test_a_reassessment_that_does_not_count_replaces_nothing():
    first, retake = body([1, None])
    retake = replace(retake, replaces="e1")
    assert [e.ref for e in select([first, retake]).counted] == ["e1"]


def test_chains_of_reassessments_leave_the_last():
    a, b, c = body([1, 2, 3])
    chain = [a, replace(b, replaces="e1"), replace(c, replaces="e2")]
    assert [e.ref for e in select(chain).counted] == ["e3"]


def test_habit_standings_count_habit_evidence_only():
    work, test = body([4, 2])
    evidence = [replace(work, purpose=Purpose.HABIT_OF_WORK), test]
    assert [e.ref for e in select(evidence, counts=Purpose.HABIT_OF_WORK).counted] == ["e1"]
    assert "academic evidence" in reasons(evidence, Purpose.HABIT_OF_WORK)["e2"]


def test_mixed_bodies_and_duplicate_refs_are_refused():
    a, b = body([1, 2])
    with pytest.raises(CalculationError, match="one student on one indicator"):
        select([a, replace(b, student="s2")])
    with pytest.raises(CalculationError, match="unique"):
        select([a, replace(b, ref="e1")])
    with pytest.raises(CalculationError, match="formative evidence never counts"):
        select([a], counts=Purpose.FORMATIVE)


def test_evidence_needs_an_aware_date_and_two_decimals():
    with pytest.raises(CalculationError, match="no time zone"):
        Evidence(ref="x", student="s", indicator="i", level=None, assessed_at=START.replace(tzinfo=None))
    with pytest.raises(CalculationError, match="two decimals"):
        Evidence(ref="x", student="s", indicator="i", level=Decimal("2.555"), assessed_at=START)
