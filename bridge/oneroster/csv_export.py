"""Standings as a OneRoster 1.2 CSV zip an SIS can take.

The same line items and results a REST write-back sends (same sourcedIds, same values,
same learning objectives), flattened into the CSV binding: categories.csv, lineItems.csv,
lineItemLearningObjectiveIds.csv, results.csv, resultLearningObjectiveIds.csv and
manifest.csv. Files are `delta` by default: our rows are changes to the SIS's gradebook,
not its complete set (a `bulk` file would tell the SIS to drop every other line item).
Standings without a value are left out.
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from bridge.oneroster.csv_columns import MANIFEST_FILES
from bridge.oneroster.models import GuidRef
from bridge.oneroster.standings import NAMESPACE, Payloads, StandingResult, plan_standings
from store.sis import SisVersion
from store.sis_roster import ClassContext

CATEGORY_COLUMNS = ["sourcedId", "status", "dateLastModified", "title", "weight"]
LINE_ITEM_COLUMNS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "title",
    "description",
    "assignDate",
    "dueDate",
    "classSourcedId",
    "categorySourcedId",
    "gradingPeriodSourcedId",
    "academicSessionSourcedId",
    "resultValueMin",
    "resultValueMax",
    "schoolSourcedId",
]
LINE_ITEM_OBJECTIVE_COLUMNS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItemSourcedId",
    "source",
    "learningObjectiveId",
]
RESULT_COLUMNS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "lineItemSourcedId",
    "studentSourcedId",
    "scoreStatus",
    "score",
    "textScore",
    "scoreDate",
    "comment",
    "classSourcedId",
    "inProgress",
    "incomplete",
    "late",
    "missing",
]
RESULT_OBJECTIVE_COLUMNS = [
    "sourcedId",
    "status",
    "dateLastModified",
    "resultSourcedId",
    "source",
    "learningObjectiveId",
    "score",
    "textScore",
]


def _csv(columns: list[str], rows: Sequence[Mapping[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def _id(ref: GuidRef | None) -> str | None:
    return ref.sourced_id if ref is not None else None


def export_standings_csv(
    standings: Sequence[StandingResult],
    *,
    contexts: Mapping[str, ClassContext],
    now: datetime,
    scale: tuple[Decimal, Decimal] = (Decimal(1), Decimal(4)),
    mode: str = "delta",
    system_name: str = "Proficiency Bridge",
) -> bytes:
    """The zip's bytes; raises `StandingsInvalid` like a write-back would, before writing."""
    if mode not in {"delta", "bulk"}:
        raise ValueError(f"mode must be delta or bulk, not {mode!r}")
    plan = plan_standings([s for s in standings if s.value is not None], scale=scale)
    payloads = Payloads(version=SisVersion.V1_2, rostering_url="", gradebook_url="", scale=scale, now=now)
    category = payloads.category().to_wire()
    line_items: list[dict[str, object]] = []
    line_item_objectives: list[dict[str, object]] = []
    for item in plan.line_items:
        model = payloads.line_item(item, contexts.get(item.class_sourced_id))
        wire = model.to_wire()
        line_items.append(
            {
                **{
                    k: wire.get(k)
                    for k in (
                        "sourcedId",
                        "status",
                        "dateLastModified",
                        "title",
                        "description",
                        "assignDate",
                        "dueDate",
                        "resultValueMin",
                        "resultValueMax",
                    )
                },
                "classSourcedId": _id(model.class_),
                "categorySourcedId": _id(model.category),
                "academicSessionSourcedId": _id(model.academic_session),
                "schoolSourcedId": _id(model.school),
            }
        )
        for objective_set in model.learning_objective_set or []:
            for objective in objective_set.learning_objective_ids:
                line_item_objectives.append(
                    {
                        "sourcedId": str(
                            uuid.uuid5(NAMESPACE, f"line-item-lo|{item.sourced_id}|{objective}")
                        ),
                        "status": "active",
                        "dateLastModified": wire["dateLastModified"],
                        "lineItemSourcedId": item.sourced_id,
                        "source": objective_set.source,
                        "learningObjectiveId": objective,
                    }
                )
    results: list[dict[str, object]] = []
    result_objectives: list[dict[str, object]] = []
    for planned in plan.results:
        result = payloads.result(planned)
        wire = result.to_wire()
        results.append(
            {
                **{
                    k: wire.get(k)
                    for k in (
                        "sourcedId",
                        "status",
                        "dateLastModified",
                        "scoreStatus",
                        "score",
                        "textScore",
                        "scoreDate",
                        "comment",
                        "inProgress",
                        "incomplete",
                        "late",
                        "missing",
                    )
                },
                "lineItemSourcedId": planned.line_item.sourced_id,
                "studentSourcedId": planned.student_sourced_id,
                "classSourcedId": planned.line_item.class_sourced_id,
            }
        )
        for score_set in result.learning_objective_set or []:
            for scored in score_set.learning_objective_results:
                result_objectives.append(
                    {
                        "sourcedId": str(
                            uuid.uuid5(
                                NAMESPACE, f"result-lo|{planned.sourced_id}|{scored.learning_objective_id}"
                            )
                        ),
                        "status": "active",
                        "dateLastModified": wire["dateLastModified"],
                        "resultSourcedId": planned.sourced_id,
                        "source": score_set.source,
                        "learningObjectiveId": scored.learning_objective_id,
                        "score": scored.score,
                        "textScore": scored.text_score,
                    }
                )
    written = {
        "categories": _csv(CATEGORY_COLUMNS, [category]),
        "lineItems": _csv(LINE_ITEM_COLUMNS, line_items),
        "lineItemLearningObjectiveIds": _csv(LINE_ITEM_OBJECTIVE_COLUMNS, line_item_objectives),
        "results": _csv(RESULT_COLUMNS, results),
        "resultLearningObjectiveIds": _csv(RESULT_OBJECTIVE_COLUMNS, result_objectives),
    }
    manifest = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": "1.2"},
        *(
            {"propertyName": f"file.{name}", "value": mode if name in written else "absent"}
            for name in MANIFEST_FILES["1.2"]
        ),
        {"propertyName": "source.systemName", "value": system_name},
        {"propertyName": "source.systemCode", "value": "pbridge"},
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        for name, content in written.items():
            archive.writestr(f"{name}.csv", content)
    return buffer.getvalue()
