"""Applying an NRPS roster to our people tables: who joined, who left, nobody dropped.

A student missing from the roster (or listed Inactive) keeps their evidence, marked
`student_left`, so their body of evidence is still there if they come back or transfer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge.nrps import Member
from store.people import Course, CourseRole, Membership, User, upsert_membership, upsert_user


@dataclass(frozen=True)
class RosterChange:
    #: platform user id (sub) -> our user id, for every member listed
    user_ids: dict[str, int]
    #: our user ids of students who were active and no longer are
    left: frozenset[int]
    #: platform user ids of active learners (the only ones we write scores for)
    active_learners: frozenset[str]


def _role(member: Member) -> CourseRole:
    names = {role.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for role in member.roles}
    if names & {"Instructor", "TeachingAssistant", "ContentDeveloper"}:
        return CourseRole.TEACHER
    if "Learner" in names:
        return CourseRole.STUDENT
    return CourseRole.OTHER


def apply_roster(session: Session, *, course_id: int, issuer: str, members: Sequence[Member]) -> RosterChange:
    """Upsert every member; mark memberships the roster no longer lists inactive."""
    course = session.get(Course, course_id)
    assert course is not None
    memberships = {
        m.user_id: m for m in session.scalars(select(Membership).where(Membership.course_id == course_id))
    }
    # (role, active) as they were before this roster: upserts below change the same objects
    before = {user_id: (m.role, m.active) for user_id, m in memberships.items()}
    user_ids: dict[str, int] = {}
    listed: set[int] = set()
    for member in members:
        user = upsert_user(
            session,
            issuer=issuer,
            sub=member.user_id,
            name=member.name,
            given_name=member.given_name,
            family_name=member.family_name,
            email=member.email,
            lis_person_sourcedid=member.lis_person_sourcedid,
        )
        user_ids[member.user_id] = user.id
        listed.add(user.id)
        upsert_membership(
            session,
            course=course,
            user=user,
            role=_role(member),
            lti_roles=list(member.roles),
            source="nrps",
            active=member.is_active,
        )
    active_now = {user_ids[m.user_id] for m in members if m.is_active}
    left: set[int] = set()
    for user_id, (role, was_active) in before.items():
        if role == CourseRole.STUDENT and was_active and user_id not in active_now:
            left.add(user_id)
        if user_id not in listed:
            memberships[user_id].active = False
    session.flush()
    learners = frozenset(m.user_id for m in members if m.is_active and _role(m) == CourseRole.STUDENT)
    return RosterChange(user_ids=user_ids, left=frozenset(left), active_learners=learners)


def user_ids_by_sub(session: Session, issuer: str, subs: Sequence[str]) -> dict[str, int]:
    wanted = sorted(set(subs))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(User.sub, User.id).where(User.issuer == issuer, User.sub.in_(wanted[start : start + 500]))
        )
        found.update({sub: uid for sub, uid in rows})
    return found
