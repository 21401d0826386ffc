"""Users, courses and who is in which course, as launches, NRPS and the SIS report them.

Users are keyed by issuer + `sub`, courses by issuer + context id: one Canvas instance with
two developer keys is still one set of people. The `lis` sourcedIds are kept so a student
seen in the LMS and in the SIS (OneRoster) is one student.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from store.base import Base, intpk
from store.types import utcnow


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("issuer", "sub"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(500))
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(300), default="")
    given_name: Mapped[str] = mapped_column(String(200), default="")
    family_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    lis_person_sourcedid: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    #: ids in the LMS's own REST API (Canvas user id, Moodle user id) when the launch gives them
    lms_user_id: Mapped[str | None] = mapped_column(String(255), default=None)
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def display_name(self) -> str:
        return self.name or " ".join(p for p in (self.given_name, self.family_name) if p) or self.sub


class Course(Base):
    """An LTI context. Holds the service endpoints its latest launch announced."""

    __tablename__ = "courses"
    __table_args__ = (UniqueConstraint("issuer", "context_id"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(500))
    context_id: Mapped[str] = mapped_column(String(255))
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("platforms.id", ondelete="SET NULL"), default=None
    )
    deployment_id: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    lis_course_section_sourcedid: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    #: the LMS's own id for the course (Canvas `$Canvas.course.id`, Moodle course id)
    lms_course_id: Mapped[str | None] = mapped_column(String(255), default=None)
    #: the LMS's API host from the launch (Canvas `$Canvas.api.domain`)
    lms_api_domain: Mapped[str | None] = mapped_column(String(500), default=None)
    ags_lineitems_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    ags_scopes: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    nrps_memberships_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_launch_at: Mapped[datetime | None] = mapped_column(default=None)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )


class CourseRole(enum.Enum):
    """What a person does in a course, from the LTI roles (several LTI roles map to one)."""

    TEACHER = "teacher"  # Instructor, TeachingAssistant, ContentDeveloper
    STUDENT = "student"  # Learner
    OTHER = "other"


class Membership(Base):
    """A user in a course with a role; `active` turns false when NRPS or the SIS drops them."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[CourseRole] = mapped_column(default=CourseRole.STUDENT)
    lti_roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    #: "launch", "nrps", "oneroster"
    source: Mapped[str] = mapped_column(String(20), default="launch")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


def upsert_user(
    session: Session,
    *,
    issuer: str,
    sub: str,
    name: str = "",
    given_name: str = "",
    family_name: str = "",
    email: str = "",
    lis_person_sourcedid: str | None = None,
    lms_user_id: str | None = None,
    launched: bool = False,
    flush: bool = True,
) -> User:
    """Find a user by issuer + sub and refresh what the platform told us this time.

    `flush=False` leaves the write to the caller's next flush (a launch makes one flush)."""
    user = session.scalars(select(User).where(User.issuer == issuer, User.sub == sub)).one_or_none()
    if user is None:
        user = User(issuer=issuer, sub=sub)
        session.add(user)
    if name:
        user.name = name
    if given_name:
        user.given_name = given_name
    if family_name:
        user.family_name = family_name
    if email:
        user.email = email
    if lis_person_sourcedid:
        user.lis_person_sourcedid = lis_person_sourcedid
    if lms_user_id:
        user.lms_user_id = lms_user_id
    if launched:
        user.last_launch_at = utcnow()
    if flush:
        session.flush()
    return user


def upsert_course(
    session: Session,
    *,
    issuer: str,
    context_id: str,
    platform_id: int | None,
    deployment_id: str,
    title: str = "",
    label: str = "",
    lis_course_section_sourcedid: str | None = None,
    lms_course_id: str | None = None,
    lms_api_domain: str | None = None,
    ags_lineitems_url: str | None = None,
    ags_scopes: list[str] | None = None,
    nrps_memberships_url: str | None = None,
    launched: bool = False,
    flush: bool = True,
) -> Course:
    """Find a course by issuer + context id and keep its newest endpoints and names."""
    course = session.scalars(
        select(Course).where(Course.issuer == issuer, Course.context_id == context_id)
    ).one_or_none()
    if course is None:
        course = Course(issuer=issuer, context_id=context_id)
        session.add(course)
    course.platform_id = platform_id
    course.deployment_id = deployment_id
    for attribute, value in (
        ("title", title),
        ("label", label),
        ("lis_course_section_sourcedid", lis_course_section_sourcedid),
        ("lms_course_id", lms_course_id),
        ("lms_api_domain", lms_api_domain),
        ("ags_lineitems_url", ags_lineitems_url),
        ("nrps_memberships_url", nrps_memberships_url),
    ):
        if value:
            setattr(course, attribute, value)
    if ags_scopes is not None:
        course.ags_scopes = list(ags_scopes)
    if launched:
        course.last_launch_at = utcnow()
    if flush:
        session.flush()
    return course


def upsert_membership(
    session: Session,
    *,
    course: Course,
    user: User,
    role: CourseRole,
    lti_roles: list[str],
    source: str,
    active: bool = True,
    flush: bool = True,
) -> Membership:
    membership = None
    if course.id is not None and user.id is not None:
        membership = session.scalars(
            select(Membership).where(Membership.course_id == course.id, Membership.user_id == user.id)
        ).one_or_none()
    if membership is None:
        membership = Membership(course=course, user=user)
        session.add(membership)
    membership.role = role
    membership.lti_roles = list(lti_roles)
    membership.source = source
    membership.active = active
    if flush:
        session.flush()
    return membership


def course_students(session: Session, course_id: int, *, active_only: bool = True) -> list[User]:
    """Students of a course, by family name then given name."""
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.course_id == course_id, Membership.role == CourseRole.STUDENT)
        .order_by(User.family_name, User.given_name, User.name, User.id)
    )
    if active_only:
        query = query.where(Membership.active.is_(True))
    return list(session.scalars(query))


def membership_of(session: Session, course_id: int, user_id: int) -> Membership | None:
    return session.scalars(
        select(Membership).where(Membership.course_id == course_id, Membership.user_id == user_id)
    ).one_or_none()
