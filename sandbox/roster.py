"""People, courses and enrollments, and the LIS role vocabulary they are launched with."""

from __future__ import annotations

from dataclasses import dataclass, field

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

#: short context role -> the full role URIs a launch carries (sub-roles with their principal)
CONTEXT_ROLES: dict[str, tuple[str, ...]] = {
    "Instructor": (LIS + "membership#Instructor",),
    "TeachingAssistant": (
        LIS + "membership/Instructor#TeachingAssistant",
        LIS + "membership#Instructor",
    ),
    "Learner": (LIS + "membership#Learner",),
    "Mentor": (LIS + "membership#Mentor",),
    "ContentDeveloper": (LIS + "membership#ContentDeveloper",),
    "Administrator": (LIS + "membership#Administrator",),
}

INSTITUTION_ROLES = ("Student", "Instructor", "Faculty", "Staff", "Administrator", "Guest")
SYSTEM_ROLES = ("Administrator", "User", "SysAdmin")

ENROLLMENT_STATUSES = ("Active", "Inactive", "Deleted")


def context_role_uris(roles: tuple[str, ...]) -> list[str]:
    """Full URIs for short context roles, each once, in a stable order."""
    uris: list[str] = []
    for role in roles:
        if role not in CONTEXT_ROLES:
            raise ValueError(f"unknown context role {role!r}: use one of {sorted(CONTEXT_ROLES)}")
        for uri in CONTEXT_ROLES[role]:
            if uri not in uris:
                uris.append(uri)
    return uris


def short_role(role: str) -> str:
    """`Learner` for `http://purl.imsglobal.org/vocab/lis/v2/membership#Learner` (and for itself)."""
    return role.rsplit("#", 1)[-1]


@dataclass(frozen=True)
class Course:
    """A course (an LTI context) with its one SIS section."""

    id: str
    title: str
    label: str
    #: the context id launches and NRPS carry (Canvas: an opaque hash; others: the id)
    context_id: str
    course_section_sourcedid: str | None = None
    course_offering_sourcedid: str | None = None
    term: str = "2025-26"


@dataclass(frozen=True)
class User:
    """A person known to the platform; `sub` is the stable LTI user id."""

    id: str
    sub: str
    name: str
    given_name: str
    family_name: str
    email: str
    person_sourcedid: str | None = None
    institution_roles: tuple[str, ...] = ()
    system_roles: tuple[str, ...] = ("User",)
    login_id: str = ""

    @property
    def is_admin(self) -> bool:
        return "Administrator" in self.institution_roles or "Administrator" in self.system_roles

    def role_uris(self) -> list[str]:
        """Institution and system role URIs, as launches carry them besides context roles."""
        institution = [LIS + "institution/person#" + role for role in self.institution_roles]
        system = [LIS + "system/person#" + role for role in self.system_roles]
        return institution + system


@dataclass(frozen=True)
class Enrollment:
    """A user's membership of a course; `status` Inactive/Deleted for people who left."""

    course_id: str
    user_id: str
    roles: tuple[str, ...]
    status: str = "Active"
    #: a counter value, bumped on every change, for NRPS `differences`
    changed_seq: int = 0
    section: str = field(default="")

    @property
    def is_learner(self) -> bool:
        return "Learner" in self.roles

    @property
    def is_active(self) -> bool:
        return self.status == "Active"
