"""Importing a OneRoster 1.1 or 1.2 CSV zip into the store, all or nothing.

`manifest.csv` says the version and, per file, `bulk` (the complete set: what it no longer
carries is marked `tobedeleted`), `delta` (changes only; `status` and `dateLastModified`
required) or `absent`. Every file is read and checked before anything is written: headers,
required cells, dates, vocabularies, booleans, numbers, duplicate sourcedIds, and references
(an enrollment's class and user must be in the zip or already stored). The first problem is
raised as a `CsvImportError` naming the file, the line and the column, and nothing changes;
the caller frames the transaction.

Files the bridge has no use for (demographics, resources, score scales...) are listed as
ignored in the report, not refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from bridge.oneroster.csv_columns import (
    FILES,
    MANIFEST_FILES,
    REFERENCES,
    CellInvalid,
    Column,
    boolean,
    listing,
    text,
)
from pbridge.errors import CsvImportError, ProficiencyBridgeError
from store.sis_roster import existing_sourced_ids, mark_absent, upsert_records
from store.types import utcnow

MODES = {"bulk", "delta", "absent"}
#: files that are store collections, in the order they are written
COLLECTIONS = (
    "orgs",
    "academicSessions",
    "courses",
    "classes",
    "users",
    "enrollments",
    "lineItems",
    "results",
)


@dataclass(frozen=True)
class CsvFileReport:
    name: str
    mode: str
    rows: int
    marked_absent: int = 0


@dataclass(frozen=True)
class CsvImportReport:
    version: str
    files: tuple[CsvFileReport, ...]
    ignored: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


@dataclass
class _Parsed:
    name: str
    mode: str
    #: each row: CSV column name -> read value (None when blank), plus "_line"
    rows: list[dict[str, Any]]
    header: set[str]


def _decode(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CsvImportError("is not UTF-8 text; save the file as UTF-8", file=file, line=line) from None


def _read_manifest(files: dict[str, bytes]) -> tuple[str, dict[str, str]]:
    if "manifest.csv" not in files:
        raise ProficiencyBridgeError("the zip has no manifest.csv; a OneRoster CSV zip must carry one")
    reader = csv.reader(io.StringIO(_decode(files["manifest.csv"], "manifest.csv")))
    header = [h.strip() for h in next(reader, [])]
    if header[:2] != ["propertyName", "value"]:
        raise CsvImportError("the header must be propertyName,value", file="manifest.csv", line=1)
    properties: dict[str, tuple[str, int]] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < 2:
            raise CsvImportError(
                "needs a property name and a value", file="manifest.csv", line=reader.line_num
            )
        properties[row[0].strip()] = (row[1].strip(), reader.line_num)
    version, line = properties.get("oneroster.version", ("", 1))
    if version not in FILES:
        raise CsvImportError(
            f"oneroster.version {version!r} is not 1.1 or 1.2", file="manifest.csv", line=line, column="value"
        )
    modes: dict[str, str] = {}
    for name in MANIFEST_FILES[version]:
        mode, line = properties.get(f"file.{name}", ("absent", 1))
        if mode not in MODES:
            raise CsvImportError(
                f"file.{name} is {mode!r}; use bulk, delta or absent",
                file="manifest.csv",
                line=line,
                column="value",
            )
        if mode != "absent" and f"{name}.csv" not in files:
            raise CsvImportError(
                f"declares {name}.csv as {mode} but the zip has no {name}.csv", file="manifest.csv", line=line
            )
        modes[name] = mode
    return version, modes


def _read_file(name: str, mode: str, raw: bytes, columns: list[Column]) -> _Parsed:
    file = f"{name}.csv"
    reader = csv.reader(io.StringIO(_decode(raw, file), newline=""))
    header = [h.strip() for h in next(reader, [])]
    positions = {h: i for i, h in enumerate(header)}
    delta = mode == "delta"
    for column in columns:
        needed = column.required or (delta and column.name in {"status", "dateLastModified"})
        if needed and column.name not in positions:
            raise CsvImportError(
                "this required column is missing from the header", file=file, line=1, column=column.name
            )
    present = [(positions[c.name], c) for c in columns if c.name in positions]
    required = {c.name for c in columns if c.required} | ({"status", "dateLastModified"} if delta else set())
    width = len(header)
    rows = []
    seen: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if len(cells) != width:
            if not any(cell.strip() for cell in cells):
                continue
            raise CsvImportError(f"has {len(cells)} cells but the header has {width}", file=file, line=line)
        row: dict[str, Any] = {"_line": line}
        for position, column in present:
            value = cells[position].strip()
            if not value:
                if column.name in required:
                    raise CsvImportError("is required and empty", file=file, line=line, column=column.name)
                row[column.name] = None
                continue
            try:
                row[column.name] = column.read(value)
            except CellInvalid as error:
                raise CsvImportError(str(error), file=file, line=line, column=column.name) from None
        sourced_id = row["sourcedId"]
        if sourced_id in seen:
            raise CsvImportError(
                f"sourcedId {sourced_id!r} is already on line {seen[sourced_id]}",
                file=file,
                line=line,
                column="sourcedId",
            )
        seen[sourced_id] = line
        rows.append(row)
    return _Parsed(name, mode, rows, set(header))


def read_csv_zip(data: bytes) -> tuple[str, dict[str, _Parsed], list[str]]:
    """Version, the parsed files we import, and the names of files we ignore; no database."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ProficiencyBridgeError("the file is not a zip; a OneRoster CSV set comes as a zip") from None
    files = {
        PurePosixPath(info.filename).name: archive.read(info)
        for info in archive.infolist()
        if not info.is_dir()
    }
    version, modes = _read_manifest(files)
    parsed: dict[str, _Parsed] = {}
    for name, columns in FILES[version].items():
        mode = modes.get(name, "absent")
        if mode != "absent":
            parsed[name] = _read_file(name, mode, files[f"{name}.csv"], columns)
    ignored = sorted(f for f in files if f.endswith(".csv") and f != "manifest.csv" and f[:-4] not in parsed)
    return version, parsed, ignored


def _check_references(session: Session, connection_id: int, parsed: dict[str, _Parsed]) -> None:
    known: dict[str, set[str]] = {}

    def ids(target: str, collection: str) -> set[str]:
        if target not in known:
            in_zip = {r["sourcedId"] for r in parsed[target].rows} if target in parsed else set()
            known[target] = in_zip | existing_sourced_ids(session, collection, connection_id)
        return known[target]

    for (name, column), (target, collection) in REFERENCES.items():
        if name not in parsed or column not in parsed[name].header:
            continue
        valid = ids(target, collection)
        for row in parsed[name].rows:
            value = row.get(column)
            if value is not None and value not in valid:
                raise CsvImportError(
                    f"{value!r} is neither in {target}.csv nor already stored; add it or fix the reference",
                    file=f"{name}.csv",
                    line=row["_line"],
                    column=column,
                )


def _store_row(columns: list[Column], row: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column in columns:
        if not column.into or column.name not in row:
            continue
        value = row[column.name]
        if value is None:
            if column.read is boolean:
                continue  # left out: the stored value (or the default) stays
            if column.read is listing:
                value = []
            elif column.read is text and not column.into.endswith("_sourced_id"):
                value = ""
        record[column.into] = value
    record["status"] = record.get("status") or "active"
    return record


def _rows_for(version: str, name: str, parsed: dict[str, _Parsed]) -> list[dict[str, Any]]:
    columns = FILES[version][name]
    records = [_store_row(columns, row) for row in parsed[name].rows]
    if name == "users" and version == "1.1":
        for record, row in zip(records, parsed[name].rows, strict=True):
            record["roles"] = [
                {"role": row["role"], "roleType": "primary", "org": o} for o in row["orgSourcedIds"]
            ]
    if name == "users" and version == "1.2":
        roles: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if "roles" in parsed:
            for role in parsed["roles"].rows:
                if (role.get("status") or "active") == "active":
                    roles[role["userSourcedId"]].append(
                        {"role": role["role"], "roleType": role["roleType"], "org": role["orgSourcedId"]}
                    )
        for record, row in zip(records, parsed[name].rows, strict=True):
            if "roles" in parsed:
                mine = roles.get(record["sourced_id"], [])
                primary = [r for r in mine if r["roleType"] == "primary"] or mine
                record["roles"] = mine
                record["role"] = primary[0]["role"] if primary else ""
                record["org_sourced_ids"] = list(dict.fromkeys(r["org"] for r in mine))
            elif row.get("primaryOrgSourcedId"):
                record["org_sourced_ids"] = [row["primaryOrgSourcedId"]]
    if name == "lineItems" and "lineItemLearningObjectiveIds" in parsed:
        sets: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for row in parsed["lineItemLearningObjectiveIds"].rows:
            sets[row["lineItemSourcedId"]][row["source"]].append(row["learningObjectiveId"])
        for record in records:
            found = sets.get(record["sourced_id"])
            if found:
                record["learning_objectives"] = [
                    {"source": s, "learningObjectiveIds": ids} for s, ids in found.items()
                ]
    if name == "results" and "resultLearningObjectiveIds" in parsed:
        scores: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in parsed["resultLearningObjectiveIds"].rows:
            entry = {"source": row["source"], "learningObjectiveId": row["learningObjectiveId"]}
            if row.get("score") is not None:
                entry["score"] = row["score"]
            if row.get("textScore"):
                entry["textScore"] = row["textScore"]
            scores[row["resultSourcedId"]].append(entry)
        for record in records:
            if record["sourced_id"] in scores:
                record["learning_objectives"] = scores[record["sourced_id"]]
    return records


def import_csv_zip(
    session: Session, connection_id: int, data: bytes, *, now: Callable[[], datetime] = utcnow
) -> CsvImportReport:
    """Check the whole zip, then upsert it; raises `CsvImportError` (file, line, column).

    Learning objective ids are stored with the line items and results of the same zip; a
    learning objective row naming a result that is only stored already is checked, and its
    objectives wait for the next zip that carries that result.
    """
    version, parsed, ignored = read_csv_zip(data)
    _check_references(session, connection_id, parsed)
    started = now()
    reports = []
    for name in COLLECTIONS:
        if name not in parsed:
            continue
        records = _rows_for(version, name, parsed)
        upsert_records(session, name, connection_id, records, seen_at=started)
        marked = 0
        if parsed[name].mode == "bulk":
            marked = mark_absent(session, name, connection_id, seen_before=started)
        reports.append(CsvFileReport(f"{name}.csv", parsed[name].mode, len(records), marked))
    for name in ("roles", "lineItemLearningObjectiveIds", "resultLearningObjectiveIds"):
        if name in parsed:
            reports.append(CsvFileReport(f"{name}.csv", parsed[name].mode, len(parsed[name].rows)))
    session.flush()
    return CsvImportReport(version, tuple(reports), tuple(ignored))
