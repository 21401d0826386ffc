"""Courses, users and enrollments of a `SandboxState` (a mixin: the state is the one owner)."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from sandbox.roster import CONTEXT_ROLES, ENROLLMENT_STATUSES, Course, Enrollment, User

if TYPE_CHECKING:
    from sandbox.flavours import Flavour


class PeopleMixin:
    """Roster bookkeeping; relies on the state's `lock`, `next_id`, `opaque_id`, `user_sub`."""

    lock: threading.RLock
    flavour: Flavour

    def next_id(self, kind: str) -> str:
        raise NotImplementedError

    def opaque_id(self, *parts: str) -> str:
        raise NotImplementedError

    def user_sub(self, user_id: str) -> str:
        raise NotImplementedError

    def _init_people(self) -> None:
        self.courses: dict[str, Course] = {}
        self.users: dict[str, User] = {}
        self.enrollments: dict[tuple[str, str], Enrollment] = {}
        self._user_by_sub: dict[str, str] = {}
        self._change_seq = 0

    def add_course(
        self,
        *,
        title: str,
        label: str,
        course_section_sourcedid: str | None = None,
        course_offering_sourcedid: str | None = None,
        term: str = "2025-26",
    ) -> Course:
        with self.lock:
            course_id = self.next_id("course")
            context_id = self.opaque_id("course", course_id) if self.flavour.name == "canvas" else course_id
            course = Course(
                id=course_id,
                title=title,
                label=label,
                context_id=context_id,
                course_section_sourcedid=course_section_sourcedid,
                course_offering_sourcedid=course_offering_sourcedid,
                term=term,
            )
            self.courses[course.id] = course
            return course

    def add_user(
        self,
        *,
        given_name: str,
        family_name: str,
        email: str | None = None,
        person_sourcedid: str | None = None,
        institution_roles: tuple[str, ...] = (),
        system_roles: tuple[str, ...] = ("User",),
        login_id: str | None = None,
    ) -> User:
        with self.lock:
            user_id = self.next_id("user")
            login = login_id or f"{given_name}.{family_name}".lower().replace(" ", "")
            user = User(
                id=user_id,
                sub=self.user_sub(user_id),
                name=f"{given_name} {family_name}",
                given_name=given_name,
                family_name=family_name,
                email=email or f"{login}@example.edu",
                person_sourcedid=person_sourcedid,
                institution_roles=tuple(institution_roles),
                system_roles=tuple(system_roles),
                login_id=login,
            )
            self.users[user.id] = user
            self._user_by_sub[user.sub] = user.id
            return user

    def user_by_sub(self, sub: str) -> User | None:
        with self.lock:
            user_id = self._user_by_sub.get(sub)
            return self.users[user_id] if user_id is not None else None

    def enroll(
        self, course_id: str, user_id: str, roles: tuple[str, ...] | list[str], status: str = "Active"
    ) -> Enrollment:
        """Enroll (or change the enrollment of) a user; roles are short context roles."""
        unknown = [role for role in roles if role not in CONTEXT_ROLES]
        if unknown or not roles:
            raise ValueError(f"roles {list(roles)} for user {user_id}: use {sorted(CONTEXT_ROLES)}")
        if status not in ENROLLMENT_STATUSES:
            raise ValueError(f"status {status!r}: use one of {ENROLLMENT_STATUSES}")
        with self.lock:
            if course_id not in self.courses or user_id not in self.users:
                raise LookupError(f"cannot enroll user {user_id!r} in course {course_id!r}")
            self._change_seq += 1
            enrollment = Enrollment(
                course_id=course_id,
                user_id=user_id,
                roles=tuple(roles),
                status=status,
                changed_seq=self._change_seq,
            )
            self.enrollments[(course_id, user_id)] = enrollment
            return enrollment

    def set_enrollment_status(self, course_id: str, user_id: str, status: str) -> Enrollment:
        """Mark a member Inactive (suspended) or Deleted (left the course)."""
        with self.lock:
            current = self.enrollments[(course_id, user_id)]
        return self.enroll(course_id, user_id, current.roles, status=status)

    @property
    def change_seq(self) -> int:
        with self.lock:
            return self._change_seq

    def find_user(self, key: str) -> User:
        """A user by id, `sub` or login id; LookupError otherwise."""
        with self.lock:
            if key in self.users:
                return self.users[key]
            if key in self._user_by_sub:
                return self.users[self._user_by_sub[key]]
            for user in self.users.values():
                if key in (user.sub, user.login_id):
                    return user
        raise LookupError(f"no user {key!r}")

    def find_course(self, key: str) -> Course:
        """A course by id or LTI context id; LookupError otherwise."""
        with self.lock:
            if key in self.courses:
                return self.courses[key]
            for course in self.courses.values():
                if course.context_id == key:
                    return course
        raise LookupError(f"no course {key!r}")

    def enrollment(self, course_id: str, user_id: str) -> Enrollment | None:
        with self.lock:
            return self.enrollments.get((course_id, user_id))

    def course_enrollments(self, course_id: str) -> list[Enrollment]:
        with self.lock:
            found = [e for key, e in self.enrollments.items() if key[0] == course_id]
        return sorted(found, key=lambda enrollment: int(enrollment.user_id))

    def check_can_launch(self, user: User, course_id: str) -> None:
        """Only active members of a course, and administrators, launch from it."""
        enrollment = self.enrollment(course_id, user.id)
        if user.is_admin:
            return
        if enrollment is None or not enrollment.is_active:
            raise ValueError(f"user {user.id} is not an active member of course {course_id}")

    def rename_user(self, user_id: str, **changes: str) -> User:
        with self.lock:
            user = replace(self.users[user_id], **changes)
            self.users[user_id] = user
            return user
