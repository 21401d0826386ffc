from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.framework import (
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    LearningObjective,
    PerformanceIndicator,
    StandardKind,
    build_scale,
)
from mappings.scale import Level, default_scale
from pbridge.errors import FrameworkImportError


def small_document(**changes: object) -> FrameworkDocument:
    algebra = GraduationStandard(
        "MATH.1",
        "Create and solve equations",
        indicators=(
            PerformanceIndicator(
                "MATH.1.PI.1",
                "Solve linear equations",
                objectives=(LearningObjective("MATH.1.PI.1.LO.1", "Use inverse operations"),),
            ),
            PerformanceIndicator("MATH.1.PI.2", "Solve systems of equations"),
        ),
    )
    values: dict[str, object] = {
        "code": "DEMO",
        "title": "Demo framework",
        "content_areas": (ContentArea("MATH", "Mathematics", (algebra,)),),
        "cross_curricular": (
            GraduationStandard(
                "CC.1",
                "Communicate",
                StandardKind.CROSS_CURRICULAR,
                indicators=(PerformanceIndicator("CC.1.PI.1", "Write clearly"),),
            ),
        ),
        "habits_of_work": (
            GraduationStandard(
                "HOW.1",
                "Responsibility",
                StandardKind.HABIT_OF_WORK,
                indicators=(PerformanceIndicator("HOW.1.PI.1", "Meets deadlines"),),
            ),
        ),
    }
    values.update(changes)
    return FrameworkDocument(**values)  # type: ignore[arg-type]


def test_items_come_parents_first_in_document_order():
    document = small_document()
    assert [item.code for item in document.items()] == [
        "MATH",
        "MATH.1",
        "MATH.1.PI.1",
        "MATH.1.PI.1.LO.1",
        "MATH.1.PI.2",
        "CC.1",
        "CC.1.PI.1",
        "HOW.1",
        "HOW.1.PI.1",
    ]
    assert [s.code for s in document.standards] == ["MATH.1", "CC.1", "HOW.1"]
    assert [i.code for i in document.indicators] == [
        "MATH.1.PI.1",
        "MATH.1.PI.2",
        "CC.1.PI.1",
        "HOW.1.PI.1",
    ]


def test_items_are_found_by_code():
    document = small_document()
    assert document.item("MATH.1.PI.2").title == "Solve systems of equations"
    assert document.standard_of("HOW.1.PI.1").kind is StandardKind.HABIT_OF_WORK
    with pytest.raises(KeyError):
        document.item("MATH.9")
    with pytest.raises(KeyError):
        document.standard_of("MATH.1")


def test_statements_are_cleaned_so_equal_texts_compare_equal():
    indicator = PerformanceIndicator("A.1", "  Solve\r\nequations \r")
    assert indicator.title == "Solve\nequations"
    assert indicator == PerformanceIndicator("A.1", "Solve\nequations")


def test_the_default_scale_is_the_four_level_one():
    assert small_document().scale == default_scale()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PerformanceIndicator("", "x"), "the code is empty"),
        (lambda: PerformanceIndicator(" A.1", "x"), "blanks at its ends"),
        (lambda: PerformanceIndicator("A" * 101, "x"), "longer than 100 characters"),
        (lambda: PerformanceIndicator("A.1", "   "), "the title is empty"),
        (lambda: PerformanceIndicator("A.1", "x" * 1001), "at most 1000 fit"),
        (lambda: ContentArea("A", "x" * 501), "at most 500 fit"),
        (lambda: LearningObjective("A.1", "x", case_identifier=" "), "CASE identifier is empty"),
        (
            lambda: ContentArea(
                "A", "Area", (GraduationStandard("CC.1", "x", StandardKind.CROSS_CURRICULAR),)
            ),
            "only content-area standards belong to a content area",
        ),
        (
            lambda: small_document(habits_of_work=(GraduationStandard("HOW.1", "Responsibility"),)),
            "is listed with the habits of work",
        ),
        (
            lambda: small_document(
                cross_curricular=(GraduationStandard("MATH.1.PI.1", "Clash", StandardKind.CROSS_CURRICULAR),)
            ),
            "the code 'MATH.1.PI.1' is used twice",
        ),
        (lambda: small_document(version=0), "the version must be a whole number from 1"),
        (lambda: small_document(title=""), "the title is empty"),
    ],
)
def test_bad_values_are_refused_with_a_reason(build, message):
    with pytest.raises(FrameworkImportError, match=message):
        build()


def test_build_scale_sorts_levels_and_checks_them():
    scale = build_scale(
        (Level(Decimal(3), "Meets", "#1b5e20"), Level(Decimal(1), "Not yet", "#b3261e")),
        meets=Decimal(3),
        half_points=True,
    )
    assert [level.value for level in scale.levels] == [1, 3]
    assert scale.half_points


@pytest.mark.parametrize(
    ("levels", "meets", "message"),
    [
        ((Level(Decimal(1), "A", "#fff"), Level(Decimal(1), "B", "#000")), 1, "given twice"),
        ((Level(Decimal(1), "A", "red"),), 1, "not a colour like"),
        ((Level(Decimal(1), "", "#fff"),), 1, "level label is empty"),
        ((Level(Decimal(1), "A", "#fff"),), 3, "'meets' value 3 is not one of the level values"),
    ],
)
def test_build_scale_refuses_unusable_levels(levels, meets, message):
    with pytest.raises(FrameworkImportError, match=message):
        build_scale(levels, meets=Decimal(meets), half_points=False)
