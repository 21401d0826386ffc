"""OneRoster records as typed values: pydantic v2 models mirroring the 1.2 schemas (and 1.1).

Field names are snake_case in Python and the spec's camelCase on the wire (`class` is
`class_`, aliased for reading and writing so type checkers see the Python name).

Reading is lenient, as real SIS are: unknown members are ignored, `""` counts as absent,
1.1's `inactive` status reads as `tobedeleted` (as 1.2 says it must), booleans come as
`true` or `"true"`, and a date-time may be a bare date. Writing is strict and exact: the
booleans 1.2 wants as the strings "true"/"false" are dumped so, dates as `YYYY-MM-DD`,
date-times in UTC with a `Z`, and `None` members are left out (`to_wire`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)
from pydantic.alias_generators import to_camel


def _parse_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
    return value


def _parse_datetime(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("Z") and len(value) > 10:
        return value  # the common form: pydantic reads it natively, faster
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:  # a bare date: midnight UTC
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _parse_date(value: Any) -> Any:
    if isinstance(value, str) and len(value.strip()) > 10:  # a date-time where a date belongs
        return _parse_datetime(value).date()
    return value


def _wire_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


#: a boolean 1.2 carries as the string "true" / "false"
StrBool = Annotated[
    bool,
    BeforeValidator(_parse_bool),
    PlainSerializer(lambda b: "true" if b else "false", return_type=str, when_used="json"),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(_parse_datetime),
    PlainSerializer(_wire_datetime, return_type=str, when_used="json"),
]
Day = Annotated[date, BeforeValidator(_parse_date)]
Status = Literal["active", "tobedeleted"]


class OneRosterModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object to send: camelCase, no `None` members, 1.2's string booleans."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class GuidRef(OneRosterModel):
    """A reference to another record: `{"href": ..., "sourcedId": ..., "type": ...}`."""

    href: str | None = None
    sourced_id: str
    type: str | None = None


class Record(OneRosterModel):
    sourced_id: str
    status: Status = "active"
    date_last_modified: Timestamp | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _as_the_spec_means_it(cls, data: Any) -> Any:
        """`""` and null are absent; 1.1's `inactive` is `tobedeleted` (1.2 §3.1)."""
        if not isinstance(data, dict):
            return data
        values = data.values()
        if "" in values or None in values:  # rare: copy only then (rosters are big)
            data = {k: v for k, v in data.items() if v != "" and v is not None}
        if data.get("status") == "inactive":
            data = {**data, "status": "tobedeleted"}
        return data


# --- rostering -------------------------------------------------------------------------------


class Org(Record):
    name: str = ""
    type: str = ""
    identifier: str = ""
    parent: GuidRef | None = None
    children: list[GuidRef] | None = None


class AcademicSession(Record):
    title: str = ""
    type: str = ""
    start_date: Day | None = None
    end_date: Day | None = None
    parent: GuidRef | None = None
    children: list[GuidRef] | None = None
    school_year: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _year_as_text(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("schoolYear"), int):
            return {**data, "schoolYear": str(data["schoolYear"])}
        return data


class Course(Record):
    title: str = ""
    course_code: str = ""
    school_year: GuidRef | None = None
    org: GuidRef | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None
    subject_codes: list[str] | None = None


class Class(Record):
    title: str = ""
    class_code: str = ""
    class_type: str = ""
    location: str = ""
    course: GuidRef | None = None
    school: GuidRef | None = None
    terms: list[GuidRef] | None = None
    grades: list[str] | None = None
    subjects: list[str] | None = None
    periods: list[str] | None = None


class Role(OneRosterModel):
    """1.2: one of a user's roles at one org."""

    role_type: str = "primary"
    role: str
    org: GuidRef | None = None


class User(Record):
    username: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    identifier: str = ""
    enabled_user: StrBool = True
    #: 1.2: roles with their orgs
    roles: list[Role] | None = None
    primary_org: GuidRef | None = None
    #: 1.1: one role and the orgs
    role: str | None = None
    orgs: list[GuidRef] | None = None
    grades: list[str] | None = None

    @property
    def primary_role(self) -> str:
        if self.roles:
            primary = [r for r in self.roles if r.role_type == "primary"] or self.roles
            return primary[0].role
        return self.role or ""

    @property
    def org_sourced_ids(self) -> list[str]:
        if self.roles:
            return list(dict.fromkeys(r.org.sourced_id for r in self.roles if r.org))
        return [o.sourced_id for o in self.orgs or []]


class Enrollment(Record):
    user: GuidRef
    class_: GuidRef = Field(validation_alias=AliasChoices("class", "class_"), serialization_alias="class")
    school: GuidRef | None = None
    role: str = ""
    primary: StrBool | None = None
    begin_date: Day | None = None
    end_date: Day | None = None


class Demographics(Record):
    """A user's demographics; `sourced_id` is the user's. Races are 1.2's string booleans."""

    birth_date: Day | None = None
    sex: str = ""
    american_indian_or_alaska_native: StrBool | None = None
    asian: StrBool | None = None
    black_or_african_american: StrBool | None = None
    native_hawaiian_or_other_pacific_islander: StrBool | None = None
    white: StrBool | None = None
    demographic_race_two_or_more_races: StrBool | None = None
    hispanic_or_latino_ethnicity: StrBool | None = None


# --- gradebook -------------------------------------------------------------------------------


class LearningObjectiveSet(OneRosterModel):
    """1.2 line item: the learning objectives (e.g. CASE items) a line item assesses."""

    source: str
    learning_objective_ids: list[str]


class LearningObjectiveResult(OneRosterModel):
    learning_objective_id: str
    score: float | None = None
    text_score: str | None = None


class LearningObjectiveScoreSet(OneRosterModel):
    """1.2 result: a score per learning objective, from one source (`case` or `unknown`)."""

    source: str
    learning_objective_results: list[LearningObjectiveResult]


class Category(Record):
    title: str = ""
    weight: float | None = None


class LineItem(Record):
    title: str = ""
    description: str | None = None
    assign_date: Timestamp | None = None
    due_date: Timestamp | None = None
    class_: GuidRef | None = Field(
        default=None, validation_alias=AliasChoices("class", "class_"), serialization_alias="class"
    )
    school: GuidRef | None = None
    category: GuidRef | None = None
    grading_period: GuidRef | None = None
    academic_session: GuidRef | None = None
    result_value_min: float | None = None
    result_value_max: float | None = None
    learning_objective_set: list[LearningObjectiveSet] | None = None


class Result(Record):
    line_item: GuidRef
    student: GuidRef = Field(validation_alias=AliasChoices("student", "user"))
    class_: GuidRef | None = Field(
        default=None, validation_alias=AliasChoices("class", "class_"), serialization_alias="class"
    )
    score_status: str = ""
    score: float | None = None
    text_score: str | None = None
    score_date: Day | None = None
    comment: str | None = None
    learning_objective_set: list[LearningObjectiveScoreSet] | None = None
    in_progress: StrBool | None = None
    incomplete: StrBool | None = None
    late: StrBool | None = None
    missing: StrBool | None = None


ROSTER_MODELS: dict[str, type[Record]] = {
    "orgs": Org,
    "academicSessions": AcademicSession,
    "courses": Course,
    "classes": Class,
    "users": User,
    "enrollments": Enrollment,
    "demographics": Demographics,
}
