"""Standings as Moodle competency ratings in the course.

The framework becomes a competency framework (found by idnumber = our framework code), each
item a competency (idnumber = our code), linked to the course; each student is rated with
`core_competency_grade_competency_in_course`, the one-line explanation as the evidence note.

Moodle rates on a scale's items, never decimals, and has no web service that makes a scale:
an admin makes one with an item per level (lowest first) under Grades > Scales and names it
once (`pbridge native push --course ID --moodle-scale-id N`, which keeps it for the platform);
after that the framework carries it. A
standing between levels is rated at the level it rounds to (half up); the note says the exact
value. Ledger kind `moodle_competency`, confirmed with the evidence's own time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bridge.context import Bridge
from bridge.lms_api.connection import CourseApi
from bridge.lms_api.moodle import MoodleClient
from bridge.native.wanted import NativeItem, NativeStanding, nearest_level
from bridge.outcome import CourseOutcome, Problem
from mappings.scale import Scale
from pbridge.errors import PlatformError, ProficiencyBridgeError
from store.write_ledger import (
    Intent,
    WriteKey,
    confirm_writes,
    drop_intents,
    ledger,
    payload_hash,
    record_intents,
)

KIND = "moodle_competency"
FUNCTIONS = {
    "core_competency_get_scale_values": "checking the scale matches the levels",
    "core_competency_list_competency_frameworks": "finding the framework",
    "core_competency_create_competency_framework": "mirroring the framework",
    "core_competency_list_competencies": "finding competencies",
    "core_competency_create_competency": "mirroring indicators and standards",
    "core_competency_add_competency_to_course": "linking them to the course",
    "core_competency_list_course_competencies": "finding the course's competencies",
    "core_competency_grade_competency_in_course": "rating students",
}


class MoodleScaleNeeded(ProficiencyBridgeError):
    """No Moodle scale is known for a framework's levels; an admin must name one."""


def scale_configuration(scale_id: str, scale: Scale) -> str:
    """Moodle's JSON: the lowest item is the default; items at or above "meets" are proficient."""
    entries: list[dict[str, Any]] = [{"scaleid": scale_id}]
    for position, level in enumerate(scale.levels, start=1):
        entries.append(
            {
                "id": position,
                "scaledefault": int(position == 1),
                "proficient": int(level.value >= scale.meets),
            }
        )
    return json.dumps(entries)


def naming_command(course_id: int) -> str:
    return f"`pbridge native push --course {course_id} --moodle-scale-id N`"


def _check_scale(client: MoodleClient, scale_id: str, scale: Scale, course_id: int) -> None:
    values = client.call("core_competency_get_scale_values", scaleid=scale_id)
    if len(values) != len(scale.levels):
        raise MoodleScaleNeeded(
            f"Moodle scale {scale_id} has {len(values)} items but the framework has {len(scale.levels)} "
            f"levels ({', '.join(level.label for level in scale.levels)}); make a scale with one item "
            f"per level, lowest first, and name that one with {naming_command(course_id)}"
        )


def mirror_competencies(
    client: MoodleClient, api: CourseApi, items: list[NativeItem], *, scale_id: str | None
) -> dict[str, tuple[str, Scale]]:
    """Our code -> (Moodle competency id, scale), frameworks and competencies made where missing."""
    course = api.lms_course_id
    found: dict[str, tuple[str, Scale]] = {}
    by_framework: dict[str, list[NativeItem]] = {}
    for item in items:
        by_framework.setdefault(item.framework_code, []).append(item)
    linked = {
        str(c["competency"]["id"]) for c in client.call("core_competency_list_course_competencies", id=course)
    }
    for code, group in by_framework.items():
        head = group[0]
        frameworks = client.call(
            "core_competency_list_competency_frameworks", query=code, **{"context[contextid]": 1}
        )
        framework = next((f for f in frameworks if f.get("idnumber") == code), None)
        if framework is None:
            if scale_id is None:
                raise MoodleScaleNeeded(
                    f"framework {code} is not in Moodle yet and no Moodle scale was named for its levels: an "
                    "admin makes a scale with one item per level, lowest first (Grades > Scales), "
                    f"and names it once with {naming_command(api.course_id)}"
                )
            _check_scale(client, scale_id, head.scale, api.course_id)
            framework = client.call(
                "core_competency_create_competency_framework",
                **{
                    "competencyframework[shortname]": (head.framework_title or code)[:100],
                    "competencyframework[idnumber]": code,
                    "competencyframework[scaleid]": scale_id,
                    "competencyframework[scaleconfiguration]": scale_configuration(scale_id, head.scale),
                    "competencyframework[contextid]": 1,
                },
            )
        framework_id = str(framework["id"])
        existing = {
            str(c["idnumber"]): str(c["id"])
            for c in client.call(
                "core_competency_list_competencies",
                **{"filters[0][column]": "competencyframeworkid", "filters[0][value]": framework_id},
            )
        }
        for item in group:
            competency_id = existing.get(item.code)
            if competency_id is None:
                made = client.call(
                    "core_competency_create_competency",
                    **{
                        "competency[shortname]": f"{item.code} {item.title}"[:100],
                        "competency[idnumber]": item.code,
                        "competency[description]": item.title,
                        "competency[competencyframeworkid]": framework_id,
                    },
                )
                competency_id = str(made["id"])
            if competency_id not in linked:
                client.call(
                    "core_competency_add_competency_to_course", courseid=course, competencyid=competency_id
                )
                linked.add(competency_id)
            found[item.code] = (competency_id, item.scale)
    return found


def push_moodle(
    bridge: Bridge,
    api: CourseApi,
    client: MoodleClient,
    items: list[NativeItem],
    standings: list[NativeStanding],
    users: dict[int, str],
    outcome: CourseOutcome,
    *,
    scale_id: str | None = None,
) -> None:
    course = api.lms_course_id
    competencies = mirror_competencies(client, api, items, scale_id=scale_id)
    planned: list[tuple[Intent, str, int, str]] = []
    for standing in standings:
        subject = users.get(standing.student_id)
        if standing.code not in competencies or subject is None or standing.value is None:
            continue
        competency_id, scale = competencies[standing.code]
        level = nearest_level(scale, standing.value)
        grade = scale.levels.index(level) + 1
        digest = payload_hash({"grade": grade, "note": standing.summary})
        key = WriteKey(KIND, f"{api.base_url}/course/{course}/competency/{competency_id}", subject)
        planned.append((Intent(key, str(level.value), digest), competency_id, grade, standing.summary))
    with bridge.database.begin() as session:
        recorded = ledger(session, [p[0].key for p in planned])
    todo = []
    for plan in planned:
        entry = recorded.get(plan[0].key)
        if entry is not None and entry.payload_hash == plan[0].digest and entry.pending_hash is None:
            outcome.skipped += 1
        else:
            todo.append(plan)
    if not todo:
        return
    with bridge.database.begin() as session:
        record_intents(session, [p[0] for p in todo])
    for intent, competency_id, grade, note in todo:
        try:
            evidence = client.call(
                "core_competency_grade_competency_in_course",
                courseid=course,
                userid=intent.key.subject,
                competencyid=competency_id,
                grade=grade,
                note=note[:1000],
            )
        except PlatformError as error:
            outcome.failed += 1
            outcome.problems.append(
                Problem.of(f"the rating of user {intent.key.subject} on {competency_id}", error)
            )
            with bridge.database.begin() as session:
                drop_intents(session, [intent.key])
            continue
        at = datetime.fromtimestamp(int(evidence.get("timecreated") or 0), UTC)
        with bridge.database.begin() as session:
            confirm_writes(session, [intent], at=at)
        outcome.written += 1
