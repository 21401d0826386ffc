"""The OneRoster CSV binding's files and columns (1.1 and 1.2), and how each cell is read.

Only what the bridge imports is described: orgs, academic sessions, courses, classes, users,
1.2 roles, enrollments, line items, results and 1.2's learning objective ids. Each column
says whether it is required, how to read it (text, date, date-time, boolean, number, list,
vocabulary) and which store column it fills. `status` and `dateLastModified` are required
in delta files only. Unknown columns (vendor extensions, `metadata.*`) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

EXT = re.compile(r"ext:[a-zA-Z0-9.\-_]+")

ORG_TYPES = {"department", "school", "district", "local", "state", "national"}
SESSION_TYPES = {"gradingPeriod", "semester", "schoolYear", "term"}
CLASS_TYPES = {"homeroom", "scheduled"}
ENROLLMENT_ROLES = {"administrator", "proctor", "student", "teacher"}
USER_ROLES_1_1 = {"administrator", "aide", "guardian", "parent", "proctor", "relative", "student", "teacher"}
USER_ROLES_1_2 = {
    "aide",
    "counselor",
    "districtAdministrator",
    "guardian",
    "parent",
    "principal",
    "proctor",
    "relative",
    "siteAdministrator",
    "student",
    "systemAdministrator",
    "teacher",
}
SCORE_STATUSES = {"exempt", "fully graded", "not submitted", "partially graded", "submitted"}
STATUSES = {"active", "tobedeleted"}


class CellInvalid(ValueError):
    """A cell cannot be read; the message says what was expected."""


def text(value: str) -> str:
    return value


def day(value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise CellInvalid(f"{value!r} is not a date (YYYY-MM-DD)") from None


def moment(value: str) -> datetime:
    try:
        if len(value) == 10:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CellInvalid(f"{value!r} is not a date-time (ISO 8601, e.g. 2025-09-01T00:00:00Z)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def day_or_moment(value: str) -> date:
    return moment(value).date() if len(value) > 10 else day(value)


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered not in {"true", "false"}:
        raise CellInvalid(f"{value!r} is not true or false")
    return lowered == "true"


def number(value: str) -> float:
    try:
        parsed = float(value)
    except ValueError:
        raise CellInvalid(f"{value!r} is not a number") from None
    if parsed != parsed or parsed in (float("inf"), float("-inf")):
        raise CellInvalid(f"{value!r} is not a finite number")
    return parsed


def listing(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def year(value: str) -> str:
    if not re.fullmatch(r"\d{4}", value):
        raise CellInvalid(f"{value!r} is not a four-digit year")
    return value


def vocabulary(values: set[str], *, extensible: bool = True) -> Callable[[str], str]:
    def read(value: str) -> str:
        if value in values or (extensible and EXT.fullmatch(value)):
            return value
        allowed = ", ".join(sorted(values)) + (" or ext:..." if extensible else "")
        raise CellInvalid(f"{value!r} is not one of {allowed}")

    return read


@dataclass(frozen=True)
class Column:
    name: str
    read: Callable[[str], Any] = text
    required: bool = False
    #: the store column it fills ("" when it fills none directly)
    into: str = ""


def _common() -> list[Column]:
    return [
        Column("sourcedId", required=True, into="sourced_id"),
        Column("status", vocabulary(STATUSES, extensible=False), into="status"),
        Column("dateLastModified", moment, into="date_last_modified"),
    ]


ORGS = [
    *_common(),
    Column("name", required=True, into="name"),
    Column("type", vocabulary(ORG_TYPES), required=True, into="type"),
    Column("identifier", into="identifier"),
    Column("parentSourcedId", into="parent_sourced_id"),
]
ACADEMIC_SESSIONS = [
    *_common(),
    Column("title", required=True, into="title"),
    Column("type", vocabulary(SESSION_TYPES), required=True, into="type"),
    Column("startDate", day, required=True, into="start_date"),
    Column("endDate", day, required=True, into="end_date"),
    Column("parentSourcedId", into="parent_sourced_id"),
    Column("schoolYear", year, required=True, into="school_year"),
]
COURSES = [
    *_common(),
    Column("schoolYearSourcedId", into="school_year_sourced_id"),
    Column("title", required=True, into="title"),
    Column("courseCode", into="course_code"),
    Column("grades", listing, into="grades"),
    Column("orgSourcedId", required=True, into="org_sourced_id"),
    Column("subjects", listing, into="subjects"),
    Column("subjectCodes", listing),
]
CLASSES = [
    *_common(),
    Column("title", required=True, into="title"),
    Column("grades", listing, into="grades"),
    Column("courseSourcedId", required=True, into="course_sourced_id"),
    Column("classCode", into="class_code"),
    Column("classType", vocabulary(CLASS_TYPES), required=True, into="class_type"),
    Column("location", into="location"),
    Column("schoolSourcedId", required=True, into="school_sourced_id"),
    Column("termSourcedIds", listing, required=True, into="term_sourced_ids"),
    Column("subjects", listing, into="subjects"),
    Column("subjectCodes", listing),
    Column("periods", listing, into="periods"),
]
_USER_COMMON = [
    Column("enabledUser", boolean, required=True, into="enabled_user"),
    Column("username", required=True, into="username"),
    Column("userIds", listing),
    Column("givenName", required=True, into="given_name"),
    Column("familyName", required=True, into="family_name"),
    Column("middleName"),
    Column("identifier", into="identifier"),
    Column("email", into="email"),
    Column("sms"),
    Column("phone"),
    Column("agentSourcedIds", listing),
    Column("grades", listing, into="grades"),
    Column("password"),
]
USERS_1_1 = [
    *_common(),
    Column("orgSourcedIds", listing, required=True, into="org_sourced_ids"),
    Column("role", vocabulary(USER_ROLES_1_1), required=True, into="role"),
    *_USER_COMMON,
]
USERS_1_2 = [
    *_common(),
    *_USER_COMMON,
    Column("userMasterIdentifier"),
    Column("resourceSourcedIds", listing),
    Column("preferredGivenName"),
    Column("preferredMiddleName"),
    Column("preferredFamilyName"),
    Column("primaryOrgSourcedId"),
    Column("pronouns"),
]
ROLES_1_2 = [
    *_common(),
    Column("userSourcedId", required=True),
    Column("roleType", vocabulary({"primary", "secondary"}, extensible=False), required=True),
    Column("role", vocabulary(USER_ROLES_1_2), required=True),
    Column("beginDate", day),
    Column("endDate", day),
    Column("orgSourcedId", required=True),
    Column("userProfileSourcedId"),
]
ENROLLMENTS = [
    *_common(),
    Column("classSourcedId", required=True, into="class_sourced_id"),
    Column("schoolSourcedId", required=True, into="school_sourced_id"),
    Column("userSourcedId", required=True, into="user_sourced_id"),
    Column("role", vocabulary(ENROLLMENT_ROLES), required=True, into="role"),
    Column("primary", boolean, into="primary"),
    Column("beginDate", day, into="begin_date"),
    Column("endDate", day, into="end_date"),
]
_LINE_ITEM_COMMON = [
    *_common(),
    Column("title", required=True, into="title"),
    Column("description", into="description"),
    Column("assignDate", day_or_moment, required=True, into="assign_date"),
    Column("dueDate", day_or_moment, required=True, into="due_date"),
    Column("classSourcedId", required=True, into="class_sourced_id"),
    Column("categorySourcedId", required=True, into="category_sourced_id"),
    Column("resultValueMin", number, into="result_value_min"),
    Column("resultValueMax", number, into="result_value_max"),
]
#: 1.1 requires the grading period; 1.2 names an academic session and the school instead
LINE_ITEMS_1_1 = [
    *_LINE_ITEM_COMMON,
    Column("gradingPeriodSourcedId", required=True, into="academic_session_sourced_id"),
]
LINE_ITEMS_1_2 = [
    *_LINE_ITEM_COMMON,
    Column("gradingPeriodSourcedId"),
    Column("academicSessionSourcedId", into="academic_session_sourced_id"),
    Column("schoolSourcedId", into="school_sourced_id"),
]
RESULTS_1_1 = [
    *_common(),
    Column("lineItemSourcedId", required=True, into="line_item_sourced_id"),
    Column("studentSourcedId", required=True, into="student_sourced_id"),
    Column("scoreStatus", vocabulary(SCORE_STATUSES), required=True, into="score_status"),
    Column("score", number, required=True, into="score"),
    Column("scoreDate", day, required=True, into="score_date"),
    Column("comment", into="comment"),
]
RESULTS_1_2 = [
    *_common(),
    Column("lineItemSourcedId", required=True, into="line_item_sourced_id"),
    Column("studentSourcedId", required=True, into="student_sourced_id"),
    Column("scoreStatus", vocabulary(SCORE_STATUSES), required=True, into="score_status"),
    Column("score", number, into="score"),
    Column("textScore", into="text_score"),
    Column("scoreDate", day, required=True, into="score_date"),
    Column("comment", into="comment"),
    Column("classSourcedId", into="class_sourced_id"),
    Column("scoreScaleSourcedId"),
    Column("inProgress", boolean),
    Column("incomplete", boolean),
    Column("late", boolean),
    Column("missing", boolean),
]
_OBJECTIVE_SOURCE = vocabulary({"case", "unknown"}, extensible=False)
LINE_ITEM_OBJECTIVES = [
    *_common(),
    Column("lineItemSourcedId", required=True),
    Column("source", _OBJECTIVE_SOURCE, required=True),
    Column("learningObjectiveId", required=True),
]
RESULT_OBJECTIVES = [
    *_common(),
    Column("resultSourcedId", required=True),
    Column("source", _OBJECTIVE_SOURCE, required=True),
    Column("learningObjectiveId", required=True),
    Column("score", number),
    Column("textScore"),
]

#: file name (without .csv) -> columns, per version, in the order the files are written
FILES: dict[str, dict[str, list[Column]]] = {
    "1.1": {
        "orgs": ORGS,
        "academicSessions": ACADEMIC_SESSIONS,
        "courses": COURSES,
        "classes": CLASSES,
        "users": USERS_1_1,
        "enrollments": ENROLLMENTS,
        "lineItems": LINE_ITEMS_1_1,
        "results": RESULTS_1_1,
    },
    "1.2": {
        "orgs": ORGS,
        "academicSessions": ACADEMIC_SESSIONS,
        "courses": COURSES,
        "classes": CLASSES,
        "users": USERS_1_2,
        "roles": ROLES_1_2,
        "enrollments": ENROLLMENTS,
        "lineItems": LINE_ITEMS_1_2,
        "lineItemLearningObjectiveIds": LINE_ITEM_OBJECTIVES,
        "results": RESULTS_1_2,
        "resultLearningObjectiveIds": RESULT_OBJECTIVES,
    },
}

#: every file name a manifest may declare, per version
MANIFEST_FILES: dict[str, tuple[str, ...]] = {
    "1.1": (
        "academicSessions",
        "categories",
        "classes",
        "classResources",
        "courses",
        "courseResources",
        "demographics",
        "enrollments",
        "lineItems",
        "orgs",
        "resources",
        "results",
        "users",
    ),
    "1.2": (
        "academicSessions",
        "categories",
        "classes",
        "classResources",
        "courses",
        "courseResources",
        "demographics",
        "enrollments",
        "lineItemLearningObjectiveIds",
        "lineItems",
        "lineItemScoreScales",
        "orgs",
        "resources",
        "resultLearningObjectiveIds",
        "results",
        "resultScoreScales",
        "roles",
        "scoreScales",
        "userProfiles",
        "userResources",
        "users",
    ),
}

#: (file, column) -> (file it points into, store collection to look in); checked on import
REFERENCES: dict[tuple[str, str], tuple[str, str]] = {
    ("classes", "courseSourcedId"): ("courses", "courses"),
    ("enrollments", "classSourcedId"): ("classes", "classes"),
    ("enrollments", "userSourcedId"): ("users", "users"),
    ("roles", "userSourcedId"): ("users", "users"),
    ("lineItems", "classSourcedId"): ("classes", "classes"),
    ("results", "lineItemSourcedId"): ("lineItems", "lineItems"),
    ("results", "studentSourcedId"): ("users", "users"),
    ("lineItemLearningObjectiveIds", "lineItemSourcedId"): ("lineItems", "lineItems"),
    ("resultLearningObjectiveIds", "resultSourcedId"): ("results", "results"),
}
