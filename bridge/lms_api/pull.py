"""Scores of the LMS's own assignments -> evidence, through the course's LMS_ASSIGNMENT alignments.

    aligned assignments -> the LMS's listing (points, due dates, rubrics)
                        -> grades: a full sweep, or only what changed since the last read
                        -> students matched to ours (LMS id, `sub`, or SIS id)
                        -> one observation per student x aligned target x indicator
                        -> evidence upserted, vanished results retired, cursors advanced

A target is a whole assignment or one criterion of its rubric, so one task scored on three
criteria gives evidence on three indicators. Evidence is dated by when the student was
assessed -- the submission, else the due date -- never by when it was graded. Excused,
missing and not-yet-graded work is kept as evidence without a level: shown, never a 0.

Source refs are `<platform>:<assignment>:<user>[:<criterion>]` under source `canvas`,
`moodle` or `schoology`: stable across runs, so a rerun (or a run killed and resumed) updates
the same rows. Everything a pull writes -- evidence, retirements, user ids learnt, cursors --
is one transaction per course: a killed run leaves the course as it was, and the next run
asks the LMS for the same window again.

Delta sync: each aligned assignment has a cursor (time read up to, and a fingerprint of its
alignments). An assignment newly aligned, re-aligned, or not swept for a week is read whole;
the others only for what changed since their cursor (minus a margin for clock skew).
Removals are seen only by full sweeps; `store.lms_credentials.reset_cursors` asks for one.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from bridge.context import Bridge
from bridge.lms_api.connection import CourseApi, LmsClient, course_api, open_client
from bridge.lms_api.errors import LmsAuthorizationRequired, LmsNotConnected
from bridge.lms_api.fan_out import in_parallel
from bridge.lms_api.models import GradeState, LmsAssignment, LmsGrade, LmsStudent
from bridge.outcome import CourseOutcome, Problem
from mappings.conversion import Conversion, LevelMap, conversion_from_json
from mappings.evidence import EvidenceStatus, Purpose
from pbridge.errors import CalculationError, PlatformError
from store.alignments import Alignment, AlignmentKind
from store.evidence import EvidenceRow, Observation, StandingKey, record_observations
from store.lms_credentials import advance_cursor, course_cursors
from store.people import Membership, User
from store.platforms import Preset
from store.types import utcnow

#: an assignment not read whole for this long is read whole again (removals show only then)
FULL_SWEEP_EVERY = timedelta(days=7)
#: a delta read starts this long before the last one ended: clocks differ, commits lag
OVERLAP = timedelta(minutes=5)
#: problems listed per kind before the rest are only counted
PROBLEM_LIMIT = 20


@dataclass(frozen=True)
class Target:
    """What one alignment points at: an assignment, or one criterion of its rubric."""

    alignment_id: int
    assignment_id: str
    criterion_id: str
    title: str
    purpose: Purpose
    conversion: dict[str, object]
    indicator_ids: tuple[int, ...]


def aligned_targets(session: Session, course_id: int) -> list[Target]:
    rows = session.scalars(
        select(Alignment)
        .where(Alignment.course_id == course_id, Alignment.kind == AlignmentKind.LMS_ASSIGNMENT)
        .order_by(Alignment.id)
    )
    return [
        Target(
            alignment_id=a.id,
            assignment_id=a.external_id,
            criterion_id=a.rubric_criterion_id,
            title=a.title,
            purpose=a.purpose,
            conversion=dict(a.conversion),
            indicator_ids=tuple(i.id for i in a.indicators),
        )
        for a in rows
    ]


def fingerprint(targets: Iterable[Target]) -> str:
    """Changes when what an assignment is read for changes (targets, purposes, conversions)."""
    described = sorted(
        [t.alignment_id, t.criterion_id, t.purpose.value, t.conversion, list(t.indicator_ids)]
        for t in targets
    )
    return hashlib.sha256(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()


def level_of(
    conversion: Conversion, score: Decimal | None, maximum: Decimal | None, rating: str = ""
) -> Decimal | None:
    """The level of a raw result; a level map is tried by rating name first, then by points."""
    if rating and isinstance(conversion, LevelMap):
        try:
            return conversion.convert(score, maximum, rating=rating)
        except CalculationError:
            if score is None:
                raise
    return conversion.convert(score, maximum)


def pull_lms_scores(
    bridge: Bridge,
    course_id: int,
    outcome: CourseOutcome,
    *,
    full: bool = False,
    step: Callable[[str], None] = lambda _s: None,
) -> set[StandingKey]:
    """Read the course's aligned LMS assignments and record their scores as evidence.

    Returns the standing keys whose evidence changed. Does nothing (and returns no key) for
    a course whose platform has no LMS API credentials or no LMS_ASSIGNMENT alignment.
    Platform errors propagate; the caller records them as the unit's problems.
    """
    with bridge.database.begin() as session:
        api = course_api(session, bridge.secret_box, course_id)
        if api is None:
            return set()
        targets = aligned_targets(session, course_id)
        cursors = {
            aid: (c.fingerprint, c.synced_through, c.full_sweep_at)
            for aid, c in course_cursors(session, course_id).items()
        }
    if not targets:
        return set()
    step("assignments")
    client = open_client(bridge, api)
    started = utcnow()
    listing = {a.id: a for a in client.assignments(api.lms_course_id)}
    by_assignment: dict[str, list[Target]] = defaultdict(list)
    for target in targets:
        by_assignment[target.assignment_id].append(target)
    prints = {aid: fingerprint(found) for aid, found in by_assignment.items()}
    gone = sorted(aid for aid in by_assignment if aid not in listing)
    for aid in gone:
        outcome.problems.append(
            Problem(
                f"'{by_assignment[aid][0].title or aid}'",
                "the assignment is no longer in the LMS: its evidence is kept but no longer counts",
            )
        )
    sweep: list[str] = []
    delta: dict[datetime, list[str]] = defaultdict(list)
    for aid in sorted(a for a in by_assignment if a in listing):
        cursor = cursors.get(aid)
        if full or cursor is None or cursor[0] != prints[aid] or started - cursor[2] >= FULL_SWEEP_EVERY:
            sweep.append(aid)
        else:
            delta[cursor[1] - OVERLAP].append(aid)

    step("scores")
    course = api.lms_course_id
    calls: list[Callable[[], list[LmsGrade]]] = []
    if sweep:
        calls.append(lambda: client.grades(course, [listing[a] for a in sweep], students=api.learners))
    for since, ids in delta.items():
        chosen = [listing[a] for a in ids]
        # a delta is small: one request chain, not chunks sized for every student's result
        calls.append(functools.partial(client.grades, course, chosen, since=since))
    grades = list(
        {
            (g.assignment_id, g.user_id): g
            for part in in_parallel(calls, workers=bridge.max_concurrency)
            for g in part
        }.values()
    )

    users = match_students(bridge, api, client, {g.user_id for g in grades})
    for lms_id in sorted(users.unknown)[:PROBLEM_LIMIT]:
        outcome.problems.append(
            Problem(
                f"LMS user {lms_id}",
                "is not known to Proficiency Bridge yet (no launch, no roster entry, no SIS id to "
                "match): their scores are read once they open the tool or the roster syncs",
            )
        )
    observations, present, kept = _observations(api, listing, by_assignment, grades, users.known, outcome)
    returned = {(g.assignment_id, g.user_id) for g in grades}
    with bridge.database.begin() as session:
        for user_id, lms_id in users.learnt.items():
            learnt = session.get(User, user_id)
            if learnt is not None and not learnt.lms_user_id:
                learnt.lms_user_id = lms_id
        keys = record_observations(session, observations)
        keys |= _retire(
            session, api, swept=set(sweep) | set(gone), returned=returned, present=present, kept=kept
        )
        read = [(aid, True) for aid in sweep] + [(aid, False) for ids in delta.values() for aid in ids]
        for aid, whole in read:
            advance_cursor(
                session,
                course_id=course_id,
                assignment_id=aid,
                fingerprint=prints[aid],
                synced_through=started,
                full_sweep=whole,
            )
    return keys


@dataclass(frozen=True)
class MatchedStudents:
    known: dict[str, int]  # LMS user id -> our user id
    learnt: dict[int, str]  # our user id -> LMS user id matched by SIS id this time
    unknown: frozenset[str]  # LMS user ids matching no user of ours


def match_students(bridge: Bridge, api: CourseApi, client: LmsClient, lms_ids: set[str]) -> MatchedStudents:
    """Our users behind LMS user ids: by the LMS id a launch gave, by `sub`, else by SIS id.

    The LMS's roster is read only when some id is unknown (students who never launched).
    """
    with bridge.database.begin() as session:
        known = known_users(session, api, lms_ids)
    learnt: dict[int, str] = {}
    if lms_ids - set(known):
        unknown = lms_ids - set(known)
        roster: list[LmsStudent] = client.students(api.lms_course_id)
        by_sis = {s.sis_id: s.id for s in roster if s.id in unknown and s.sis_id}
        if by_sis:
            with bridge.database.begin() as session:
                rows = session.execute(
                    select(User.id, User.lis_person_sourcedid).where(
                        User.issuer == api.issuer, User.lis_person_sourcedid.in_(sorted(by_sis))
                    )
                ).all()
            for user_id, sis_id in rows:
                lms_id = by_sis[str(sis_id)]
                known[lms_id] = user_id
                learnt[user_id] = lms_id
    return MatchedStudents(known, learnt, frozenset(lms_ids - set(known)))


def known_users(session: Session, api: CourseApi, lms_ids: Iterable[str]) -> dict[str, int]:
    """LMS user id -> our user id, for users the launches or NRPS told us about."""
    ids = sorted(set(lms_ids))
    found: dict[str, int] = {}
    for start in range(0, len(ids), 400):
        chunk = ids[start : start + 400]
        condition: ColumnElement[bool] = User.lms_user_id.in_(chunk)
        if api.kind is not Preset.CANVAS:  # Moodle's and Schoology's `sub` is their user id
            condition = or_(condition, User.sub.in_(chunk))
        for user_id, sub, lms_id in session.execute(
            select(User.id, User.sub, User.lms_user_id).where(User.issuer == api.issuer, condition)
        ):
            key = lms_id if lms_id in chunk else sub
            found.setdefault(str(key), user_id)
    return found


def _observations(
    api: CourseApi,
    listing: dict[str, LmsAssignment],
    by_assignment: dict[str, list[Target]],
    grades: list[LmsGrade],
    known: dict[str, int],
    outcome: CourseOutcome,
) -> tuple[list[Observation], set[tuple[str, int]], set[tuple[str, str]]]:
    """Observations of the graded results, the (ref, indicator) pairs seen, and the results
    whose evidence must stay as it was (they could not be dated or converted this time)."""
    conversions = {
        t.alignment_id: conversion_from_json(t.conversion) for ts in by_assignment.values() for t in ts
    }
    observations: list[Observation] = []
    present: set[tuple[str, int]] = set()
    kept: set[tuple[str, str]] = set()
    said: set[tuple[str, str]] = set()

    def problem(key: tuple[str, str], subject: str, reason: str) -> None:
        if key not in said and len(said) < PROBLEM_LIMIT:
            outcome.problems.append(Problem(subject, reason))
        said.add(key)

    for grade in grades:
        student_id = known.get(grade.user_id)
        if student_id is None:
            outcome.skipped += 1
            continue
        if grade.state is GradeState.UNSUBMITTED:
            continue
        assignment = listing[grade.assignment_id]
        when = grade.assessed_at or assignment.due_at
        if when is None:
            problem(
                ("undated", assignment.id),
                f"'{assignment.title}'",
                "has no due date and its submissions no date: give it a due date so evidence can be dated",
            )
            outcome.skipped += 1
            kept.add((grade.assignment_id, grade.user_id))
            continue
        for target in by_assignment[grade.assignment_id]:
            if target.criterion_id and assignment.criterion(target.criterion_id) is None:
                problem(
                    ("criterion", f"{assignment.id}:{target.criterion_id}"),
                    f"'{assignment.title}'",
                    f"its rubric no longer has the aligned criterion '{target.title or target.criterion_id}'",
                )
                continue
            raw, maximum, rating = _raw(assignment, grade, target)
            try:
                level = (
                    level_of(conversions[target.alignment_id], raw, maximum, rating)
                    if (raw is not None or rating)
                    else None
                )
            except CalculationError as error:
                outcome.failed += 1
                kept.add((grade.assignment_id, grade.user_id))
                problem(
                    ("convert", f"{target.alignment_id}:{grade.user_id}"),
                    f"a score on '{assignment.title}'",
                    str(error),
                )
                continue
            ref = f"{api.platform.id}:{assignment.id}:{grade.user_id}" + (
                f":{target.criterion_id}" if target.criterion_id else ""
            )
            outcome.pulled += 1
            for indicator_id in target.indicator_ids:
                present.add((ref, indicator_id))
                observations.append(
                    Observation(
                        student_id=student_id,
                        indicator_id=indicator_id,
                        course_id=api.course_id,
                        source=api.source,
                        source_ref=ref,
                        assessed_at=when,
                        level=level,
                        purpose=target.purpose,
                        raw_score=raw,
                        raw_max=maximum,
                        alignment_id=target.alignment_id,
                    )
                )
    return observations, present, kept


def _raw(
    assignment: LmsAssignment, grade: LmsGrade, target: Target
) -> tuple[Decimal | None, Decimal | None, str]:
    """(score, maximum, rating name) of the target; no score unless the work was graded."""
    if not target.criterion_id:
        return (grade.score if grade.state is GradeState.GRADED else None), assignment.points_possible, ""
    criterion = assignment.criterion(target.criterion_id)
    maximum = criterion.points if criterion else None
    part = grade.criterion(target.criterion_id) if grade.state is GradeState.GRADED else None
    if part is None:
        return None, maximum, ""
    return part.points, maximum, part.rating


def _retire(
    session: Session,
    api: CourseApi,
    *,
    swept: set[str],
    returned: set[tuple[str, str]],
    present: set[tuple[str, int]],
    kept: set[tuple[str, str]],
) -> set[StandingKey]:
    """Evidence the LMS no longer has stops counting (kept, marked removed at source).

    For assignments read whole, every active row not seen again; for a delta read, the rows
    of the results it returned that gave no observation (a grade taken back). Rows of
    students no longer active in the course are left alone: what they showed still counts.
    """
    assignments = sorted(swept | {aid for aid, _ in returned})
    if not assignments:
        return set()
    members = set(
        session.scalars(
            select(Membership.user_id).where(
                Membership.course_id == api.course_id, Membership.active.is_(True)
            )
        )
    )
    changed: set[StandingKey] = set()
    for start in range(0, len(assignments), 50):
        prefixes = [f"{api.platform.id}:{aid}:" for aid in assignments[start : start + 50]]
        rows = session.scalars(
            select(EvidenceRow).where(
                EvidenceRow.source == api.source,
                EvidenceRow.status == EvidenceStatus.ACTIVE,
                or_(*(EvidenceRow.source_ref.startswith(p, autoescape=True) for p in prefixes)),
            )
        )
        for row in rows:
            if (row.source_ref, row.indicator_id) in present or row.student_id not in members:
                continue
            _, aid, user_id, *_ = row.source_ref.split(":", 3)
            if (aid, user_id) in kept:
                continue
            if aid in swept or (aid, user_id) in returned:
                row.status = EvidenceStatus.REMOVED_AT_SOURCE
                changed.add(row.key)
    session.flush()
    return changed


def pull_for_sync(
    bridge: Bridge, course_id: int, outcome: CourseOutcome, *, step: Callable[[str], None] = lambda _s: None
) -> set[StandingKey]:
    """`pull_lms_scores` as one step of a course's sync: what fails becomes the outcome's.

    The AGS part of the sync goes on whatever happens here; a missing Canvas authorisation or
    course id is a notice for the teacher, an LMS that refuses or fails is a problem.
    """
    try:
        return pull_lms_scores(bridge, course_id, outcome, step=step)
    except (LmsAuthorizationRequired, LmsNotConnected) as error:
        outcome.notices.append(str(error))
    except PlatformError as error:
        outcome.failed += 1
        outcome.problems.append(Problem.of("assignments read through the LMS's own API", error))
    return set()
