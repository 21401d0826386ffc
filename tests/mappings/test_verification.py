from __future__ import annotations

from decimal import Decimal

import pytest

from mappings.scale import default_scale
from mappings.verification import IndicatorBody, VerificationRule, verify
from pbridge.errors import CalculationError

SCALE = default_scale()
RULE = VerificationRule(min_observations=2, min_courses=2)


def test_verified_when_every_indicator_holds_across_courses():
    result = verify(
        [IndicatorBody("PI.1", Decimal(3), 3, 2), IndicatorBody("PI.2", Decimal("3.5"), 2, 2)],
        RULE,
        scale=SCALE,
    )
    assert result.met
    assert result.short() == "Verified"


def test_each_shortfall_is_named():
    result = verify(
        [
            IndicatorBody("PI.1", Decimal(3), 1, 2),
            IndicatorBody("PI.2", Decimal("2.5"), 4, 1),
            IndicatorBody("PI.3", None, 0, 0),
        ],
        RULE,
        scale=SCALE,
    )
    assert not result.met
    notes = dict((k, n) for k, _, n in result.indicators)
    assert "1 of 2 observations" in notes["PI.1"]
    assert "1 of 2 courses" in notes["PI.2"] and "below 3" in notes["PI.2"]
    assert "no standing yet" in notes["PI.3"]
    assert "PI.3" in result.plain()


def test_a_standard_with_no_indicators_is_not_verified():
    assert not verify([], RULE, scale=SCALE).met


def test_rule_json_and_refusals():
    rule = VerificationRule(min_observations=3, min_level=Decimal("2.5"), min_courses=2)
    assert VerificationRule.from_json(rule.to_json()) == rule
    with pytest.raises(CalculationError, match="no setting"):
        VerificationRule.from_json({"years": 2})
    with pytest.raises(CalculationError):
        VerificationRule(min_observations=0)
