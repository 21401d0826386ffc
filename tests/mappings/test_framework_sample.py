"""The shipped sample framework keeps the shape the Great Schools Partnership describes."""

from __future__ import annotations

import pytest

from config import FRAMEWORKS_DIR
from mappings.framework import FrameworkDocument
from mappings.framework_formats import parse_framework

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"


@pytest.fixture(scope="module")
def sample() -> FrameworkDocument:
    return parse_framework(SAMPLE.read_bytes(), file_name=SAMPLE.name)


def test_content_areas_hold_five_to_eight_standards_of_five_to_ten_indicators(sample):
    assert [area.code for area in sample.content_areas] == ["MATH", "ELA", "SCI", "SS"]
    for area in sample.content_areas:
        assert 5 <= len(area.standards) <= 8, area.code
    for standard in sample.standards:
        assert 5 <= len(standard.indicators) <= 10, standard.code


def test_cross_curricular_standards_and_habits_of_work_stand_apart(sample):
    assert 5 <= len(sample.cross_curricular) <= 8
    assert {h.title for h in sample.habits_of_work} >= {"Responsibility", "Perseverance", "Collaboration"}


def test_codes_follow_the_area_standard_indicator_objective_pattern(sample):
    for area in sample.content_areas:
        for n, standard in enumerate(area.standards, start=1):
            assert standard.code == f"{area.code}.{n}"
            for m, indicator in enumerate(standard.indicators, start=1):
                assert indicator.code == f"{standard.code}.PI.{m}"
                for k, objective in enumerate(indicator.objectives, start=1):
                    assert objective.code == f"{indicator.code}.LO.{k}"


def test_the_math_standards_serve_an_algebra_one_course(sample):
    math = " ".join(i.title.lower() for s in sample.content_areas[0].standards for i in s.indicators)
    for topic in ("linear equations", "systems", "quadratic", "exponential", "function", "factor"):
        assert topic in math, topic
    assert any(i.objectives for i in sample.indicators)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_the_scale_is_one_to_four_with_colours_that_carry_white_text(sample):
    scale = sample.scale
    assert [(lv.value, lv.label) for lv in scale.levels] == [
        (1, "Does not meet"),
        (2, "Partially meets"),
        (3, "Meets"),
        (4, "Exceeds"),
    ]
    assert scale.meets == 3
    for level in scale.levels:
        contrast = (1.0 + 0.05) / (_luminance(level.colour) + 0.05)
        assert contrast >= 4.5, (level.label, round(contrast, 2))  # WCAG AA for normal text
