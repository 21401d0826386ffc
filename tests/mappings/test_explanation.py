from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from mappings.calculation import MethodChoice, calculate, decaying_average, mean
from mappings.evidence import Purpose
from mappings.explanation import SHORT_LIMIT, Explanation
from mappings.scale import default_scale
from mappings.standing import Override
from tests.mappings.bodies import START, body

SCALE = default_scale()


def test_plain_words_name_value_method_counted_and_left_out():
    practice, quiz, test, retest = body([1, 2, 2, 3])
    evidence = [
        replace(practice, purpose=Purpose.FORMATIVE),
        quiz,
        replace(test, excluded=True, excluded_reason="fire drill"),
        retest,
    ]
    _, explanation = mean(evidence, scale=SCALE)
    text = explanation.plain()
    assert text.startswith("Your standing is 2.5 (Partially meets) because")
    assert "Counted (2, oldest first)" in text
    assert "Not counted: 1 on 2026-09-02 (e1): formative work: shown, never counted." in text
    assert "excluded by a teacher: fire drill" in text
    assert "(2 + 3) ÷ 2 = 5 ÷ 2 = 2.5" in text


def test_short_form_is_one_line_for_the_gradebook():
    _, explanation = decaying_average(body([1, 2, 3, None]), weight=Decimal("0.65"), scale=SCALE)
    short = explanation.short()
    assert "\n" not in short and len(short) <= SHORT_LIMIT
    assert short == "2.53 (Partially meets): decaying average of 3 scores; 1 not counted"


def test_insufficient_and_override_forms():
    _, waiting = mean(body([3]), scale=SCALE, min_observations=2)
    assert waiting.plain().startswith("There is not enough evidence for a standing yet: 1 of the 2")
    override = Override(Decimal(3), "Mr Chen", "oral exam in May", START)
    _, overridden = mean(body([3]), scale=SCALE, min_observations=2, override=override)
    assert "not be enough evidence" in overridden.plain()
    assert "Mr Chen" in overridden.plain()


def test_explanations_survive_json():
    override = Override(Decimal(4), "Mr Chen", "portfolio", START)
    for choice in (MethodChoice.of("power_law"), MethodChoice.of("n_mastery", {"n": 2})):
        _, explanation = calculate(body([2, 3, 4, None]), choice, scale=SCALE, override=override)
        assert Explanation.from_json(explanation.to_json()) == explanation
