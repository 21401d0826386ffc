"""A small district for the store tests: one framework, two standards + a habit, students, courses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from mappings.evidence import Purpose
from store.evidence import Observation
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator, StandardKind
from store.people import Course, User

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


@dataclass
class District:
    students: list[int]
    teacher: int
    courses: list[int]
    math: int  # standard
    science: int  # standard
    habit: int  # habit-of-work standard
    math_indicators: list[int]
    science_indicators: list[int]
    habit_indicators: list[int]
    refs: dict[str, int] = field(default_factory=dict)


def make_district(session: Session, *, students: int = 3) -> District:
    framework = Framework(code="DEMO", title="Demo framework")
    session.add(framework)
    session.flush()
    standards = []
    for position, (code, kind) in enumerate(
        [
            ("MATH.1", StandardKind.CONTENT_AREA),
            ("SCI.1", StandardKind.CONTENT_AREA),
            ("HOW.1", StandardKind.HABIT_OF_WORK),
        ]
    ):
        standard = GraduationStandard(
            framework_id=framework.id, code=code, title=code, kind=kind, position=position
        )
        session.add(standard)
        session.flush()
        indicators = []
        for i in range(1, 4):
            indicator = PerformanceIndicator(
                framework_id=framework.id,
                standard_id=standard.id,
                code=f"{code}.PI.{i}",
                title=f"{code} {i}",
                position=i,
            )
            session.add(indicator)
            session.flush()
            indicators.append(indicator.id)
        standards.append((standard.id, indicators))
    users = [User(issuer="https://lms", sub=f"s{i}") for i in range(students)]
    teacher = User(issuer="https://lms", sub="t1", name="Ms Rivera")
    courses = [Course(issuer="https://lms", context_id=f"c{i}", title=f"Course {i}") for i in range(2)]
    session.add_all([*users, teacher, *courses])
    session.flush()
    return District(
        students=[u.id for u in users],
        teacher=teacher.id,
        courses=[c.id for c in courses],
        math=standards[0][0],
        science=standards[1][0],
        habit=standards[2][0],
        math_indicators=standards[0][1],
        science_indicators=standards[1][1],
        habit_indicators=standards[2][1],
    )


def observation(
    student: int,
    indicator: int,
    course: int | None,
    level: object,
    day: int,
    ref: str,
    *,
    purpose: Purpose = Purpose.SUMMATIVE,
    source: str = "ags",
    **fields: object,
) -> Observation:
    return Observation(
        student_id=student,
        indicator_id=indicator,
        course_id=course,
        source=source,
        source_ref=ref,
        assessed_at=START + timedelta(days=day),
        level=None if level is None else Decimal(str(level)),
        purpose=purpose,
        **fields,  # type: ignore[arg-type]
    )
