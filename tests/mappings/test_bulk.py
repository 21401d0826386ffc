"""The bulk path gives the explained path's numbers, exactly, on random data."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.bulk import PURPOSE_CODES, centi, compute, counted_rows
from mappings.calculation import METHODS, MethodChoice, calculate
from mappings.evidence import Evidence, EvidenceStatus, Purpose
from mappings.scale import default_scale
from mappings.selection import select
from tests.mappings.bodies import START, evidence_bodies

SCALE = default_scale(half_points=True)

CHOICES = [
    MethodChoice.of("latest"),
    MethodChoice.of("highest"),
    MethodChoice.of("mean"),
    MethodChoice.of("median"),
    MethodChoice.of("mode"),
    MethodChoice.of("decaying_average", {"weight": "0.65"}),
    MethodChoice.of("decaying_average", {"weight": "0.5"}),
    MethodChoice.of("weighted_average", {"weight": "0.65"}),
    MethodChoice.of("weighted_average", {"weight": "0.5"}),
    MethodChoice.of("n_mastery", {"n": "2"}),
    MethodChoice.of("n_mastery", {"n": "1", "mastery": "2.5"}),
    MethodChoice.of("power_law"),
]


def test_every_method_is_covered():
    assert {c.name for c in CHOICES} == set(METHODS)


def columns(bodies: list[list[Evidence]], counts: Purpose = Purpose.SUMMATIVE):
    """The bodies as the store lays them out: grouped, each group in assessed order."""
    group, level, has_level, excluded, removed, purpose, replaces = [], [], [], [], [], [], []
    for g, evidence in enumerate(bodies):
        ordered = sorted(evidence, key=lambda e: e.order_key)
        offset = len(group)
        index = {e.ref: offset + i for i, e in enumerate(ordered)}
        for e in ordered:
            group.append(g)
            level.append(0 if e.level is None else centi(e.level))
            has_level.append(e.level is not None)
            excluded.append(e.excluded)
            removed.append(e.status is EvidenceStatus.REMOVED_AT_SOURCE)
            purpose.append(PURPOSE_CODES[e.purpose.value])
            replaces.append(index.get(e.replaces, -1) if e.replaces else -1)
    counted = counted_rows(
        has_level=np.array(has_level, dtype=np.bool_),
        excluded=np.array(excluded, dtype=np.bool_),
        removed=np.array(removed, dtype=np.bool_),
        purpose=np.array(purpose, dtype=np.int8),
        counts=np.full(len(group), PURPOSE_CODES[counts.value], dtype=np.int8),
        replaces=np.array(replaces, dtype=np.int64),
    )
    return np.array(group, dtype=np.int64), np.array(level, dtype=np.int64), counted


@settings(max_examples=15, deadline=None)
@given(bodies=st.lists(evidence_bodies(max_size=12), min_size=1, max_size=12))
def test_bulk_selection_matches_the_explained_selection(bodies):
    _, _, counted = columns(bodies)
    expected = []
    for evidence in bodies:
        chosen = {e.ref for e in select(evidence).counted}
        expected += [e.ref in chosen for e in sorted(evidence, key=lambda e: e.order_key)]
    assert counted.tolist() == expected


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: c.describe())
@pytest.mark.parametrize("min_observations", [1, 3])
@settings(max_examples=15, deadline=None)
@given(bodies=st.lists(evidence_bodies(max_size=12), min_size=1, max_size=12))
def test_bulk_values_equal_explained_values(choice, min_observations, bodies):
    group, level, counted = columns(bodies)
    result = compute(
        group,
        level,
        counted,
        groups=len(bodies),
        choice=choice,
        scale=SCALE,
        min_observations=min_observations,
    )
    for g, evidence in enumerate(bodies):
        standing, _ = calculate(evidence, choice, scale=SCALE, min_observations=min_observations)
        assert result.level(g) == standing.value, (g, [e.level for e in evidence])
        assert int(result.observations[g]) == standing.observations


def _random_district(seed: int, standings: int) -> list[list[Evidence]]:
    rng = random.Random(seed)
    bodies = []
    for s in range(standings):
        n = rng.randint(1, 14)
        bodies.append(
            [
                Evidence(
                    ref=f"{s}-{i}",
                    student=f"s{s}",
                    indicator="PI",
                    level=Decimal(rng.choice([100, 150, 200, 250, 300, 350, 400, rng.randint(100, 400)]))
                    / 100,
                    assessed_at=START + timedelta(days=rng.randint(0, 300)),
                    attempt=i,
                )
                for i in range(n)
            ]
        )
    return bodies


@pytest.mark.parametrize("choice", CHOICES, ids=lambda c: c.describe())
def test_bulk_equals_explained_on_a_random_district(choice):
    bodies = _random_district(seed=7, standings=1500)
    group, level, counted = columns(bodies)
    result = compute(group, level, counted, groups=len(bodies), choice=choice, scale=SCALE)
    mismatches = [
        g
        for g, evidence in enumerate(bodies)
        if result.level(g) != calculate(evidence, choice, scale=SCALE)[0].value
    ]
    assert mismatches == []


def test_half_hundredth_ties_round_like_the_explained_path():
    # weight 0.5 over 1, 2, 2: 1 → 1.5 → 1.75; over 1, 2, 3, 3.5: ... ties everywhere
    choice = MethodChoice.of("decaying_average", {"weight": "0.5"})
    bodies = [
        [
            Evidence(
                ref=f"{g}-{i}",
                student="s",
                indicator="PI",
                level=Decimal(x),
                assessed_at=START + timedelta(days=i),
            )
            for i, x in enumerate(levels)
        ]
        for g, levels in enumerate([["1", "1.01"], ["1", "2", "2", "2.01"], ["3.99", "3.98"]])
    ]
    group, level, counted = columns(bodies)
    result = compute(group, level, counted, groups=len(bodies), choice=choice, scale=SCALE)
    assert [result.level(g) for g in range(3)] == [calculate(b, choice, scale=SCALE)[0].value for b in bodies]
    assert result.level(0) == Decimal("1.01")  # 1.005 rounds up
