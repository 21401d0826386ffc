"""Indicator quality, for the yearly refinement of the framework and the assessments.

Three signals, each with the numbers behind it so a team can judge rather than obey:

- indicators with little evidence: few students assessed, or under two summative
  observations per assessed student;
- indicators whose formative and summative results disagree: means a level or more apart;
- assignments whose conversion looks off: nearly every student on one level, or a mean a
  level or more away from the other summative evidence on the same indicators.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from statistics import mean

from sqlalchemy.orm import Session

from lti.pages.tables import Table
from mappings.evidence import EvidenceStatus, Purpose
from mappings.standing import shown
from store.evidence import EvidenceRow
from store.page_queries import (
    alignment_titles,
    all_courses,
    course_evidence,
    course_memberships,
    indicator_catalogue,
)

LITTLE_PER_STUDENT = 2.0
DISAGREE = 1.0
ONE_LEVEL_SHARE = 0.8


def _two(value: float) -> str:
    return shown(Decimal(str(round(value, 2))))


@dataclass(frozen=True, slots=True)
class Quality:
    little: Table
    disagree: Table
    conversions: Table

    def tables(self) -> list[Table]:
        return [self.little, self.disagree, self.conversions]


def course_quality(session: Session, course_id: int) -> Quality:
    return _quality(session, [course_id])


def school_quality(session: Session) -> Quality:
    return _quality(session, [c.id for c in all_courses(session)])


def _counted(e: EvidenceRow) -> bool:
    return e.level is not None and not e.excluded and e.status is not EvidenceStatus.REMOVED_AT_SOURCE


def _quality(session: Session, course_ids: list[int]) -> Quality:
    rows: list[EvidenceRow] = []
    for course_id in course_ids:
        rows.extend(r for r in course_evidence(session, course_id) if _counted(r))
    enrolled = len({s for _, s in course_memberships(session, course_ids)})
    catalogue = indicator_catalogue(session, {r.indicator_id for r in rows})
    summative: dict[int, list[EvidenceRow]] = defaultdict(list)
    formative: dict[int, list[EvidenceRow]] = defaultdict(list)
    for r in rows:
        if r.purpose is Purpose.FORMATIVE:
            formative[r.indicator_id].append(r)
        elif r.purpose is Purpose.SUMMATIVE:
            summative[r.indicator_id].append(r)
    little, disagree = [], []
    for entry in sorted(catalogue.values(), key=lambda e: e.order):
        if entry.habit:
            continue
        items = summative.get(entry.id, [])
        students = len({r.student_id for r in items})
        per_student = len(items) / students if students else 0.0
        reasons = []
        if students < enrolled / 2:
            reasons.append(f"only {students} of {enrolled} students assessed")
        if per_student < LITTLE_PER_STUDENT:
            reasons.append(f"{_two(per_student)} summative observations per assessed student")
        if reasons:
            little.append((entry.code, entry.title, students, len(items), "; ".join(reasons)))
        practice = formative.get(entry.id, [])
        if items and practice:
            f_mean = mean(float(r.level) for r in practice if r.level is not None)
            s_mean = mean(float(r.level) for r in items if r.level is not None)
            if abs(f_mean - s_mean) >= DISAGREE:
                higher = "formative" if f_mean > s_mean else "summative"
                disagree.append(
                    (entry.code, entry.title, _two(f_mean), _two(s_mean), f"{higher} results are higher")
                )
    return Quality(
        little=Table.of(
            "little_evidence",
            "Indicators with little evidence",
            ("Indicator", "Title", "Students assessed", "Summative observations", "Why flagged"),
            little,
        ),
        disagree=Table.of(
            "disagreement",
            "Indicators whose formative and summative results disagree",
            ("Indicator", "Title", "Formative mean", "Summative mean", "Note"),
            disagree,
        ),
        conversions=_conversions(session, rows, summative),
    )


def _conversions(session: Session, rows: list[EvidenceRow], summative: dict[int, list[EvidenceRow]]) -> Table:
    by_alignment: dict[int, list[EvidenceRow]] = defaultdict(list)
    for r in rows:
        if r.alignment_id is not None and r.purpose is Purpose.SUMMATIVE:
            by_alignment[r.alignment_id].append(r)
    titles = alignment_titles(session, by_alignment)
    flagged = []
    for alignment_id, items in sorted(by_alignment.items()):
        levels = [float(r.level) for r in items if r.level is not None]
        if len(levels) < 5:
            continue
        reasons = []
        top = max(levels.count(v) for v in set(levels))
        if top / len(levels) >= ONE_LEVEL_SHARE:
            reasons.append(f"{round(100 * top / len(levels))} % of results on one level")
        indicators = {r.indicator_id for r in items}
        others = [
            float(r.level)
            for i in indicators
            for r in summative.get(i, [])
            if r.alignment_id != alignment_id and r.level is not None
        ]
        own = mean(levels)
        if len(others) >= 5 and abs(own - mean(others)) >= DISAGREE:
            reasons.append(f"mean {_two(own)} against {_two(mean(others))} on the same indicators elsewhere")
        if reasons:
            flagged.append(
                (titles.get(alignment_id, str(alignment_id)), len(levels), _two(own), "; ".join(reasons))
            )
    return Table.of(
        "conversions",
        "Assignments whose conversion looks off",
        ("Assignment", "Results", "Mean level", "Why flagged"),
        flagged,
    )
