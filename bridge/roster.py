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
from store.people import CourseRole, Membership, User


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
    memberships = {
        m.user_id: m for m in session.scalars(select(Membership).where(Membership.course_id == course_id))
    }
    # (role, active) as they were before this roster: upserts below change the same objects
    before = {user_id: (m.role, m.active) for user_id, m in memberships.items()}
    existing = _users_by_sub(session, issuer, [m.user_id for m in members])
    users: dict[str, User] = {}
    for member in members:
        user = existing.get(member.user_id) or User(issuer=issuer, sub=member.user_id)
        if user.id is None:
            session.add(user)
        _refresh(user, member)
        users[member.user_id] = user
    session.flush()  # one round for every new or changed person
    user_ids = {sub: user.id for sub, user in users.items()}
    listed = set(user_ids.values())
    for member in members:
        user = users[member.user_id]
        membership = memberships.get(user.id)
        if membership is None:
            membership = Membership(course_id=course_id, user_id=user.id)
            session.add(membership)
            memberships[user.id] = membership
        membership.role = _role(member)
        membership.lti_roles = list(member.roles)
        membership.source = "nrps"
        membership.active = member.is_active
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


def _refresh(user: User, member: Member) -> None:
    """Take what the roster says; an empty field never erases what a launch told us."""
    for attribute in ("name", "given_name", "family_name", "email"):
        value = getattr(member, attribute)
        if value and getattr(user, attribute) != value:
            setattr(user, attribute, value)
    if member.lis_person_sourcedid and user.lis_person_sourcedid != member.lis_person_sourcedid:
        user.lis_person_sourcedid = member.lis_person_sourcedid


def _users_by_sub(session: Session, issuer: str, subs: Sequence[str]) -> dict[str, User]:
    wanted = sorted(set(subs))
    found: dict[str, User] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(User).where(User.issuer == issuer, User.sub.in_(wanted[start : start + 500]))
        )
        found.update({user.sub: user for user in rows})
    return found


def user_ids_by_sub(session: Session, issuer: str, subs: Sequence[str]) -> dict[str, int]:
    wanted = sorted(set(subs))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(User.sub, User.id).where(User.issuer == issuer, User.sub.in_(wanted[start : start + 500]))
        )
        found.update({sub: uid for sub, uid in rows})
    return found
