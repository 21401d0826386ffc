"""Reads the people's pages make that no repository offers yet, each in one or two queries.

The teacher, student and admin pages (`lti.pages`) shape what these return; keeping the
queries here keeps SQL out of `lti/`. Everything is read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.alignments import Alignment
from store.evidence import EvidenceRow
from store.frameworks import (
    Framework,
    FrameworkStatus,
    GraduationStandard,
    PerformanceIndicator,
    StandardKind,
)
from store.people import Course, CourseRole, Membership, User
from store.sis_demographics import SisDemographics
from store.sis_roster import SisClass, SisUser
from store.standings import StandingKind, StandingRow, StandingStatus
from store.sync_runs import SyncError, SyncRun, SyncUnit

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class IndicatorEntry:
    """An indicator with the standard above it: what every page labels a column or row with."""

    id: int
    code: str
    title: str
    position: int
    framework_id: int
    standard_id: int
    standard_code: str
    standard_title: str
    standard_position: int
    standard_kind: StandardKind

    @property
    def habit(self) -> bool:
        return self.standard_kind is StandardKind.HABIT_OF_WORK

    @property
    def order(self) -> tuple[int, str, int, str]:
        """Framework order: by standard, then by indicator."""
        return (self.standard_position, self.standard_code, self.position, self.code)


def _indicator_query():  # type: ignore[no-untyped-def]
    return select(
        PerformanceIndicator.id,
        PerformanceIndicator.code,
        PerformanceIndicator.title,
        PerformanceIndicator.position,
        PerformanceIndicator.framework_id,
        GraduationStandard.id,
        GraduationStandard.code,
        GraduationStandard.title,
        GraduationStandard.position,
        GraduationStandard.kind,
    ).join(GraduationStandard, GraduationStandard.id == PerformanceIndicator.standard_id)


def _entry(row: Sequence[object]) -> IndicatorEntry:
    return IndicatorEntry(*row)  # type: ignore[arg-type]


def indicator_catalogue(session: Session, indicator_ids: Iterable[int]) -> dict[int, IndicatorEntry]:
    """The named indicators with their standards, by id."""
    ids = sorted(set(indicator_ids))
    found: dict[int, IndicatorEntry] = {}
    for start in range(0, len(ids), _CHUNK):
        query = _indicator_query().where(PerformanceIndicator.id.in_(ids[start : start + _CHUNK]))
        for row in session.execute(query):
            entry = _entry(row)
            found[entry.id] = entry
    return found


def published_indicators(session: Session) -> list[IndicatorEntry]:
    """Every indicator of every published framework, in framework order: what a teacher tags with."""
    query = (
        _indicator_query()
        .join(Framework, Framework.id == PerformanceIndicator.framework_id)
        .where(Framework.status == FrameworkStatus.PUBLISHED)
        .order_by(Framework.code, GraduationStandard.position, PerformanceIndicator.position)
    )
    return [_entry(row) for row in session.execute(query)]


def standards_of(session: Session, standard_ids: Iterable[int]) -> dict[int, GraduationStandard]:
    ids = sorted(set(standard_ids))
    if not ids:
        return {}
    return {
        s.id: s for s in session.scalars(select(GraduationStandard).where(GraduationStandard.id.in_(ids)))
    }


def course_evidence(session: Session, course_id: int) -> list[EvidenceRow]:
    """Every observation recorded in one course, by student, indicator, then as assessed."""
    return list(
        session.scalars(
            select(EvidenceRow)
            .where(EvidenceRow.course_id == course_id)
            .order_by(
                EvidenceRow.student_id,
                EvidenceRow.indicator_id,
                EvidenceRow.assessed_at,
                EvidenceRow.attempt,
                EvidenceRow.id,
            )
        )
    )


def alignment_titles(session: Session, alignment_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(alignment_ids))
    if not ids:
        return {}
    rows = session.execute(select(Alignment.id, Alignment.title).where(Alignment.id.in_(ids)))
    return {int(i): str(t) for i, t in rows}


@dataclass(frozen=True, slots=True)
class StandingCell:
    """The few columns of a standing a grid or a chart needs (no explanation JSON)."""

    id: int
    student_id: int
    course_id: int | None
    indicator_id: int | None
    standard_id: int | None
    habit: bool
    status: StandingStatus
    value: Decimal | None
    overridden: bool
    computed_at: datetime


def standing_cells(
    session: Session,
    *,
    kind: StandingKind,
    course_ids: Iterable[int] | None = None,
    student_ids: Iterable[int] | None = None,
) -> list[StandingCell]:
    """Standings of one kind, light: for grids of a class and analytics of a school."""
    query = select(
        StandingRow.id,
        StandingRow.student_id,
        StandingRow.course_id,
        StandingRow.indicator_id,
        StandingRow.standard_id,
        StandingRow.habit,
        StandingRow.status,
        StandingRow.value,
        StandingRow.overridden,
        StandingRow.computed_at,
    ).where(StandingRow.kind == kind)
    if course_ids is not None:
        query = query.where(StandingRow.course_id.in_(sorted(set(course_ids))))
    if student_ids is not None:
        query = query.where(StandingRow.student_id.in_(sorted(set(student_ids))))
    return [StandingCell(*row) for row in session.execute(query)]  # type: ignore[arg-type]


def student_courses(session: Session, student_id: int) -> list[Course]:
    """The courses a user is (or was) a student in."""
    return list(
        session.scalars(
            select(Course)
            .join(Membership, Membership.course_id == Course.id)
            .where(Membership.user_id == student_id, Membership.role == CourseRole.STUDENT)
            .order_by(Course.title)
        )
    )


def is_student_of(session: Session, course_id: int, user_id: int) -> bool:
    """Whether the user is (or was) a student of the course: a teacher may see only those."""
    found = session.scalar(
        select(Membership.id).where(
            Membership.course_id == course_id,
            Membership.user_id == user_id,
            Membership.role == CourseRole.STUDENT,
        )
    )
    return found is not None


def all_courses(session: Session) -> list[Course]:
    return list(session.scalars(select(Course).order_by(Course.title, Course.id)))


def course_memberships(session: Session, course_ids: Iterable[int] | None = None) -> list[tuple[int, int]]:
    """(course, student) pairs of active students."""
    query = select(Membership.course_id, Membership.user_id).where(
        Membership.role == CourseRole.STUDENT, Membership.active.is_(True)
    )
    if course_ids is not None:
        query = query.where(Membership.course_id.in_(sorted(set(course_ids))))
    return [(int(c), int(u)) for c, u in session.execute(query)]


def grade_levels(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Each student's grade level as the SIS reports it (first grade listed); absent if unknown."""
    ids = sorted(set(user_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(SisUser.user_id, SisUser.grades).where(SisUser.user_id.in_(ids[start : start + _CHUNK]))
        )
        for user_id, grades in rows:
            if user_id is not None and grades:
                found[int(user_id)] = str(grades[0])
    return found


def student_demographics(session: Session, user_ids: Iterable[int]) -> dict[int, SisDemographics]:
    """Each student's active SIS demographics record (joined by the SIS user's sourcedId)."""
    ids = sorted(set(user_ids))
    found: dict[int, SisDemographics] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(SisUser.user_id, SisDemographics)
            .join(
                SisDemographics,
                (SisDemographics.connection_id == SisUser.connection_id)
                & (SisDemographics.sourced_id == SisUser.sourced_id),
            )
            .where(SisUser.user_id.in_(ids[start : start + _CHUNK]), SisDemographics.status == "active")
        )
        for user_id, demographics in rows:
            if user_id is not None:
                found[int(user_id)] = demographics
    return found


def users_by_id(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    ids = sorted(set(user_ids))
    found: dict[int, User] = {}
    for start in range(0, len(ids), _CHUNK):
        for user in session.scalars(select(User).where(User.id.in_(ids[start : start + _CHUNK]))):
            found[user.id] = user
    return found


def sis_classes_of_course(session: Session, course_id: int) -> list[SisClass]:
    """The OneRoster classes linked to an LTI course (by the section sourcedId)."""
    return list(session.scalars(select(SisClass).where(SisClass.course_id == course_id)))


# --- sync runs ---------------------------------------------------------------------------------


def course_units(session: Session, course_id: int, *, limit: int = 10) -> list[SyncUnit]:
    """The newest sync units of one course (each with its run)."""
    return list(
        session.scalars(
            select(SyncUnit).where(SyncUnit.course_id == course_id).order_by(SyncUnit.id.desc()).limit(limit)
        )
    )


def run_errors(session: Session, run_id: int, *, course_id: int | None = None) -> list[SyncError]:
    query = select(SyncError).where(SyncError.run_id == run_id)
    if course_id is not None:
        query = query.where(SyncError.course_id == course_id)
    return list(session.scalars(query.order_by(SyncError.id)))


def recent_runs(session: Session, *, limit: int = 50) -> list[SyncRun]:
    return list(session.scalars(select(SyncRun).order_by(SyncRun.id.desc()).limit(limit)))


def users_by_sub(session: Session, issuer: str, subs: Iterable[str]) -> dict[str, User]:
    """Users of one platform by their LTI `sub` (AGS results name students that way)."""
    wanted = sorted(set(subs))
    found: dict[str, User] = {}
    for start in range(0, len(wanted), _CHUNK):
        query = select(User).where(User.issuer == issuer, User.sub.in_(wanted[start : start + _CHUNK]))
        for user in session.scalars(query):
            found[user.sub] = user
    return found


def sis_user_names(session: Session, connection_id: int, sourced_ids: Iterable[str]) -> dict[str, str]:
    """Display names of SIS users by sourcedId."""
    wanted = sorted(set(sourced_ids))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(SisUser.sourced_id, SisUser.given_name, SisUser.family_name).where(
                SisUser.connection_id == connection_id, SisUser.sourced_id.in_(wanted[start : start + _CHUNK])
            )
        )
        for sourced_id, given, family in rows:
            found[sourced_id] = " ".join(p for p in (given, family) if p) or sourced_id
    return found


def student_evidence(session: Session, student_id: int, course_id: int | None = None) -> list[EvidenceRow]:
    """One student's evidence (one course's, or all), by indicator then as assessed."""
    query = select(EvidenceRow).where(EvidenceRow.student_id == student_id)
    if course_id is not None:
        query = query.where(EvidenceRow.course_id == course_id)
    return list(
        session.scalars(
            query.order_by(
                EvidenceRow.indicator_id, EvidenceRow.assessed_at, EvidenceRow.attempt, EvidenceRow.id
            )
        )
    )
