"""Bodies of evidence for the mappings tests: a few words per observation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from mappings.evidence import Evidence, Purpose
from mappings.scale import Level, Scale

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)

FIVE_LEVELS = Scale(levels=tuple(Level(Decimal(i), f"Level {i}") for i in range(1, 6)), meets=Decimal(3))


def body(levels: Sequence[object], **fields: object) -> list[Evidence]:
    """Summative evidence a day apart, oldest first, refs e1, e2, ..."""
    return [
        Evidence(
            ref=f"e{i}",
            student="s1",
            indicator="MATH.1.PI.1",
            level=None if level is None else Decimal(str(level)),
            assessed_at=START + timedelta(days=i),
            attempt=i,
            **fields,  # type: ignore[arg-type]
        )
        for i, level in enumerate(levels, start=1)
    ]


#: levels in hundredths on the default 1–4 scale, mostly on whole and half levels
levels_1_to_4 = st.one_of(
    st.sampled_from([Decimal("1"), Decimal("2"), Decimal("3"), Decimal("4"), Decimal("2.5")]),
    st.integers(min_value=100, max_value=400).map(lambda c: Decimal(c) / 100),
)


@st.composite
def evidence_bodies(draw: st.DrawFn, min_size: int = 1, max_size: int = 9) -> list[Evidence]:
    """Random bodies: levels, dates, purposes, exclusions, gaps and reassessments."""
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    items: list[Evidence] = []
    for i in range(n):
        level = draw(st.one_of(levels_1_to_4, st.none()) if draw(st.booleans()) else levels_1_to_4)
        replaces = None
        if i and draw(st.integers(0, 5)) == 0:
            replaces = f"e{draw(st.integers(0, i - 1))}"
        items.append(
            Evidence(
                ref=f"e{i}",
                student="s1",
                indicator="PI",
                level=level,
                assessed_at=START + timedelta(hours=draw(st.integers(0, 2000))),
                purpose=draw(
                    st.sampled_from([Purpose.SUMMATIVE] * 6 + [Purpose.FORMATIVE, Purpose.HABIT_OF_WORK])
                ),
                attempt=draw(st.integers(1, 3)),
                replaces=replaces,
                excluded=draw(st.integers(0, 9)) == 0,
                excluded_reason="absent for the retake",
            )
        )
    return items
