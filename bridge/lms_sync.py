"""One course's sync through LTI services: roster (NRPS), scores (AGS), standings, write-back.

    pull roster -> pull results of aligned line items -> evidence -> recompute -> push changes

Each step is its own short transaction, so a run killed anywhere leaves a consistent store
behind and the next run ends exactly where an uninterrupted one would: evidence is upserted
by (source, ref, indicator), standings are recomputed from evidence, and writes go through
the write ledger's intent/confirm steps.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bridge import nrps
from bridge.ags import SCOPE_LINEITEM, SCOPE_RESULT_READ, SCOPE_SCORE, AgsClient, Result
from bridge.context import Bridge
from bridge.lms_api.pull import pull_for_sync
from bridge.native import push_native
from bridge.outcome import CourseOutcome, Problem
from bridge.roster import apply_roster, user_ids_by_sub
from bridge.writeback import push_standings
from mappings.conversion import conversion_from_json
from mappings.evidence import EvidenceStatus, Purpose
from pbridge.errors import CalculationError, PlatformError, PlatformRejected
from store.alignments import Alignment, AlignmentKind
from store.course_settings import Writeback, course_writeback
from store.evidence import (
    EvidenceRow,
    Observation,
    StandingKey,
    mark_removed,
    record_observations,
)
from store.people import Course
from store.platforms import Platform
from store.recompute import recompute
from store.types import utcnow

SOURCE = "ags"


@dataclass(frozen=True)
class _AlignedItem:
    alignment_id: int
    line_item_id: str
    title: str
    purpose: Purpose
    conversion: dict[str, object]
    indicator_ids: tuple[int, ...]


@dataclass(frozen=True)
class _Plan:
    course_id: int
    issuer: str
    platform: Platform
    lineitems_url: str | None
    nrps_url: str | None
    granted: frozenset[str]
    items: tuple[_AlignedItem, ...]


def _plan(session: Session, course_id: int) -> _Plan:
    course = session.get(Course, course_id)
    if course is None:
        raise PlatformRejected(f"there is no course {course_id}")
    if course.platform_id is None:
        raise PlatformRejected(f"course {course.title or course_id} has no platform registration")
    platform = session.get(Platform, course.platform_id)
    assert platform is not None
    session.expunge(platform)
    alignments = session.scalars(
        select(Alignment).where(
            Alignment.course_id == course_id, Alignment.kind == AlignmentKind.AGS_LINE_ITEM
        )
    ).all()
    items = tuple(
        _AlignedItem(
            alignment_id=a.id,
            line_item_id=a.external_id,
            title=a.title,
            purpose=a.purpose,
            conversion=dict(a.conversion),
            indicator_ids=tuple(i.id for i in a.indicators),
        )
        for a in alignments
    )
    return _Plan(
        course_id=course_id,
        issuer=course.issuer,
        platform=platform,
        lineitems_url=course.ags_lineitems_url,
        nrps_url=course.nrps_memberships_url,
        granted=frozenset(course.ags_scopes or ()),
        items=items,
    )


def sync_course(
    bridge: Bridge, course_id: int, *, step: Callable[[str], None] = lambda _s: None
) -> CourseOutcome:
    """Pull, compute and push one course; platform errors become the outcome's problems."""
    outcome = CourseOutcome()
    with bridge.database.begin() as session:
        plan = _plan(session, course_id)
    flavour = plan.platform.preset.value
    http = bridge.platform_http(plan.platform)
    tokens = bridge.service_tokens(plan.platform)
    token_scopes = plan.granted | ({nrps.SCOPE_MEMBERSHIPS} if plan.nrps_url else set())
    ags = AgsClient(
        http, tokens, granted_scopes=plan.granted, token_scopes=frozenset(token_scopes), flavour=flavour
    )

    learners: frozenset[str] | None = None
    if plan.nrps_url:
        step("roster")
        members = nrps.memberships(
            http, tokens, plan.nrps_url, scopes=frozenset(token_scopes), flavour=flavour
        )
        with bridge.database.begin() as session:
            change = apply_roster(session, course_id=course_id, issuer=plan.issuer, members=members)
            if change.left:
                _mark_left(session, course_id, change.left)
        learners = change.active_learners
    else:
        outcome.notices.append(
            "The LMS did not offer the roster service (NRPS) for this course: students appear as they launch."
        )

    keys: set[StandingKey] = set()
    if plan.items:
        step("scores")
        if SCOPE_RESULT_READ not in plan.granted:
            outcome.notices.append(
                "The LMS did not grant reading results (AGS result.readonly): scores cannot be pulled."
            )
        else:
            keys |= _pull_results(bridge, ags, plan, outcome)
    # the teacher's own assignments, read through the LMS's API when its credentials are entered
    keys |= pull_for_sync(bridge, course_id, outcome, step=step)

    step("standings")
    with bridge.database.begin() as session:
        changes = recompute(session, keys, course_id=course_id)
    outcome.computed = len(changes)

    writeback = _writeback(bridge, course_id)
    if writeback is not None and plan.lineitems_url:
        # what the token endpoint really granted narrows what the launch announced
        ags.granted = plan.granted & (
            tokens.granted(sorted(token_scopes)) | (plan.granted - set(token_scopes))
        )
    if writeback is not None:
        if not plan.lineitems_url:
            outcome.notices.append("The LMS did not offer grade columns (AGS) for this course.")
        elif SCOPE_LINEITEM not in ags.granted:
            outcome.notices.append(
                "The LMS grants this tool grade sync only (no column management), so Proficiency Bridge "
                "cannot create its standing columns. An LMS administrator can allow 'grade sync and column "
                "management' for the tool."
            )
        elif SCOPE_SCORE not in ags.granted:
            outcome.notices.append(
                "The LMS did not grant posting scores (AGS score): standings are not written back."
            )
        else:
            step("write-back")
            push_standings(
                bridge,
                ags,
                course_id=course_id,
                lineitems_url=plan.lineitems_url,
                writeback=writeback,
                learners=learners,
                outcome=outcome,
                flavour=flavour,
            )
            push_native(bridge, course_id, outcome)  # Canvas outcome results, Moodle competency ratings
    return outcome


def _writeback(bridge: Bridge, course_id: int) -> Writeback | None:
    with bridge.database.begin() as session:
        choice = course_writeback(session, course_id)
    return None if choice is Writeback.NONE else choice


def _pull_results(bridge: Bridge, ags: AgsClient, plan: _Plan, outcome: CourseOutcome) -> set[StandingKey]:
    """Results of every aligned line item, in parallel up to the platform's cap."""

    def fetch(item: _AlignedItem) -> tuple[_AlignedItem, list[Result] | PlatformError]:
        try:
            return item, ags.results(item.line_item_id)
        except PlatformError as error:
            return item, error

    workers = max(1, min(len(plan.items), bridge.max_concurrency))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ags-results") as pool:
        fetched = list(pool.map(fetch, plan.items))

    keys: set[StandingKey] = set()
    with bridge.database.begin() as session:
        subs = [r.user_id for _, results in fetched if isinstance(results, list) for r in results]
        known = user_ids_by_sub(session, plan.issuer, subs)
        observations: list[Observation] = []
        present: set[str] = set()
        pulled_items: list[str] = []
        for item, results in fetched:
            if isinstance(results, PlatformError):
                outcome.failed += 1
                outcome.problems.append(
                    Problem(f"scores of '{item.title or item.line_item_id}'", str(results), results.status)
                )
                continue
            item_observations, item_present = _observations(item, results, known, plan.course_id, outcome)
            observations.extend(item_observations)
            present |= item_present
            pulled_items.append(item.line_item_id)
        # one upsert for the whole course: a few queries, not a few per line item
        keys |= record_observations(session, observations)
        gone = _refs_of(session, plan.course_id, pulled_items) - present
        if gone:
            keys |= mark_removed(session, SOURCE, gone)
    return keys


def _observations(
    item: _AlignedItem,
    results: list[Result],
    known: dict[str, int],
    course_id: int,
    outcome: CourseOutcome,
) -> tuple[list[Observation], set[str]]:
    conversion = conversion_from_json(item.conversion)
    observations: list[Observation] = []
    present: set[str] = set()
    for result in results:
        if result.score is None:
            continue  # not yet graded: never a zero
        student_id = known.get(result.user_id)
        if student_id is None:
            outcome.skipped += 1
            outcome.problems.append(
                Problem(f"a score on '{item.title}'", f"user {result.user_id} is not in the roster")
            )
            continue
        ref = f"{item.line_item_id}#{result.user_id}"
        try:
            level = conversion.convert(result.score, result.maximum)
        except CalculationError as error:
            outcome.failed += 1
            outcome.problems.append(
                Problem(f"the score of user {result.user_id} on '{item.title}'", str(error))
            )
            continue
        present.add(ref)
        outcome.pulled += 1
        assessed = _when(result.timestamp)
        observations.extend(
            Observation(
                student_id=student_id,
                indicator_id=indicator_id,
                course_id=course_id,
                source=SOURCE,
                source_ref=ref,
                assessed_at=assessed,
                level=level,
                purpose=item.purpose,
                raw_score=result.score,
                raw_max=result.maximum,
                alignment_id=item.alignment_id,
            )
            for indicator_id in item.indicator_ids
        )
    return observations, present


def _when(timestamp: str | None) -> datetime:
    """AGS results carry only the score's timestamp: the best date of the work we have."""
    if timestamp:
        try:
            moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
            if moment.tzinfo is not None:
                return moment
        except ValueError:
            pass
    return utcnow() - timedelta(microseconds=utcnow().microsecond)


def _refs_of(session: Session, course_id: int, line_item_ids: list[str]) -> set[str]:
    """The refs of this course's AGS evidence from these line items that still count."""
    wanted = set(line_item_ids)
    rows = session.scalars(
        select(EvidenceRow.source_ref)
        .where(
            EvidenceRow.course_id == course_id,
            EvidenceRow.source == SOURCE,
            EvidenceRow.status != EvidenceStatus.REMOVED_AT_SOURCE,
        )
        .distinct()
    )
    return {ref for ref in rows if ref.rpartition("#")[0] in wanted}


def _mark_left(session: Session, course_id: int, user_ids: frozenset[int]) -> None:
    refs = session.scalars(
        select(EvidenceRow.source_ref).where(
            EvidenceRow.course_id == course_id,
            EvidenceRow.student_id.in_(sorted(user_ids)),
            EvidenceRow.source == SOURCE,
        )
    )
    mark_removed(session, SOURCE, set(refs), EvidenceStatus.STUDENT_LEFT)
