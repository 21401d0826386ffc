from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.conversion import (
    LevelMap,
    ScoreIsLevel,
    conversion_from_json,
    cut_scores,
    default_cut_scores,
)
from pbridge.errors import CalculationError

D = Decimal


@pytest.mark.parametrize(
    ("score", "maximum", "level"),
    [(9, 10, 4), (90, 100, 4), (89.9, 100, 3), (75, 100, 3), (60, 100, 2), (59, 100, 1), (0, 10, 1)],
)
def test_default_cut_scores(score, maximum, level):
    assert default_cut_scores().convert(D(str(score)), D(maximum)) == D(level)


def test_missing_scores_give_no_level_never_zero():
    assert default_cut_scores().convert(None, D(10)) is None
    assert LevelMap(levels=(("Meets", D(3)),)).convert(None) is None
    assert ScoreIsLevel().convert(None) is None


def test_level_map_by_rating_or_points():
    rubric = LevelMap(levels=(("Exceeds", D(4)), ("Meets", D(3)), ("2.5", D("2.5"))))
    assert rubric.convert(None, rating="meets") == D(3)
    assert rubric.convert(D("2.50")) == D("2.5")
    with pytest.raises(CalculationError, match="'Excellent' is not in the conversion"):
        rubric.convert(None, rating="Excellent")


def test_a_score_without_a_maximum_is_refused():
    with pytest.raises(CalculationError, match="positive maximum"):
        default_cut_scores().convert(D(5), None)


@pytest.mark.parametrize(
    "conversion",
    [
        default_cut_scores(),
        cut_scores([(50, 3), (80, 4)], floor=2),
        LevelMap(levels=(("Exceeds", D(4)), ("3", D(3)))),
        ScoreIsLevel(),
    ],
)
def test_conversions_survive_json(conversion):
    assert conversion_from_json(conversion.to_json()) == conversion


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "curve"}, "unknown conversion kind"),
        ({"kind": "cut_scores", "cuts": "90=4"}, "must be"),
        ({"kind": "cut_scores", "cuts": [["ninety", 4]]}, "not a number"),
        ({"kind": "level_map", "levels": [["A", 4], ["a", 3]]}, "twice"),
    ],
)
def test_malformed_conversions_are_refused(data, message):
    with pytest.raises(CalculationError, match=message):
        conversion_from_json(data)
