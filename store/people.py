"""Users, courses and who is in which course, as launches, NRPS and the SIS report them.

Users are keyed by issuer + `sub`, courses by issuer + context id: one Canvas instance with
two developer keys is still one set of people. The `lis` sourcedIds are kept so a student
seen in the LMS and in the SIS (OneRoster) is one student.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
        return (
            self.name or " ".join(p for p in (self.given_name, self.family_name) if p) or self.sub
        )


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
    lis_course_section_sourcedid: Mapped[str | None] = mapped_column(
        String(255), default=None, index=True
    )
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
