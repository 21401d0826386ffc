"""Canvas's outcomes, rubrics and outcome results: the only way a tool puts mastery into Canvas.

    GET  /api/v1/{courses/:id|accounts/:id}/root_outcome_group
    GET  /api/v1/{...}/outcome_groups/:id/subgroups          POST (title required)
    GET  /api/v1/{...}/outcome_groups/:id/outcomes           (outcome_style=full)
    POST /api/v1/{...}/outcome_groups/:id/outcomes           (title, ratings, mastery_points, ...)
    GET  /api/v1/outcomes/:id
    GET  /api/v1/courses/:id/rubrics        GET /api/v1/courses/:id/rubrics/:id (include[]=associations)
    POST /api/v1/courses/:id/rubrics        (rubric[...] and rubric_association[...])
    PUT  /api/v1/courses/:id/assignments/:id/submissions/:user_id   (rubric_assessment[...])
    GET  /api/v1/courses/:id/outcome_results    GET /api/v1/courses/:id/outcome_rollups

As in Canvas: no endpoint writes an outcome result; assessing a rubric whose criteria are
aligned to outcomes (`learning_outcome_id`) on an assignment creates one per aligned criterion,
dated when assessed. Course routes need a teacher, TA or admin of the course; account routes
an admin. Bodies are JSON (Canvas also takes form fields; the sandbox takes JSON only).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from sandbox.canvas_api import PREFIX, _caller, _course_for, _json, _page, canvas_error
from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.lms_api_access import ApiToken
from sandbox.native_grades import iso, learners
from sandbox.native_outcomes import Criterion, Outcome, OutcomeGroup, OutcomeResult, Rubric, native_outcomes

CALCULATION_METHODS = ("decaying_average", "n_mastery", "latest", "highest", "average")
CONTEXTS = {"courses": "Course", "accounts": "Account"}


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("canvas_outcomes", __name__)
    ctx = f"{PREFIX}/<any(courses,accounts):kind>/<context_id>"
    bp.add_url_rule(f"{ctx}/root_outcome_group", "root", root_group)
    bp.add_url_rule(f"{ctx}/outcome_groups/<group_id>/subgroups", "subgroups", subgroups)
    bp.add_url_rule(
        f"{ctx}/outcome_groups/<group_id>/subgroups", "new_subgroup", create_subgroup, methods=["POST"]
    )
    bp.add_url_rule(f"{ctx}/outcome_groups/<group_id>/outcomes", "outcomes", group_outcomes)
    bp.add_url_rule(
        f"{ctx}/outcome_groups/<group_id>/outcomes", "new_outcome", create_outcome, methods=["POST"]
    )
    bp.add_url_rule(f"{PREFIX}/outcomes/<outcome_id>", "outcome", show_outcome)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/rubrics", "rubrics", list_rubrics)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/rubrics/<rubric_id>", "rubric", show_rubric)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/rubrics", "new_rubric", create_rubric, methods=["POST"])
    bp.add_url_rule(
        f"{PREFIX}/courses/<course_id>/assignments/<assignment_id>/submissions/<user_id>",
        "grade",
        grade_submission,
        methods=["PUT"],
    )
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/outcome_results", "results", outcome_results)
    bp.add_url_rule(f"{PREFIX}/courses/<course_id>/outcome_rollups", "rollups", outcome_rollups)
    return bp


# who may ------------------------------------------------------------------------------------


def _scope(method: str, route: str) -> str:
    return f"url:{method}|{PREFIX}{route}"


def _context(kind: str, context_id: str, method: str, route: str) -> tuple[str, str]:
    """("Course"|"Account", id) when the caller may use that context; Canvas's refusal otherwise."""
    token = _caller(_scope(method, f"/{kind}/:{kind[:-1]}_id{route}"))
    if kind == "courses":
        return "Course", _course_for(token, context_id).id
    if context_id not in ("1", "self"):
        raise canvas_error(404, "The specified resource does not exist.")
    if not current_state().users[token.user_id].is_admin:
        raise canvas_error(401, "user not authorized to perform that action")
    return "Account", "1"


def _group_in(context: tuple[str, str], group_id: str) -> OutcomeGroup:
    store = native_outcomes(current_state())
    group = store.groups.get(group_id)
    if group is None or (group.context_type, group.context_id) != context:
        raise canvas_error(404, "The specified resource does not exist.")
    return group


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise canvas_error(400, "send a JSON object (Content-Type: application/json)")
    return data


# shapes -------------------------------------------------------------------------------------


def _base() -> str:
    return current_state().base_url + PREFIX


def _path(context_type: str, context_id: str) -> str:
    return f"{'courses' if context_type == 'Course' else 'accounts'}/{context_id}"


def _group_json(group: OutcomeGroup) -> dict[str, Any]:
    where = _path(group.context_type, group.context_id)
    return {
        "id": int(group.id),
        "title": group.title,
        "vendor_guid": group.vendor_guid or None,
        "description": group.description,
        "context_id": int(group.context_id),
        "context_type": group.context_type,
        "parent_outcome_group": {"id": int(group.parent_id)} if group.parent_id else None,
        "url": f"{_base()}/{where}/outcome_groups/{group.id}",
        "subgroups_url": f"{_base()}/{where}/outcome_groups/{group.id}/subgroups",
        "outcomes_url": f"{_base()}/{where}/outcome_groups/{group.id}/outcomes",
        "can_edit": True,
    }


def _outcome_json(outcome: Outcome, *, full: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": int(outcome.id),
        "url": f"{_base()}/outcomes/{outcome.id}",
        "context_id": int(outcome.context_id),
        "context_type": outcome.context_type,
        "title": outcome.title,
        "display_name": outcome.display_name or None,
        "can_edit": True,
    }
    if full:
        body |= {
            "vendor_guid": outcome.vendor_guid or None,
            "description": outcome.description,
            "points_possible": outcome.points_possible,
            "mastery_points": outcome.mastery_points,
            "ratings": [dict(r) for r in outcome.ratings],
            "calculation_method": outcome.calculation_method,
            "calculation_int": outcome.calculation_int,
            "assessed": bool(
                [r for r in native_outcomes(current_state()).results.values() if r.outcome_id == outcome.id]
            ),
        }
    return body


def _link_json(group: OutcomeGroup, outcome: Outcome, *, full: bool) -> dict[str, Any]:
    return {
        "url": f"{_group_json(group)['url']}/outcomes/{outcome.id}",
        "context_id": int(group.context_id),
        "context_type": group.context_type,
        "outcome_group": _group_json(group),
        "outcome": _outcome_json(outcome, full=full),
        "assessed": False,
        "can_unlink": True,
    }


def _rubric_json(rubric: Rubric, *, associations: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": int(rubric.id),
        "title": rubric.title,
        "context_id": int(rubric.course_id),
        "context_type": "Course",
        "points_possible": sum(c.points for c in rubric.criteria),
        "reusable": False,
        "read_only": False,
        "free_form_criterion_comments": False,
        "hide_score_total": False,
        "data": [
            {
                "id": c.id,
                "description": c.description,
                "long_description": "",
                "points": c.points,
                "learning_outcome_id": int(c.learning_outcome_id) if c.learning_outcome_id else None,
                "criterion_use_range": False,
                "ratings": [dict(r) for r in c.ratings],
            }
            for c in rubric.criteria
        ],
    }
    if associations:
        body["associations"] = [_association_json(rubric, a) for a in rubric.associations]
    return body


def _association_json(rubric: Rubric, association: tuple[str, str, str, bool]) -> dict[str, Any]:
    association_id, assignment_id, purpose, for_grading = association
    return {
        "id": int(association_id),
        "rubric_id": int(rubric.id),
        "association_id": int(assignment_id),
        "association_type": "Assignment",
        "use_for_grading": for_grading,
        "purpose": purpose,
        "hide_score_total": False,
        "hide_points": False,
        "hide_outcome_results": False,
    }


# outcome groups and outcomes ----------------------------------------------------------------


def root_group(kind: str, context_id: str) -> Response:
    context = _context(kind, context_id, "GET", "/root_outcome_group")
    state = current_state()
    title = state.courses[context[1]].title if context[0] == "Course" else "Root account"
    return _json(_group_json(native_outcomes(state).root_group(*context, title)))


def subgroups(kind: str, context_id: str, group_id: str) -> Response:
    context = _context(kind, context_id, "GET", "/outcome_groups/:id/subgroups")
    group = _group_in(context, group_id)
    chosen, link = _page([_group_json(g) for g in native_outcomes(current_state()).subgroups(group.id)])
    return _json(chosen, link)


def create_subgroup(kind: str, context_id: str, group_id: str) -> Response:
    context = _context(kind, context_id, "POST", "/outcome_groups/:id/subgroups")
    parent = _group_in(context, group_id)
    data = _body()
    title = str(data.get("title") or "").strip()
    if not title:
        raise canvas_error(400, "title is required")
    store = native_outcomes(current_state())
    group = OutcomeGroup(
        store.next_id(),
        *context,
        title=title,
        parent_id=parent.id,
        vendor_guid=str(data.get("vendor_guid") or ""),
        description=str(data.get("description") or ""),
    )
    with store.lock:
        store.groups[group.id] = group
    return _json(_group_json(group))


def group_outcomes(kind: str, context_id: str, group_id: str) -> Response:
    context = _context(kind, context_id, "GET", "/outcome_groups/:id/outcomes")
    group = _group_in(context, group_id)
    full = request.args.get("outcome_style") == "full"
    links = [_link_json(group, o, full=full) for o in native_outcomes(current_state()).outcomes_in(group.id)]
    chosen, link = _page(links)
    return _json(chosen, link)


def create_outcome(kind: str, context_id: str, group_id: str) -> Response:
    context = _context(kind, context_id, "POST", "/outcome_groups/:id/outcomes")
    group = _group_in(context, group_id)
    data = _body()
    store = native_outcomes(current_state())
    if data.get("outcome_id") is not None:
        linked = store.outcomes.get(str(data["outcome_id"]))
        if linked is None:
            raise canvas_error(404, "The specified resource does not exist.")
        with store.lock:
            if (group.id, linked.id) not in store.links:
                store.links.append((group.id, linked.id))
        return _json(_link_json(group, linked, full=True))
    title = str(data.get("title") or "").strip()
    if not title:
        raise canvas_error(400, "title is required")
    ratings = _ratings(data.get("ratings"))
    method = str(data.get("calculation_method") or "decaying_average")
    if method not in CALCULATION_METHODS:
        raise canvas_error(
            400, f"calculation_method {method!r} is not one of {', '.join(CALCULATION_METHODS)}"
        )
    mastery = _number(data.get("mastery_points", 3), "mastery_points")
    calculation_int = data.get("calculation_int")
    if method in ("decaying_average", "n_mastery") and calculation_int is None:
        calculation_int = 65 if method == "decaying_average" else 5
    outcome = Outcome(
        store.next_id(),
        *context,
        title=title,
        display_name=str(data.get("display_name") or ""),
        description=str(data.get("description") or ""),
        vendor_guid=str(data.get("vendor_guid") or ""),
        mastery_points=mastery,
        ratings=ratings,
        calculation_method=method,
        calculation_int=int(calculation_int) if calculation_int is not None else None,
    )
    with store.lock:
        store.outcomes[outcome.id] = outcome
        store.links.append((group.id, outcome.id))
    return _json(_link_json(group, outcome, full=True))


def _number(raw: Any, name: str) -> float:
    if isinstance(raw, bool):
        raise canvas_error(400, f"{name} must be a number")
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise canvas_error(400, f"{name} must be a number, not {raw!r}") from None


def _ratings(raw: Any) -> list[dict[str, Any]]:
    """Ratings as given, highest points first (Canvas's order); its defaults when none."""
    if raw is None:
        return [
            {"description": "Exceeds Expectations", "points": 5.0},
            {"description": "Meets Expectations", "points": 3.0},
            {"description": "Does Not Meet Expectations", "points": 0.0},
        ]
    if not isinstance(raw, list) or not raw:
        raise canvas_error(400, "ratings must be a list of {description, points}")
    ratings = []
    for index, rating in enumerate(raw):
        if not isinstance(rating, dict) or "points" not in rating:
            raise canvas_error(400, f"ratings[{index}] needs points")
        ratings.append(
            {
                "description": str(rating.get("description") or ""),
                "points": _number(rating["points"], f"ratings[{index}][points]"),
            }
        )
    return sorted(ratings, key=lambda r: -r["points"])


def show_outcome(outcome_id: str) -> Response:
    token = _caller(_scope("GET", "/outcomes/:id"))
    state = current_state()
    outcome = native_outcomes(state).outcomes.get(outcome_id)
    if outcome is None:
        raise canvas_error(404, "The specified resource does not exist.")
    _may_read(token, outcome)
    return _json(_outcome_json(outcome))


def _may_read(token: ApiToken, outcome: Outcome) -> None:
    if outcome.context_type == "Course":
        _course_for(token, outcome.context_id)


# rubrics -------------------------------------------------------------------------------------


def list_rubrics(course_id: str) -> Response:
    token = _caller(_scope("GET", "/courses/:course_id/rubrics"))
    found = _course_for(token, course_id)
    rubrics = [r for r in native_outcomes(current_state()).rubrics.values() if r.course_id == found.id]
    chosen, link = _page([_rubric_json(r, associations=False) for r in rubrics])
    return _json(chosen, link)


def show_rubric(course_id: str, rubric_id: str) -> Response:
    token = _caller(_scope("GET", "/courses/:course_id/rubrics/:id"))
    found = _course_for(token, course_id)
    rubric = native_outcomes(current_state()).rubrics.get(rubric_id)
    if rubric is None or rubric.course_id != found.id:
        raise canvas_error(404, "The specified resource does not exist.")
    wanted = set(request.args.getlist("include[]"))
    return _json(
        _rubric_json(rubric, associations=bool(wanted & {"associations", "assignment_associations"}))
    )


def _assignment_course(assignment_id: str) -> str | None:
    """The course of a native assignment or of the assignment behind an AGS line item."""
    state = current_state()
    native = state.grades.assignment(assignment_id)
    if native is not None:
        return native.course_id
    for item_id, behind in state.lms_api.line_item_assignments.items():
        if behind == assignment_id:
            item = state.grades.line_item(item_id)
            return item.course_id if item is not None else None
    return None


def create_rubric(course_id: str) -> Response:
    token = _caller(_scope("POST", "/courses/:course_id/rubrics"))
    found = _course_for(token, course_id)
    data = _body()
    spec = data.get("rubric")
    if not isinstance(spec, dict):
        raise canvas_error(400, "rubric is required")
    title = str(spec.get("title") or "").strip()
    if not title:
        raise canvas_error(400, "rubric[title] is required")
    raw_criteria = spec.get("criteria")
    if isinstance(raw_criteria, dict):  # Canvas's form shape: {"0": {...}, "1": {...}}
        raw_criteria = [raw_criteria[k] for k in sorted(raw_criteria, key=lambda k: int(k))]
    if not isinstance(raw_criteria, list) or not raw_criteria:
        raise canvas_error(400, "rubric[criteria] needs at least one criterion")
    store = native_outcomes(current_state())
    criteria = [_criterion(store, token, found.id, index, raw) for index, raw in enumerate(raw_criteria)]
    association = data.get("rubric_association")
    if not isinstance(association, dict):
        raise canvas_error(400, "rubric_association is required")
    if association.get("association_type") != "Assignment":
        raise canvas_error(400, "rubric_association[association_type] must be Assignment here")
    assignment_id = str(association.get("association_id") or "")
    if _assignment_course(assignment_id) != found.id:
        raise canvas_error(404, f"assignment {assignment_id or '(none)'} is not in course {found.id}")
    purpose = str(association.get("purpose") or "grading")
    rubric = Rubric(store.next_id(), found.id, title, criteria)
    link = (store.next_id(), assignment_id, purpose, bool(association.get("use_for_grading", False)))
    with store.lock:
        # an assignment has one grading rubric: a new association replaces the old one
        for other in store.rubrics.values():
            other.associations = [a for a in other.associations if a[1] != assignment_id]
        rubric.associations.append(link)
        store.rubrics[rubric.id] = rubric
    return _json(
        {
            "rubric": _rubric_json(rubric, associations=False),
            "rubric_association": _association_json(rubric, link),
        }
    )


def _criterion(store: Any, token: ApiToken, course_id: str, index: int, raw: Any) -> Criterion:
    where = f"rubric[criteria][{index}]"
    if not isinstance(raw, dict):
        raise canvas_error(400, f"{where} must be an object")
    outcome_id = str(raw["learning_outcome_id"]) if raw.get("learning_outcome_id") is not None else None
    if outcome_id is not None:
        outcome = store.outcomes.get(outcome_id)
        usable = outcome is not None and (
            (outcome.context_type, outcome.context_id) in (("Course", course_id), ("Account", "1"))
        )
        if not usable:
            raise canvas_error(
                400,
                f"{where}[learning_outcome_id] {outcome_id} is not an outcome of this course or its account",
            )
        # an aligned criterion takes its outcome's ratings and points, as Canvas does
        return Criterion(
            f"_{store.next_id()}",
            str(raw.get("description") or outcome.title),
            outcome.points_possible,
            outcome_id,
            [dict(r, id=f"r{i}") for i, r in enumerate(outcome.ratings)],
        )
    description = str(raw.get("description") or "").strip()
    if not description:
        raise canvas_error(400, f"{where}[description] is required")
    ratings = _ratings(
        list(raw["ratings"].values()) if isinstance(raw.get("ratings"), dict) else raw.get("ratings")
    )
    return Criterion(
        f"_{store.next_id()}",
        description,
        _number(raw.get("points", max(r["points"] for r in ratings)), f"{where}[points]"),
        None,
        [dict(r, id=f"r{i}") for i, r in enumerate(ratings)],
    )


# assessing -----------------------------------------------------------------------------------


def grade_submission(course_id: str, assignment_id: str, user_id: str) -> Response:
    token = _caller(_scope("PUT", "/courses/:course_id/assignments/:assignment_id/submissions/:user_id"))
    found = _course_for(token, course_id)
    state = current_state()
    if _assignment_course(assignment_id) != found.id:
        raise canvas_error(404, "The specified resource does not exist.")
    if user_id not in {p.id for p in learners(state, found.id)}:
        raise canvas_error(404, "The specified resource does not exist.")
    data = _body()
    assessment = data.get("rubric_assessment")
    if not isinstance(assessment, dict) or not assessment:
        raise canvas_error(400, "rubric_assessment is required here (the sandbox grades by rubric only)")
    store = native_outcomes(state)
    rubric = next(
        (r for r in store.rubrics.values() if any(a[1] == assignment_id for a in r.associations)), None
    )
    if rubric is None:
        raise canvas_error(400, f"assignment {assignment_id} has no rubric to assess")
    criteria = {c.id: c for c in rubric.criteria}
    parts: dict[str, dict[str, Any]] = {}
    for criterion_id, part in assessment.items():
        criterion = criteria.get(str(criterion_id))
        if criterion is None:
            raise canvas_error(
                400, f"rubric_assessment[{criterion_id}] is not a criterion of rubric {rubric.id}"
            )
        if not isinstance(part, dict) or "points" not in part:
            raise canvas_error(400, f"rubric_assessment[{criterion_id}][points] is required")
        points = _number(part["points"], f"rubric_assessment[{criterion_id}][points]")
        parts[criterion.id] = {"points": points, "comments": str(part.get("comments") or "")}
    now = datetime.now(UTC).replace(microsecond=0)
    with store.lock:
        store.assessments[(found.id, assignment_id, user_id)] = parts
        for criterion_id, part in parts.items():
            criterion = criteria[criterion_id]
            if criterion.learning_outcome_id is None:
                continue
            key = (user_id, criterion.learning_outcome_id, assignment_id)
            old = store.results.get(key)
            store.results[key] = OutcomeResult(
                old.id if old else store.next_id(),
                found.id,
                user_id,
                criterion.learning_outcome_id,
                assignment_id,
                part["points"],
                criterion.points,
                now,
            )
    return _json(
        {
            "id": int(f"7{assignment_id}{user_id}"),
            "assignment_id": int(assignment_id),
            "user_id": int(user_id),
            "score": sum(p["points"] for p in parts.values()),
            "graded_at": iso(now),
            "workflow_state": "graded",
            "rubric_assessment": parts,
        }
    )


# reading back --------------------------------------------------------------------------------


def _results_for(course_id: str) -> list[OutcomeResult]:
    args = request.args
    users = set(args.getlist("user_ids[]"))
    outcomes = set(args.getlist("outcome_ids[]"))
    store = native_outcomes(current_state())
    with store.lock:
        found = [r for r in store.results.values() if r.course_id == course_id]
    return sorted(
        (
            r
            for r in found
            if (not users or r.user_id in users) and (not outcomes or r.outcome_id in outcomes)
        ),
        key=lambda r: (int(r.user_id), int(r.outcome_id), r.assessed_at),
    )


def outcome_results(course_id: str) -> Response:
    token = _caller(_scope("GET", "/courses/:course_id/outcome_results"))
    found = _course_for(token, course_id)
    rows = [
        {
            "id": int(r.id),
            "score": r.score,
            "possible": r.possible,
            "percent": round(r.score / r.possible, 4) if r.possible else None,
            "submitted_or_assessed_at": iso(r.assessed_at),
            "links": {
                "user": r.user_id,
                "learning_outcome": r.outcome_id,
                "alignment": f"assignment_{r.assignment_id}",
            },
        }
        for r in _results_for(found.id)
    ]
    chosen, link = _page(rows)
    return Response(
        json.dumps({"outcome_results": chosen, "linked": {}}),
        status=200,
        content_type="application/json; charset=utf-8",
        headers={"Link": link},
    )


def _rollup(outcome: Outcome, results: list[OutcomeResult]) -> float:
    """The outcome's calculation method over the student's results, on the outcome's points."""
    ordered = sorted(results, key=lambda r: r.assessed_at)
    scores = [r.score / r.possible * outcome.points_possible if r.possible else r.score for r in ordered]
    method = outcome.calculation_method
    if method == "highest":
        return max(scores)
    if method == "average" or method == "n_mastery":
        return sum(scores) / len(scores)
    if method == "decaying_average" and len(scores) > 1:
        weight = (outcome.calculation_int or 65) / 100
        rest = scores[:-1]
        return scores[-1] * weight + sum(rest) / len(rest) * (1 - weight)
    return scores[-1]


def outcome_rollups(course_id: str) -> Response:
    token = _caller(_scope("GET", "/courses/:course_id/outcome_rollups"))
    found = _course_for(token, course_id)
    state = current_state()
    store = native_outcomes(state)
    by_user: dict[str, dict[str, list[OutcomeResult]]] = {}
    for result in _results_for(found.id):
        by_user.setdefault(result.user_id, {}).setdefault(result.outcome_id, []).append(result)
    people = [
        p for p in learners(state, found.id) if not request.args.getlist("user_ids[]") or p.id in by_user
    ]
    rollups = []
    for person in people:
        scores = []
        for outcome_id, results in by_user.get(person.id, {}).items():
            outcome = store.outcomes[outcome_id]
            scores.append(
                {
                    "score": round(_rollup(outcome, results), 2),
                    "title": outcome.title,
                    "submitted_at": iso(max(r.assessed_at for r in results)),
                    "count": len(results),
                    "hide_points": False,
                    "links": {"outcome": outcome_id},
                }
            )
        rollups.append(
            {"scores": scores, "links": {"user": person.id, "section": found.id, "status": "active"}}
        )
    chosen, link = _page(rollups)
    return Response(
        json.dumps({"rollups": chosen, "linked": {}}),
        status=200,
        content_type="application/json; charset=utf-8",
        headers={"Link": link},
    )
