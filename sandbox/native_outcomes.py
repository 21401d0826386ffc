"""Where the sandbox keeps mastery the LMSs hold natively: Canvas outcomes, Moodle competencies.

Canvas: outcome groups (a tree per course or account), outcomes linked into groups, rubrics
whose criteria may be aligned to outcomes, rubric associations to assignments, and the
outcome results a rubric assessment creates. Moodle: scales, competency frameworks,
competencies, course competencies, and each student's rating in a course with its evidence.

One `NativeOutcomes` per sandbox state (`native_outcomes(state)`), guarded by the state's lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.state import SandboxState

_ATTRIBUTE = "_native_outcomes"
_CREATE_LOCK = threading.Lock()

#: scales every Moodle site has (ids 1 and 2), as Moodle installs them
MOODLE_DEFAULT_SCALES = {
    "1": (
        "Separate and Connected ways of knowing",
        ("Mostly separate knowing", "Separate and connected", "Mostly connected knowing"),
    ),
    "2": ("Default competence scale", ("Not yet competent", "Competent")),
}


@dataclass
class OutcomeGroup:
    id: str
    context_type: str  # "Course" | "Account"
    context_id: str
    title: str
    parent_id: str | None
    vendor_guid: str = ""
    description: str = ""


@dataclass
class Outcome:
    id: str
    context_type: str
    context_id: str
    title: str
    display_name: str
    description: str
    vendor_guid: str
    mastery_points: float
    ratings: list[dict[str, Any]]
    calculation_method: str
    calculation_int: int | None

    @property
    def points_possible(self) -> float:
        return max((float(r["points"]) for r in self.ratings), default=0.0)


@dataclass
class Criterion:
    id: str
    description: str
    points: float
    learning_outcome_id: str | None
    ratings: list[dict[str, Any]]


@dataclass
class Rubric:
    id: str
    course_id: str
    title: str
    criteria: list[Criterion]
    #: (association id, assignment id, purpose, use_for_grading)
    associations: list[tuple[str, str, str, bool]] = field(default_factory=list)


@dataclass
class OutcomeResult:
    id: str
    course_id: str
    user_id: str
    outcome_id: str
    assignment_id: str
    score: float
    possible: float
    assessed_at: datetime


@dataclass
class Framework:
    id: str
    shortname: str
    idnumber: str
    description: str
    scaleid: str
    scaleconfiguration: str
    contextid: str
    visible: bool = True


@dataclass
class Competency:
    id: str
    framework_id: str
    shortname: str
    idnumber: str
    description: str
    parent_id: str


@dataclass
class UserCompetencyCourse:
    course_id: str
    user_id: str
    competency_id: str
    grade: int | None
    proficiency: bool | None
    timemodified: int
    #: evidence, newest last: (time, grade, note, action)
    evidence: list[dict[str, Any]] = field(default_factory=list)


class NativeOutcomes:
    """Every native mastery record of one sandbox LMS."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._ids = 0
        # Canvas
        self.groups: dict[str, OutcomeGroup] = {}
        self.outcomes: dict[str, Outcome] = {}
        #: (group id, outcome id) in the order they were linked
        self.links: list[tuple[str, str]] = []
        self.rubrics: dict[str, Rubric] = {}
        #: (course, assignment, user) -> {criterion id: {"points", "comments"}}
        self.assessments: dict[tuple[str, str, str], dict[str, dict[str, Any]]] = {}
        self.results: dict[tuple[str, str, str], OutcomeResult] = {}  # (user, outcome, assignment)
        # Moodle
        self.scales: dict[str, tuple[str, tuple[str, ...]]] = dict(MOODLE_DEFAULT_SCALES)
        self.frameworks: dict[str, Framework] = {}
        self.competencies: dict[str, Competency] = {}
        self.course_competencies: dict[str, list[str]] = {}
        self.user_competencies: dict[tuple[str, str, str], UserCompetencyCourse] = {}

    def next_id(self) -> str:
        with self.lock:
            self._ids += 1
            return str(500 + self._ids)

    # Canvas ---------------------------------------------------------------------------------

    def root_group(self, context_type: str, context_id: str, title: str) -> OutcomeGroup:
        """The context's root outcome group (Canvas makes it on first use)."""
        with self.lock:
            for group in self.groups.values():
                if (group.context_type, group.context_id, group.parent_id) == (
                    context_type,
                    context_id,
                    None,
                ):
                    return group
            group = OutcomeGroup(self.next_id(), context_type, context_id, title, None)
            self.groups[group.id] = group
            return group

    def outcomes_in(self, group_id: str) -> list[Outcome]:
        with self.lock:
            return [self.outcomes[o] for g, o in self.links if g == group_id]

    def subgroups(self, group_id: str) -> list[OutcomeGroup]:
        with self.lock:
            return [g for g in self.groups.values() if g.parent_id == group_id]

    # Moodle ---------------------------------------------------------------------------------

    def add_scale(self, name: str, items: tuple[str, ...] | list[str]) -> str:
        """Test and demo hook: a site scale, as an admin makes one under Grades > Scales."""
        with self.lock:
            scale_id = str(len(self.scales) + 1)
            while scale_id in self.scales:
                scale_id = str(int(scale_id) + 1)
            self.scales[scale_id] = (name, tuple(items))
            return scale_id


def native_outcomes(state: SandboxState) -> NativeOutcomes:
    """The state's native mastery records, made on first use."""
    found: NativeOutcomes | None = getattr(state, _ATTRIBUTE, None)
    if found is None:
        with _CREATE_LOCK:
            found = getattr(state, _ATTRIBUTE, None)
            if found is None:
                found = NativeOutcomes()
                setattr(state, _ATTRIBUTE, found)
    return found
