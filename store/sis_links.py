"""Linking the SIS roster to the LTI side: one student seen in Canvas and in the SIS is one.

The launch's `lis` claim carries the SIS sourcedIds: `users.lis_person_sourcedid` and
`courses.lis_course_section_sourcedid` equal a SIS user's and class's sourcedId. Linking runs
after each roster sync (`link_to_lti`) and when a launch brings a new user or course
(`link_lti_user`, `link_lti_course`); linked enrollments become memberships.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from store.people import Course, CourseRole, Membership, User
from store.sis_roster import ACTIVE, SisClass, SisEnrollment, SisUser


@dataclass(frozen=True)
class LinkReport:
    users_linked: int
    classes_linked: int
    memberships_added: int
    memberships_updated: int


def _best_user_id(sourced_id_column: Any) -> Any:
    return (
        select(User.id)
        .where(User.lis_person_sourcedid == sourced_id_column)
        .order_by(User.last_launch_at.desc().nulls_last(), User.id)
        .limit(1)
        .scalar_subquery()
    )


def _best_course_id(sourced_id_column: Any) -> Any:
    return (
        select(Course.id)
        .where(Course.lis_course_section_sourcedid == sourced_id_column)
        .order_by(Course.last_launch_at.desc().nulls_last(), Course.id)
        .limit(1)
        .scalar_subquery()
    )


def link_to_lti(session: Session, connection_id: int) -> LinkReport:
    """Link SIS users and classes to LTI users and courses, then mirror enrollments.

    When two LTI users carry the same person sourcedId (the district's Canvas and Moodle),
    the one who launched last is linked. Memberships are added for linked enrollments
    (source "oneroster"); a membership a launch or NRPS made is left to its own source.
    """
    session.execute(
        update(SisUser)
        .where(SisUser.connection_id == connection_id)
        .values(user_id=_best_user_id(SisUser.sourced_id))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SisClass)
        .where(SisClass.connection_id == connection_id)
        .values(course_id=_best_course_id(SisClass.sourced_id))
        .execution_options(synchronize_session=False)
    )
    users_linked = count_linked(session, SisUser, connection_id)
    classes_linked = count_linked(session, SisClass, connection_id)
    added, updated = _mirror_enrollments(session, connection_id)
    return LinkReport(users_linked, classes_linked, added, updated)


def count_linked(session: Session, model: type[SisUser] | type[SisClass], connection_id: int) -> int:
    link = model.user_id if model is SisUser else model.course_id  # type: ignore[union-attr]
    return int(
        session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.connection_id == connection_id, link.is_not(None))
        )
        or 0
    )


def _course_role(role: str) -> CourseRole:
    if role == "student":
        return CourseRole.STUDENT
    if role == "teacher":
        return CourseRole.TEACHER
    return CourseRole.OTHER


def _mirror_enrollments(session: Session, connection_id: int) -> tuple[int, int]:
    rows = session.execute(
        select(SisEnrollment.role, SisEnrollment.status, SisUser.user_id, SisClass.course_id)
        .join(
            SisUser,
            and_(
                SisUser.connection_id == SisEnrollment.connection_id,
                SisUser.sourced_id == SisEnrollment.user_sourced_id,
            ),
        )
        .join(
            SisClass,
            and_(
                SisClass.connection_id == SisEnrollment.connection_id,
                SisClass.sourced_id == SisEnrollment.class_sourced_id,
            ),
        )
        .where(
            SisEnrollment.connection_id == connection_id,
            SisUser.user_id.is_not(None),
            SisClass.course_id.is_not(None),
        )
    ).all()
    added = updated = 0
    for role, status, user_id, course_id in rows:
        membership = session.scalars(
            select(Membership).where(Membership.course_id == course_id, Membership.user_id == user_id)
        ).one_or_none()
        active = status == ACTIVE
        if membership is None:
            session.add(
                Membership(
                    course_id=course_id,
                    user_id=user_id,
                    role=_course_role(role),
                    active=active,
                    source="oneroster",
                )
            )
            added += 1
        elif membership.source == "oneroster" and (
            membership.active != active or membership.role is not _course_role(role)
        ):
            membership.active = active
            membership.role = _course_role(role)
            updated += 1
    session.flush()
    return added, updated


def link_lti_user(session: Session, user: User) -> int:
    """A launch brought `user`: link the SIS users carrying its person sourcedId to it."""
    if not user.lis_person_sourcedid:
        return 0
    result = session.execute(
        update(SisUser)
        .where(SisUser.sourced_id == user.lis_person_sourcedid)
        .values(user_id=user.id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def link_lti_course(session: Session, course: Course) -> int:
    """A launch brought `course`: link the SIS classes carrying its section sourcedId to it."""
    if not course.lis_course_section_sourcedid:
        return 0
    result = session.execute(
        update(SisClass)
        .where(SisClass.sourced_id == course.lis_course_section_sourcedid)
        .values(course_id=course.id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
