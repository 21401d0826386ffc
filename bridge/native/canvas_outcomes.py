"""Standings as Canvas outcome results: outcomes, one rubric per column, rubric assessments.

Canvas has no API that writes an outcome result: one is created when a rubric criterion
aligned to an outcome is assessed on an assignment. So, per course:

1. the framework's items become outcomes in an outcome group of the course (group found by
   `vendor_guid` `pbridge:<framework code>`, outcomes by `vendor_guid` = our code: never
   duplicated), with the scale's levels as ratings, "meets" as mastery points and the
   calculation method "latest" (the standing already is the calculation);
2. the tool's own column for the item (the AGS line item the write-back made, an external
   tool assignment in Canvas) gets a rubric "Proficiency Bridge: <code>" with one criterion
   aligned to the item's outcome;
3. each student's standing is posted as that criterion's points through the Submissions
   API, with the one-line explanation as the comment.

Writes go through the write ledger (kind `canvas_outcome`): intent before, confirmation only
once Canvas's own outcome results show the score, dated as Canvas dated it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from bridge.context import Bridge
from bridge.http import response_text
from bridge.lms_api.canvas import CanvasClient, refusal
from bridge.lms_api.connection import CourseApi
from bridge.native.sis_results import native_score
from bridge.native.wanted import NativeItem, NativeStanding
from bridge.outcome import CourseOutcome, Problem
from bridge.paging import next_link
from bridge.writeback import Column
from mappings.scale import Scale
from pbridge.errors import PlatformError
from store.write_ledger import (
    Intent,
    WriteKey,
    confirm_writes,
    drop_intents,
    ledger,
    payload_hash,
    record_intents,
)

KIND = "canvas_outcome"
RUBRIC_PREFIX = "Proficiency Bridge: "


def request(client: CanvasClient, method: str, path: str, *, body: Any = None, params: Any = None) -> Any:
    """One Canvas REST call acting as the client's token (renewed once when Canvas refuses it)."""
    url = path if path.startswith("http") else f"{client.base_url}/api/v1{path}"
    renewed = False
    while True:
        response = client.http.request(
            method,
            url,
            params=params,
            json=body,
            headers={"Authorization": f"Bearer {client.tokens.bearer()}", "Accept": "application/json"},
            expected=(200, 201, 401),
        )
        if response.status_code != 401:
            return response
        said = response_text(response)
        if "invalid access token" in said.lower() and not renewed and client.tokens.renew():
            renewed = True
            continue
        raise refusal(said, scope=scope_of(method, url.split("?")[0]), url=url.split("?")[0])


#: the placeholder Canvas's scope names put after each resource, e.g. `:course_id`
_PLACEHOLDERS = {
    "courses": ":course_id",
    "accounts": ":account_id",
    "assignments": ":assignment_id",
    "submissions": ":user_id",
}


def scope_of(method: str, url: str) -> str:
    """The Canvas scope a call needs, e.g. `url:GET|/api/v1/courses/:course_id/rubrics/:id`."""
    path = url[url.index("/api/v1") :] if "/api/v1" in url else url
    parts = path.split("/")
    named = [
        _PLACEHOLDERS.get(parts[i - 1], ":id") if i > 0 and part.isdigit() else part
        for i, part in enumerate(parts)
    ]
    return f"url:{method}|{'/'.join(named)}"


def pages(
    client: CanvasClient, path: str, params: list[tuple[str, str]], key: str | None = None
) -> list[Any]:
    """Every item of a paged list (a JSON list, or the list under `key`)."""
    found: list[Any] = []
    url: str | None = f"{client.base_url}/api/v1{path}"
    query: list[tuple[str, str]] | None = [*params, ("per_page", "100")]
    while url is not None:
        response: httpx.Response = request(client, "GET", url, params=query)
        body = response.json()
        found.extend(body[key] if key else body)
        url, query = next_link(response.headers.get("Link")), None
    return found


def ratings(scale: Scale) -> list[dict[str, Any]]:
    return [{"description": level.label, "points": float(level.value)} for level in reversed(scale.levels)]


@dataclass(frozen=True)
class Mirrored:
    """Where one item lives in Canvas."""

    outcome_id: str
    assignment_id: str
    criterion_id: str


def _group(client: CanvasClient, base: str, item: NativeItem) -> str:
    root = request(client, "GET", f"{base}/root_outcome_group").json()
    guid = f"pbridge:{item.framework_code}"
    for group in pages(client, f"{base}/outcome_groups/{root['id']}/subgroups", []):
        if group.get("vendor_guid") == guid:
            return str(group["id"])
    made = request(
        client,
        "POST",
        f"{base}/outcome_groups/{root['id']}/subgroups",
        body={"title": item.framework_title or item.framework_code, "vendor_guid": guid},
    ).json()
    return str(made["id"])


def mirror_outcomes(client: CanvasClient, base: str, items: list[NativeItem]) -> dict[str, str]:
    """Our code -> Canvas outcome id, made where missing (found by vendor_guid first)."""
    found: dict[str, str] = {}
    by_group: dict[str, list[NativeItem]] = {}
    for item in items:
        by_group.setdefault(_group(client, base, item), []).append(item)
    for group_id, group_items in by_group.items():
        links = pages(client, f"{base}/outcome_groups/{group_id}/outcomes", [("outcome_style", "full")])
        existing = {
            str(link["outcome"].get("vendor_guid") or ""): str(link["outcome"]["id"]) for link in links
        }
        for item in group_items:
            if item.code in existing:
                found[item.code] = existing[item.code]
                continue
            made = request(
                client,
                "POST",
                f"{base}/outcome_groups/{group_id}/outcomes",
                body={
                    "title": f"{item.code} {item.title}"[:250],
                    "display_name": item.code,
                    "description": item.title,
                    "vendor_guid": item.code,
                    "ratings": ratings(item.scale),
                    "mastery_points": float(item.scale.meets),
                    "calculation_method": "latest",
                },
            ).json()
            found[item.code] = str(made["outcome"]["id"])
    return found


def _host_assignments(client: CanvasClient, course: str, items: list[NativeItem]) -> dict[str, str]:
    """Our code -> the Canvas assignment behind the tool's column for it (matched by its label)."""
    maximum = Decimal(0)
    labels = {Column(i.code, i.title, maximum, i.kind, 0).label: i.code for i in items}
    return {
        labels[a.title]: a.id for a in client.assignments(course) if a.external_tool and a.title in labels
    }


def _rubrics(
    client: CanvasClient, course: str, outcomes: dict[str, str], hosts: dict[str, str]
) -> dict[str, Mirrored]:
    """Our rubric per column: kept when it still hangs on the column and grades the outcome, else made."""
    found: dict[str, Mirrored] = {}
    base = f"/courses/{course}"
    for rubric in pages(client, f"{base}/rubrics", []):
        code = str(rubric.get("title") or "").removeprefix(RUBRIC_PREFIX)
        if not str(rubric.get("title") or "").startswith(RUBRIC_PREFIX) or code not in hosts:
            continue
        shown = request(
            client, "GET", f"{base}/rubrics/{rubric['id']}", params=[("include[]", "associations")]
        ).json()
        hung = any(str(a.get("association_id")) == hosts[code] for a in shown.get("associations") or ())
        criterion = next(
            (c for c in shown.get("data") or () if str(c.get("learning_outcome_id")) == outcomes.get(code)),
            None,
        )
        if hung and criterion is not None:
            found[code] = Mirrored(outcomes[code], hosts[code], str(criterion["id"]))
    for code, assignment_id in hosts.items():
        if code in found or code not in outcomes:
            continue
        made = request(
            client,
            "POST",
            f"{base}/rubrics",
            body={
                "rubric": {
                    "title": RUBRIC_PREFIX + code,
                    "criteria": {"0": {"learning_outcome_id": int(outcomes[code]), "description": code}},
                },
                "rubric_association": {
                    "association_id": int(assignment_id),
                    "association_type": "Assignment",
                    "purpose": "grading",
                    "use_for_grading": False,
                },
            },
        ).json()
        criterion_id = str(made["rubric"]["data"][0]["id"])
        found[code] = Mirrored(outcomes[code], assignment_id, criterion_id)
    return found


def push_canvas(
    bridge: Bridge,
    api: CourseApi,
    client: CanvasClient,
    items: list[NativeItem],
    standings: list[NativeStanding],
    users: dict[int, str],
    outcome: CourseOutcome,
) -> None:
    course = api.lms_course_id
    outcomes = mirror_outcomes(client, f"/courses/{course}", items)
    hosts = _host_assignments(client, course, items)
    for item in items:
        if item.code not in hosts:
            outcome.notices.append(
                f"{item.code}: the tool's column is not in Canvas yet, so its outcome results wait "
                "for the next sync (the column is made by the grade write-back)"
            )
    mirrored = _rubrics(client, course, outcomes, hosts)
    sends: list[tuple[Intent, Mirrored, NativeStanding]] = []
    keys = []
    for standing in standings:
        place = mirrored.get(standing.code)
        subject = users.get(standing.student_id)
        if place is None or subject is None or standing.value is None:
            continue
        key = WriteKey(KIND, target(api, place), subject)
        score = native_score(standing.value)
        digest = payload_hash({"points": str(score), "comments": standing.summary, "at": place.criterion_id})
        keys.append(key)
        sends.append((Intent(key, str(score), digest), place, standing))
    with bridge.database.begin() as session:
        recorded = ledger(session, keys)
    pending = any(e.pending_hash for e in recorded.values())
    todo = []
    for intent, place, standing in sends:
        entry = recorded.get(intent.key)
        if entry is not None and entry.payload_hash == intent.digest and entry.pending_hash is None:
            outcome.skipped += 1
        else:
            todo.append((intent, place, standing))
    if not todo and not pending:
        return
    with bridge.database.begin() as session:
        record_intents(session, [intent for intent, _, _ in todo])
    for intent, place, standing in todo:
        try:
            request(
                client,
                "PUT",
                f"/courses/{course}/assignments/{place.assignment_id}/submissions/{intent.key.subject}",
                body={
                    "rubric_assessment": {
                        place.criterion_id: {
                            "points": float(intent.value or 0),
                            "comments": standing.summary[:1000],
                        }
                    }
                },
            )
        except PlatformError as error:
            outcome.failed += 1
            outcome.problems.append(
                Problem.of(f"the {standing.code} outcome result of user {intent.key.subject}", error)
            )
    _confirm(bridge, client, course, [i for i, _, _ in sends], {s.key: p for s, p, _ in sends}, outcome)


def target(api: CourseApi, place: Mirrored) -> str:
    return f"{api.base_url}/courses/{api.lms_course_id}/assignments/{place.assignment_id}#{place.outcome_id}"


def _confirm(
    bridge: Bridge,
    client: CanvasClient,
    course: str,
    intents: list[Intent],
    places: dict[WriteKey, Mirrored],
    outcome: CourseOutcome,
) -> None:
    """Confirm what Canvas's outcome results show (dated as Canvas dated them); drop the rest."""
    try:
        shown = results(client, course, sorted({p.outcome_id for p in places.values()}))
    except PlatformError as error:
        outcome.problems.append(Problem.of("reading back Canvas outcome results", error))
        return
    with bridge.database.begin() as session:
        recorded = ledger(session, [i.key for i in intents])
        for intent in intents:
            entry = recorded.get(intent.key)
            if entry is None or entry.pending_hash is None:
                continue
            place = places[intent.key]
            result = shown.get((intent.key.subject, place.outcome_id, place.assignment_id))
            if result is not None and result[0] == Decimal(entry.pending_value or "nan"):
                confirm_writes(
                    session, [Intent(intent.key, entry.pending_value, entry.pending_hash)], at=result[1]
                )
                outcome.written += 1
            else:
                drop_intents(session, [intent.key])


def results(
    client: CanvasClient, course: str, outcome_ids: list[str]
) -> dict[tuple[str, str, str], tuple[Decimal, datetime]]:
    """(user, outcome, assignment) -> (score, when) from Canvas's own outcome results."""
    rows = pages(
        client,
        f"/courses/{course}/outcome_results",
        [("outcome_ids[]", o) for o in outcome_ids],
        key="outcome_results",
    )
    found = {}
    for row in rows:
        links = row.get("links") or {}
        alignment = str(links.get("alignment") or "").removeprefix("assignment_")
        when = datetime.fromisoformat(str(row["submitted_or_assessed_at"]).replace("Z", "+00:00"))
        found[(str(links.get("user")), str(links.get("learning_outcome")), alignment)] = (
            Decimal(str(row["score"])).quantize(Decimal("0.01")),
            when,
        )
    return found
