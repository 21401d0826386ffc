"""Moodle's competency web services: frameworks, competencies, course links, ratings in a course.

    core_competency_get_scale_values                 scaleid
    core_competency_list_competency_frameworks       context[contextid], query, ...
    core_competency_create_competency_framework      competencyframework[shortname|idnumber|scaleid|
                                                         scaleconfiguration|contextid|description]
    core_competency_list_competencies                filters[0][column]=..&filters[0][value]=..
    core_competency_create_competency                competency[shortname|idnumber|competencyframeworkid|...]
    core_competency_add_competency_to_course         courseid, competencyid
    core_competency_list_course_competencies         id
    core_competency_grade_competency_in_course       courseid, userid, competencyid, grade, note
    tool_lp_data_for_user_competency_summary_in_course   userid, competencyid, courseid

As in Moodle: answers are HTTP 200 even for errors; making frameworks and competencies needs
`moodle/competency:competencymanage` (an administrator here); linking to a course and rating
need a teacher of the course; a rating is a scale item's position (1 = the first item), never
a decimal; the scale configuration names the default and proficient items; there is no web
service that makes a scale (an admin makes it under Grades > Scales). The functions join
`moodle_ws`'s dispatch table, so tokens, errors and parameters behave as in the rest of it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint
from werkzeug.datastructures import MultiDict

from sandbox import moodle_ws
from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.lms_api_access import MOODLE_FUNCTIONS, MoodleToken
from sandbox.moodle_ws import MoodleException
from sandbox.native_grades import can_read_grades, learners
from sandbox.native_outcomes import Competency, Framework, UserCompetencyCourse, native_outcomes

SYSTEM_CONTEXT = "1"


def _invalid(detail: str) -> MoodleException:
    return MoodleException(
        "invalid_parameter_exception", "invalidparameter", "Invalid parameter value detected", detail
    )


def _required(values: MultiDict[str, str], name: str) -> str:
    raw = values.get(name)
    if raw is None or raw == "":
        raise _invalid(
            f"{name} => Invalid parameter value detected: Missing required key in single structure: {name}"
        )
    return raw


def _int(values: MultiDict[str, str], name: str) -> str:
    raw = _required(values, name)
    if not raw.lstrip("-").isdigit():
        raise _invalid(
            f'{name} => Invalid parameter value detected: the value is "{raw}", the server was '
            'expecting "int" type'
        )
    return raw


def _no_permission(capability: str) -> MoodleException:
    return MoodleException(
        "required_capability_exception",
        "nopermissions",
        "Sorry, but you do not currently have permissions to do that.",
        capability,
    )


def _manager(token: MoodleToken) -> None:
    if not current_state().users[token.user_id].is_admin:
        raise _no_permission("moodle/competency:competencymanage")


def _teacher(token: MoodleToken, course_id: str, capability: str) -> None:
    state = current_state()
    if course_id not in state.courses:
        raise MoodleException(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table course.",
        )
    if not can_read_grades(state, token.user_id, course_id):
        raise _no_permission(capability)


def _framework_json(framework: Framework) -> dict[str, Any]:
    store = native_outcomes(current_state())
    return {
        "id": int(framework.id),
        "shortname": framework.shortname,
        "idnumber": framework.idnumber,
        "description": framework.description,
        "descriptionformat": 1,
        "visible": framework.visible,
        "scaleid": int(framework.scaleid),
        "scaleconfiguration": framework.scaleconfiguration,
        "contextid": int(framework.contextid),
        "taxonomies": "",
        "timecreated": 0,
        "timemodified": 0,
        "usermodified": 2,
        "canmanage": True,
        "competenciescount": sum(1 for c in store.competencies.values() if c.framework_id == framework.id),
    }


def _competency_json(competency: Competency) -> dict[str, Any]:
    return {
        "id": int(competency.id),
        "shortname": competency.shortname,
        "idnumber": competency.idnumber,
        "description": competency.description,
        "descriptionformat": 1,
        "sortorder": 0,
        "parentid": int(competency.parent_id),
        "path": f"/0/{competency.parent_id}/" if competency.parent_id != "0" else "/0/",
        "ruleoutcome": 0,
        "ruletype": None,
        "ruleconfig": None,
        "scaleid": None,
        "scaleconfiguration": None,
        "competencyframeworkid": int(competency.framework_id),
        "timecreated": 0,
        "timemodified": 0,
        "usermodified": 2,
    }


# scales and frameworks ----------------------------------------------------------------------


def get_scale_values(token: MoodleToken, values: MultiDict[str, str]) -> list[dict[str, Any]]:
    scale_id = _int(values, "scaleid")
    scale = native_outcomes(current_state()).scales.get(scale_id)
    if scale is None:
        raise MoodleException(
            "dml_missing_record_exception", "invalidrecord", "Can't find data record in database table scale."
        )
    return [{"id": index, "name": name} for index, name in enumerate(scale[1], start=1)]


def list_frameworks(token: MoodleToken, values: MultiDict[str, str]) -> list[dict[str, Any]]:
    query = (values.get("query") or "").lower()
    store = native_outcomes(current_state())
    found = [
        f
        for f in store.frameworks.values()
        if not query or query in f.shortname.lower() or query in f.idnumber.lower()
    ]
    return [_framework_json(f) for f in sorted(found, key=lambda f: int(f.id))]


def _scale_configuration(raw: str, scale_id: str, items: int) -> str:
    """Moodle's check: `[{"scaleid": N}, {"id": i, "scaledefault": 0|1, "proficient": 0|1}, ...]`."""
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise _invalid("scaleconfiguration is not JSON") from None
    if not isinstance(parsed, list) or not parsed or str(parsed[0].get("scaleid")) != scale_id:
        raise _invalid('scaleconfiguration must start with {"scaleid": <the framework\'s scale>}')
    entries = parsed[1:]
    if any(not 1 <= int(e.get("id", 0)) <= items for e in entries):
        raise _invalid("scaleconfiguration names an item the scale does not have")
    if not any(e.get("scaledefault") for e in entries) or not any(e.get("proficient") for e in entries):
        raise MoodleException(
            "invalid_persistent_exception",
            "invalidpersistent",
            "Invalid data: the scale needs a default value and at least one proficient value",
        )
    return raw


def create_framework(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    _manager(token)
    prefix = "competencyframework"
    shortname = _required(values, f"{prefix}[shortname]")
    idnumber = _required(values, f"{prefix}[idnumber]")
    scale_id = _int(values, f"{prefix}[scaleid]")
    store = native_outcomes(current_state())
    scale = store.scales.get(scale_id)
    if scale is None:
        raise _invalid(f"{prefix}[scaleid] {scale_id} is not a scale of this site")
    configuration = _scale_configuration(
        _required(values, f"{prefix}[scaleconfiguration]"), scale_id, len(scale[1])
    )
    with store.lock:
        if any(f.idnumber == idnumber for f in store.frameworks.values()):
            raise MoodleException(
                "invalid_persistent_exception",
                "invalidpersistent",
                "Invalid data: idnumber - ID number already in use",
            )
        framework = Framework(
            store.next_id(),
            shortname,
            idnumber,
            values.get(f"{prefix}[description]", ""),
            scale_id,
            configuration,
            values.get(f"{prefix}[contextid]", SYSTEM_CONTEXT),
        )
        store.frameworks[framework.id] = framework
    return _framework_json(framework)


# competencies --------------------------------------------------------------------------------


def list_competencies(token: MoodleToken, values: MultiDict[str, str]) -> list[dict[str, Any]]:
    filters: dict[str, str] = {}
    index = 0
    while f"filters[{index}][column]" in values:
        filters[values[f"filters[{index}][column]"]] = values.get(f"filters[{index}][value]", "")
        index += 1
    allowed = {"id", "shortname", "idnumber", "competencyframeworkid", "parentid"}
    unknown = set(filters) - allowed
    if unknown:
        raise _invalid(f"filters: unknown column {sorted(unknown)[0]}")
    store = native_outcomes(current_state())
    rows = [_competency_json(c) for c in store.competencies.values()]
    return [r for r in rows if all(str(r[k]) == v for k, v in filters.items())]


def create_competency(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    _manager(token)
    prefix = "competency"
    shortname = _required(values, f"{prefix}[shortname]")
    idnumber = _required(values, f"{prefix}[idnumber]")
    framework_id = _int(values, f"{prefix}[competencyframeworkid]")
    store = native_outcomes(current_state())
    if framework_id not in store.frameworks:
        raise MoodleException(
            "invalid_persistent_exception",
            "invalidpersistent",
            "Invalid data: competencyframeworkid - invalid",
        )
    parent = values.get(f"{prefix}[parentid]", "0") or "0"
    with store.lock:
        if any(
            c.framework_id == framework_id and c.idnumber == idnumber for c in store.competencies.values()
        ):
            raise MoodleException(
                "invalid_persistent_exception",
                "invalidpersistent",
                "Invalid data: idnumber - ID number already in use",
            )
        competency = Competency(
            store.next_id(),
            framework_id,
            shortname,
            idnumber,
            values.get(f"{prefix}[description]", ""),
            parent,
        )
        store.competencies[competency.id] = competency
    return _competency_json(competency)


def _competency(competency_id: str) -> Competency:
    found = native_outcomes(current_state()).competencies.get(competency_id)
    if found is None:
        raise MoodleException(
            "dml_missing_record_exception",
            "invalidrecord",
            "Can't find data record in database table competency.",
        )
    return found


def add_to_course(token: MoodleToken, values: MultiDict[str, str]) -> bool:
    course_id = _int(values, "courseid")
    _teacher(token, course_id, "moodle/competency:coursecompetencymanage")
    competency = _competency(_int(values, "competencyid"))
    store = native_outcomes(current_state())
    with store.lock:
        linked = store.course_competencies.setdefault(course_id, [])
        if competency.id not in linked:
            linked.append(competency.id)
    return True


def list_course_competencies(token: MoodleToken, values: MultiDict[str, str]) -> list[dict[str, Any]]:
    course_id = _int(values, "id")
    _teacher(token, course_id, "moodle/competency:coursecompetencyview")
    store = native_outcomes(current_state())
    return [
        {
            "competency": _competency_json(store.competencies[cid]),
            "coursecompetency": {
                "id": index,
                "courseid": int(course_id),
                "competencyid": int(cid),
                "ruleoutcome": 0,
                "sortorder": index,
            },
        }
        for index, cid in enumerate(store.course_competencies.get(course_id, []), start=1)
    ]


# ratings -------------------------------------------------------------------------------------


def _scale_of(competency: Competency) -> tuple[tuple[str, ...], set[int]]:
    store = native_outcomes(current_state())
    framework = store.frameworks[competency.framework_id]
    entries = json.loads(framework.scaleconfiguration)[1:]
    return store.scales[framework.scaleid][1], {int(e["id"]) for e in entries if e.get("proficient")}


def grade_in_course(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    course_id = _int(values, "courseid")
    _teacher(token, course_id, "moodle/competency:competencygrade")
    user_id = _int(values, "userid")
    competency = _competency(_int(values, "competencyid"))
    grade = int(_int(values, "grade"))
    state = current_state()
    store = native_outcomes(state)
    if competency.id not in store.course_competencies.get(course_id, []):
        raise MoodleException(
            "coding_exception",
            "codingerror",
            "Coding error detected, it must be fixed by a programmer: "
            "The competency does not belong to this course",
        )
    if user_id not in {p.id for p in learners(state, course_id)}:
        raise MoodleException(
            "coding_exception",
            "codingerror",
            "Coding error detected, it must be fixed by a programmer: The user is not enrolled in the course",
        )
    items, proficient = _scale_of(competency)
    if not 1 <= grade <= len(items):
        raise MoodleException(
            "coding_exception",
            "codingerror",
            "Coding error detected, it must be fixed by a programmer: The grade value is not in the scale",
        )
    now = int(time.time())
    note = values.get("note", "")
    with store.lock:
        key = (course_id, user_id, competency.id)
        record = store.user_competencies.get(key) or UserCompetencyCourse(
            course_id, user_id, competency.id, None, None, now
        )
        record.grade = grade
        record.proficiency = grade in proficient
        record.timemodified = now
        evidence = {
            "id": store.next_id(),
            "action": 3,
            "grade": grade,
            "gradename": items[grade - 1],
            "note": note,
            "timecreated": now,
        }
        record.evidence.append(evidence)
        store.user_competencies[key] = record
    return {
        "id": int(evidence["id"]),
        "usercompetencyid": int(competency.id),
        "action": 3,
        "actionuserid": int(token.user_id),
        "descidentifier": "evidence_manualoverrideincourse",
        "desccomponent": "core_competency",
        "grade": grade,
        "gradename": items[grade - 1],
        "note": note,
        "timecreated": now,
        "timemodified": now,
    }


def user_competency_summary_in_course(token: MoodleToken, values: MultiDict[str, str]) -> dict[str, Any]:
    course_id = _int(values, "courseid")
    user_id = _int(values, "userid")
    state = current_state()
    if token.user_id != user_id:
        _teacher(token, course_id, "moodle/competency:usercompetencyview")
    competency = _competency(_int(values, "competencyid"))
    items, _ = _scale_of(competency)
    record = native_outcomes(state).user_competencies.get((course_id, user_id, competency.id))
    course_record = {
        "userid": int(user_id),
        "courseid": int(course_id),
        "competencyid": int(competency.id),
        "grade": record.grade if record else None,
        "gradename": items[record.grade - 1] if record and record.grade else "-",
        "proficiency": record.proficiency if record else None,
        "proficiencyname": ("Yes" if record.proficiency else "No") if record and record.grade else "-",
        "timemodified": record.timemodified if record else 0,
    }
    return {
        "usercompetencysummary": {
            "competency": {"competency": _competency_json(competency)},
            "usercompetencycourse": course_record,
            "evidence": list(reversed(record.evidence)) if record else [],
        },
        "course": {"id": int(course_id), "fullname": state.courses[course_id].title},
    }


COMPETENCY_FUNCTIONS = {
    "core_competency_get_scale_values": get_scale_values,
    "core_competency_list_competency_frameworks": list_frameworks,
    "core_competency_create_competency_framework": create_framework,
    "core_competency_list_competencies": list_competencies,
    "core_competency_create_competency": create_competency,
    "core_competency_add_competency_to_course": add_to_course,
    "core_competency_list_course_competencies": list_course_competencies,
    "core_competency_grade_competency_in_course": grade_in_course,
    "tool_lp_data_for_user_competency_summary_in_course": user_competency_summary_in_course,
}
#: a token for a service with the assignment functions and these (what an admin would add)
WITH_COMPETENCIES = (*MOODLE_FUNCTIONS, *COMPETENCY_FUNCTIONS)


def blueprint(flavour: Flavour) -> Blueprint:
    """Adds the competency functions to Moodle's one web-service endpoint (no routes of its own)."""
    moodle_ws.FUNCTIONS.update(COMPETENCY_FUNCTIONS)
    return Blueprint("moodle_competencies", __name__)
