"""OneRoster records (REST, either version) as the rows `store.sis_roster` upserts.

One function per collection, each a plain mapping from the typed model to column values, so
the roster sync and the gradebook read store the same thing whichever version answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.oneroster.models import (
    AcademicSession,
    Class,
    Course,
    Demographics,
    Enrollment,
    GuidRef,
    LineItem,
    Org,
    Record,
    Result,
    User,
)

Row = dict[str, Any]


def _id(ref: GuidRef | None) -> str | None:
    return ref.sourced_id if ref is not None else None


def _common(record: Record) -> Row:
    return {
        "sourced_id": record.sourced_id,
        "status": record.status,
        "date_last_modified": record.date_last_modified,
    }


def org_row(org: Org) -> Row:
    return {
        **_common(org),
        "name": org.name,
        "type": org.type,
        "identifier": org.identifier,
        "parent_sourced_id": _id(org.parent),
    }


def academic_session_row(session: AcademicSession) -> Row:
    return {
        **_common(session),
        "title": session.title,
        "type": session.type,
        "start_date": session.start_date,
        "end_date": session.end_date,
        "parent_sourced_id": _id(session.parent),
        "school_year": session.school_year or "",
    }


def course_row(course: Course) -> Row:
    return {
        **_common(course),
        "title": course.title,
        "course_code": course.course_code,
        "school_year_sourced_id": _id(course.school_year),
        "org_sourced_id": _id(course.org),
        "grades": list(course.grades or []),
        "subjects": list(course.subjects or []),
    }


def class_row(klass: Class) -> Row:
    return {
        **_common(klass),
        "title": klass.title,
        "class_code": klass.class_code,
        "class_type": klass.class_type,
        "location": klass.location,
        "course_sourced_id": _id(klass.course),
        "school_sourced_id": _id(klass.school),
        "term_sourced_ids": [t.sourced_id for t in klass.terms or []],
        "grades": list(klass.grades or []),
        "subjects": list(klass.subjects or []),
        "periods": list(klass.periods or []),
    }


def user_row(user: User) -> Row:
    roles = [{"role": r.role, "roleType": r.role_type, "org": _id(r.org)} for r in user.roles or []]
    if not roles and user.role:
        roles = [{"role": user.role, "roleType": "primary", "org": o} for o in user.org_sourced_ids]
    return {
        **_common(user),
        "username": user.username,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "identifier": user.identifier,
        "enabled_user": user.enabled_user,
        "role": user.primary_role,
        "roles": roles,
        "org_sourced_ids": user.org_sourced_ids,
        "grades": list(user.grades or []),
    }


def enrollment_row(enrollment: Enrollment) -> Row:
    return {
        **_common(enrollment),
        "class_sourced_id": enrollment.class_.sourced_id,
        "user_sourced_id": enrollment.user.sourced_id,
        "school_sourced_id": _id(enrollment.school),
        "role": enrollment.role,
        "primary": bool(enrollment.primary),
        "begin_date": enrollment.begin_date,
        "end_date": enrollment.end_date,
    }


def demographics_row(demographics: Demographics) -> Row:
    return {
        **_common(demographics),
        "birth_date": demographics.birth_date,
        "sex": demographics.sex,
        "american_indian_or_alaska_native": demographics.american_indian_or_alaska_native,
        "asian": demographics.asian,
        "black_or_african_american": demographics.black_or_african_american,
        "native_hawaiian_or_other_pacific_islander": demographics.native_hawaiian_or_other_pacific_islander,
        "white": demographics.white,
        "two_or_more_races": demographics.demographic_race_two_or_more_races,
        "hispanic_or_latino_ethnicity": demographics.hispanic_or_latino_ethnicity,
    }


def line_item_row(item: LineItem) -> Row:
    return {
        **_common(item),
        "title": item.title,
        "description": item.description or "",
        "class_sourced_id": _id(item.class_) or "",
        "category_sourced_id": _id(item.category),
        "school_sourced_id": _id(item.school),
        "academic_session_sourced_id": _id(item.academic_session) or _id(item.grading_period),
        "assign_date": item.assign_date.date() if item.assign_date else None,
        "due_date": item.due_date.date() if item.due_date else None,
        "result_value_min": item.result_value_min,
        "result_value_max": item.result_value_max,
        "learning_objectives": [s.to_wire() for s in item.learning_objective_set or []] or None,
    }


def result_row(result: Result) -> Row:
    objectives = [
        {"source": s.source, **r.to_wire()}
        for s in result.learning_objective_set or []
        for r in s.learning_objective_results
    ]
    return {
        **_common(result),
        "line_item_sourced_id": result.line_item.sourced_id,
        "student_sourced_id": result.student.sourced_id,
        "class_sourced_id": _id(result.class_),
        "score_status": result.score_status,
        "score": result.score,
        "text_score": result.text_score,
        "score_date": result.score_date,
        "comment": result.comment or "",
        "learning_objectives": objectives or None,
    }


ROW_OF: dict[str, Callable[[Any], Row]] = {
    "orgs": org_row,
    "academicSessions": academic_session_row,
    "courses": course_row,
    "classes": class_row,
    "users": user_row,
    "enrollments": enrollment_row,
    "demographics": demographics_row,
    "lineItems": line_item_row,
    "results": result_row,
}
