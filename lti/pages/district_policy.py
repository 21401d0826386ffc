"""The district calculation policy as an admin edits it, and saving it (audited, recomputed).

The form names the default method and its parameters, the minimum number of observations,
the roll-up rule, the verification rule, what a course may choose, and the habits' method.
Everything is checked by `mappings.policy.Policy` before anything is stored; saving
recomputes every standing, since every one may depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from mappings.calculation import METHODS, CalculationMethod, MethodChoice
from mappings.policy import Policy
from mappings.rollup import ROUNDINGS, RULES, RollupRule
from mappings.verification import VerificationRule
from pbridge.errors import CalculationError
from store.audit import record_change
from store.policies import district_policy, set_district_policy
from store.recompute import recompute

ROLLUP_WORDS = {
    "mean": "Mean of the indicator standings",
    "weighted_mean": "Weighted mean",
    "minimum": "The lowest indicator standing",
    "all_at_least": "Every indicator at least level L",
    "share_at_least": "At least L on P % of indicators, none below M",
}


@dataclass(frozen=True, slots=True)
class PolicyForm:
    policy: Policy
    methods: tuple[CalculationMethod, ...]
    rules: tuple[tuple[str, str], ...]
    roundings: tuple[str, ...]


def policy_form(session: Session) -> PolicyForm:
    return PolicyForm(
        policy=district_policy(session),
        methods=tuple(METHODS.values()),
        rules=tuple((r, ROLLUP_WORDS.get(r, r)) for r in RULES),
        roundings=tuple(ROUNDINGS),
    )


def _method(form: Mapping[str, Any], prefix: str) -> MethodChoice:
    name = str(form.get(f"{prefix}method", ""))
    method = METHODS.get(name)
    if method is None:
        raise CalculationError(f"choose a calculation method ({', '.join(METHODS)})")
    params = {
        p.name: form[f"{prefix}{p.name}"]
        for p in method.parameters
        if str(form.get(f"{prefix}{p.name}", "")).strip()
    }
    return MethodChoice.of(name, params)


def _int(form: Mapping[str, Any], name: str, default: int) -> int:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise CalculationError(f"{name.replace('_', ' ')} must be a whole number, not {raw!r}")
    return int(raw)


def parse_policy(form: Mapping[str, Any]) -> Policy:
    rollup_params = {
        key: str(form.get(f"rollup_{key}")).strip()
        for key in ("level", "percent", "floor")
        if str(form.get(f"rollup_{key}", "")).strip()
    }
    rollup_params["rounding"] = str(form.get("rollup_rounding", "hundredths"))
    rollup_params["min_indicators"] = str(_int(form, "rollup_min_indicators", 1))
    verification = {
        "min_observations": _int(form, "verify_min_observations", 2),
        "min_courses": _int(form, "verify_min_courses", 1),
    }
    if str(form.get("verify_min_level", "")).strip():
        verification["min_level"] = str(form.get("verify_min_level")).strip()  # type: ignore[assignment]
    getlist = getattr(form, "getlist", None)
    allowed = getlist("course_methods") if getlist else form.get("course_methods", [])
    habits = _method(form, "habits_") if form.get("habits_method") else None
    return Policy(
        method=_method(form, ""),
        min_observations=_int(form, "min_observations", 1),
        rollup=RollupRule.of(str(form.get("rollup", "mean")), rollup_params),
        verification=VerificationRule.from_json(verification),
        course_methods=frozenset(str(m) for m in allowed),
        course_may_set_min_observations=bool(form.get("course_may_set_min_observations")),
        habits_method=habits,
    )


def save_policy(session: Session, form: Mapping[str, Any], *, actor_id: int) -> Policy:
    policy = parse_policy(form)
    set_district_policy(session, policy, by_user_id=actor_id)
    recompute(session, explain=False)
    record_change(
        session,
        actor_id=actor_id,
        action="district policy changed",
        subject="the district calculation policy",
        detail=f"{policy.method.describe()}, at least {policy.min_observations} observation(s), "
        f"roll-up: {policy.rollup.describe()}",
        data=policy.to_json(),
    )
    return policy
