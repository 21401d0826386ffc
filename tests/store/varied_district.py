"""A district with every case the engine handles, drawn from a seed: levels and gaps,
formative and habit-of-work evidence, exclusions, removals, reassessments, evidence from no
course, same-day attempts, overrides, a course's own method, and the chosen roll-up rule."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mappings.calculation import MethodChoice
from mappings.evidence import Purpose
from mappings.policy import CourseChoice, Policy
from mappings.rollup import RollupRule
from mappings.verification import VerificationRule
from store.evidence import (
    EvidenceRow,
    Observation,
    StandingKey,
    exclude_evidence,
    mark_removed,
    record_observations,
)
from store.overrides import set_override
from store.policies import set_course_choice, set_district_policy
from store.standings import StandingRow
from tests.store.district import District, make_district, observation

D = Decimal
RULES = [
    RollupRule.of("mean"),
    RollupRule.of("mean", {"rounding": "scale", "min_indicators": 2}),
    RollupRule.of("weighted_mean", {"rounding": "down"}),
    RollupRule.of("minimum"),
    RollupRule.of("all_at_least", {"level": "2.5"}),
    RollupRule.of("share_at_least", {"level": "3", "percent": "60", "floor": "2"}),
]
METHODS = [
    MethodChoice.of("decaying_average", {"weight": "0.65"}),
    MethodChoice.of("mean"),
    MethodChoice.of("median"),
    MethodChoice.of("n_mastery", {"n": "2"}),
    MethodChoice.of("power_law"),
]
#: what is compared between two runs' standings (ids and times differ by nature)
COMPARED = (
    "kind", "student_id", "course_id", "indicator_id", "standard_id", "habit", "status", "value",
    "computed_value", "met", "overridden", "method", "params", "min_observations", "observations",
    "courses", "summary", "input_hash", "explanation",
)  # fmt: skip


def weighted(indicators: list[int], places: int) -> RollupRule:
    """A weighted mean over these indicators; more than six decimal places leave the bulk path."""
    step = D(1).scaleb(-places)
    return RollupRule.of(
        "weighted_mean", {"weights": {str(i): str(step * (n + 1)) for n, i in enumerate(indicators)}}
    )


def policy(seed: int, rollup: RollupRule) -> Policy:
    rng = random.Random(seed)
    return Policy(
        method=rng.choice(METHODS),
        min_observations=rng.choice([1, 1, 2]),
        rollup=rollup,
        verification=VerificationRule(min_observations=rng.choice([1, 2]), min_courses=1),
        course_methods=frozenset(m.name for m in METHODS),
    )


def varied_district(session: Session, seed: int, *, rollup: RollupRule | None = None) -> District:
    """Seeded evidence for six students, policies and overrides (nothing recomputed yet)."""
    rng = random.Random(seed)
    d = make_district(session, students=6)
    set_district_policy(session, policy(seed, rollup or rng.choice(RULES)))
    set_course_choice(session, d.courses[1], CourseChoice(method=rng.choice(METHODS)))
    academic = [*d.math_indicators, *d.science_indicators]
    observations: list[Observation] = []
    for s in d.students:
        for indicator in [*academic, *d.habit_indicators]:
            habit = indicator in d.habit_indicators
            for n in range(rng.randint(0, 6)):
                ref = f"{s}/{indicator}/{n}"
                level = None if rng.random() < 0.1 else D(rng.choice([1, 2, 3, 4, "2.5", "3.5", "2.75"]))
                purpose = Purpose.HABIT_OF_WORK if habit else Purpose.SUMMATIVE
                if rng.random() < 0.1:
                    purpose = Purpose.FORMATIVE
                replaces = f"{s}/{indicator}/{n - 1}" if n and rng.random() < 0.15 else None
                observations.append(
                    observation(
                        s,
                        indicator,
                        rng.choice([d.courses[0], d.courses[0], d.courses[1], None]),
                        level,
                        rng.randint(0, 40),
                        ref,
                        purpose=purpose,
                        attempt=rng.randint(1, 2),
                        replaces_source_ref=replaces,
                    )
                )
    record_observations(session, observations)
    rows = list(session.scalars(select(EvidenceRow).order_by(EvidenceRow.id)))
    for row in rng.sample(rows, k=len(rows) // 12):
        exclude_evidence(session, row.id, by_user_id=d.teacher, reason="absent\tthat\nday \\ retake")
    mark_removed(session, "ags", [r.source_ref for r in rng.sample(rows, k=len(rows) // 15)])
    for s in rng.sample(d.students, k=2):
        set_override(
            session,
            student_id=s,
            course_id=d.courses[0],
            indicator_id=rng.choice(academic),
            value=D("3.5"),
            author_id=d.teacher,
            reason="oral exam\twith \\ notes",
        )
        set_override(
            session,
            student_id=s,
            course_id=None,
            standard_id=d.math,
            value=D(2),
            author_id=d.teacher,
            reason="portfolio",
        )
    return d


def later_changes(session: Session, d: District, seed: int) -> list[set[StandingKey]]:
    """Changes after a first recompute, each with the keys it reports."""
    rng = random.Random(seed + 1)
    academic = [*d.math_indicators, *d.science_indicators]
    batches: list[set[StandingKey]] = []
    for n in range(8):
        s, indicator = rng.choice(d.students), rng.choice(academic)
        course = rng.choice([d.courses[0], d.courses[1], None])
        batches.append(
            record_observations(
                session, [observation(s, indicator, course, rng.choice([1, 2, 3, 4]), 50 + n, f"new/{n}")]
            )
        )
        rows = list(session.scalars(select(EvidenceRow).where(EvidenceRow.student_id == s)))
        changed = rng.choice(rows)
        batches.append(
            record_observations(
                session,
                [
                    observation(
                        changed.student_id,
                        changed.indicator_id,
                        changed.course_id,
                        rng.choice([1, 4, None]),
                        3,
                        changed.source_ref,
                        source=changed.source,
                        purpose=changed.purpose,
                    )
                ],
            )
        )
        batches.append(mark_removed(session, "ags", [rng.choice(rows).source_ref]))
    return batches


def standings(session: Session) -> dict[str, tuple[Any, ...]]:
    """Every stored standing by key, as the compared columns."""
    session.expire_all()
    return {row.key: tuple(getattr(row, c) for c in COMPARED) for row in session.scalars(select(StandingRow))}
