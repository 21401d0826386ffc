"""The sandbox SIS's roster (and gradebook) as a OneRoster CSV zip, 1.1 or 1.2, all `bulk`.

What a SIS hands a vendor when there is no REST API: the same district the REST binding
serves, so a test or benchmark can import the one and sync the other and compare.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from typing import Any

from sandbox.oneroster.state import OneRosterState

COMMON = ["sourcedId", "status", "dateLastModified"]


def _sid(value: Any) -> str:
    return value["sourcedId"] if isinstance(value, dict) else ""


def _ids(values: Iterable[Any] | None) -> str:
    return ",".join(_sid(v) if isinstance(v, dict) else str(v) for v in values or [])


def _roles(user: dict[str, Any]) -> list[dict[str, Any]]:
    return user.get("roles") or []


COLUMNS_1_2: dict[str, list[tuple[str, Callable[[dict[str, Any]], Any]]]] = {
    "orgs": [
        ("name", lambda r: r.get("name")),
        ("type", lambda r: r.get("type")),
        ("identifier", lambda r: r.get("identifier")),
        ("parentSourcedId", lambda r: _sid(r.get("parent"))),
    ],
    "academicSessions": [
        ("title", lambda r: r["title"]),
        ("type", lambda r: r["type"]),
        ("startDate", lambda r: r["startDate"]),
        ("endDate", lambda r: r["endDate"]),
        ("parentSourcedId", lambda r: _sid(r.get("parent"))),
        ("schoolYear", lambda r: r["schoolYear"]),
    ],
    "courses": [
        ("schoolYearSourcedId", lambda r: _sid(r.get("schoolYear"))),
        ("title", lambda r: r["title"]),
        ("courseCode", lambda r: r.get("courseCode")),
        ("grades", lambda r: _ids(r.get("grades"))),
        ("orgSourcedId", lambda r: _sid(r.get("org"))),
        ("subjects", lambda r: _ids(r.get("subjects"))),
    ],
    "classes": [
        ("title", lambda r: r["title"]),
        ("grades", lambda r: _ids(r.get("grades"))),
        ("courseSourcedId", lambda r: _sid(r["course"])),
        ("classCode", lambda r: r.get("classCode")),
        ("classType", lambda r: r.get("classType")),
        ("location", lambda r: r.get("location")),
        ("schoolSourcedId", lambda r: _sid(r["school"])),
        ("termSourcedIds", lambda r: _ids(r.get("terms"))),
        ("subjects", lambda r: _ids(r.get("subjects"))),
        ("periods", lambda r: _ids(r.get("periods"))),
    ],
    "users": [
        ("enabledUser", lambda r: r.get("enabledUser", "true")),
        ("username", lambda r: r["username"]),
        ("givenName", lambda r: r["givenName"]),
        ("familyName", lambda r: r["familyName"]),
        ("identifier", lambda r: r.get("identifier")),
        ("email", lambda r: r.get("email")),
        ("grades", lambda r: _ids(r.get("grades"))),
        ("primaryOrgSourcedId", lambda r: _sid(r.get("primaryOrg"))),
    ],
    "enrollments": [
        ("classSourcedId", lambda r: _sid(r["class"])),
        ("schoolSourcedId", lambda r: _sid(r["school"])),
        ("userSourcedId", lambda r: _sid(r["user"])),
        ("role", lambda r: r["role"]),
        ("primary", lambda r: r.get("primary", "false")),
    ],
}
USERS_1_1 = [
    ("enabledUser", lambda r: r.get("enabledUser", "true")),
    ("orgSourcedIds", lambda r: ",".join(_sid(x["org"]) for x in _roles(r))),
    ("role", lambda r: (_roles(r) or [{"role": ""}])[0]["role"]),
    ("username", lambda r: r["username"]),
    ("givenName", lambda r: r["givenName"]),
    ("familyName", lambda r: r["familyName"]),
    ("identifier", lambda r: r.get("identifier")),
    ("email", lambda r: r.get("email")),
    ("grades", lambda r: _ids(r.get("grades"))),
]


def _csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def district_csv_zip(state: OneRosterState, *, version: str = "1.2") -> bytes:
    """The roster as a CSV zip in `version`'s binding, every file `bulk`."""
    files: dict[str, bytes] = {}
    for name, columns in COLUMNS_1_2.items():
        if name == "users" and version == "1.1":
            columns = USERS_1_1
        records = state.listing(name)
        files[name] = _csv(
            COMMON + [c for c, _ in columns],
            (
                [
                    r["sourcedId"],
                    r.get("status", "active"),
                    r["dateLastModified"],
                    *(f(r) for _, f in columns),
                ]
                for r in records
            ),
        )
    if version == "1.2":
        files["roles"] = _csv(
            [*COMMON, "userSourcedId", "roleType", "role", "orgSourcedId"],
            (
                [
                    f"{u['sourcedId']}-r{i}",
                    "active",
                    u["dateLastModified"],
                    u["sourcedId"],
                    role["roleType"],
                    role["role"],
                    _sid(role["org"]),
                ]
                for u in state.listing("users")
                for i, role in enumerate(_roles(u))
            ),
        )
    declared = [
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
    ]
    if version == "1.2":
        declared += [
            "lineItemLearningObjectiveIds",
            "lineItemScoreScales",
            "resultLearningObjectiveIds",
            "resultScoreScales",
            "roles",
            "scoreScales",
            "userProfiles",
            "userResources",
        ]
    manifest = [["manifest.version", "1.0"], ["oneroster.version", version]]
    manifest += [[f"file.{name}", "bulk" if name in files else "absent"] for name in sorted(declared)]
    manifest += [["source.systemName", "Sandbox SIS"], ["source.systemCode", "sandbox"]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.csv", _csv(["propertyName", "value"], manifest))
        for name, content in files.items():
            archive.writestr(f"{name}.csv", content)
    return buffer.getvalue()
