"""Frameworks for admins: every version with its status, import, publish, export.

Imports go through `store.framework_repository.import_framework`, all or nothing: a file
with one bad row is refused whole with the row and field named, and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lti.pages.tables import Table
from mappings.framework_formats import FORMATS, export_framework
from pbridge.errors import ProficiencyBridgeError
from store.audit import record_change
from store.framework_repository import (
    get_framework,
    import_framework,
    list_frameworks,
    load_document,
    publish_framework,
)
from store.frameworks import Framework

MAX_UPLOAD = 10 * 1024 * 1024
_SUFFIX = {
    "yaml": ("yaml", "application/yaml"),
    "csv": ("csv", "text/csv"),
    "case": ("json", "application/json"),
}


@dataclass(frozen=True, slots=True)
class FrameworkOverview:
    frameworks: tuple[Framework, ...]
    formats: tuple[str, ...] = tuple(FORMATS)

    def tables(self) -> list[Table]:
        rows = [
            (
                f.code,
                f.version,
                f.status.value,
                f.title,
                f.source_format,
                f.published_at.strftime("%Y-%m-%d") if f.published_at else "",
            )
            for f in self.frameworks
        ]
        columns = ("Code", "Version", "Status", "Title", "Imported from", "Published")
        return [Table.of("frameworks", "Frameworks and their versions", columns, rows)]


def framework_overview(session: Session) -> FrameworkOverview:
    return FrameworkOverview(frameworks=tuple(list_frameworks(session)))


def import_upload(
    session: Session, data: bytes, file_name: str, *, publish: bool, file_format: str | None, actor_id: int
) -> Framework:
    if not data:
        raise ProficiencyBridgeError("choose a framework file (YAML, CSV or CASE JSON) to import")
    if len(data) > MAX_UPLOAD:
        raise ProficiencyBridgeError("the file is larger than 10 MB; split it or import it with the CLI")
    result = import_framework(
        session, data, file_name=file_name or "upload", file_format=file_format or None, publish=publish
    )
    stored = result.framework
    record_change(
        session,
        actor_id=actor_id,
        action="framework imported",
        subject=f"{stored.code} version {stored.version}",
        detail=f"{file_name}: {'changed' if result.changed else 'unchanged'}, {stored.status.value}",
    )
    return stored


def publish(session: Session, code: str, version: int, *, actor_id: int) -> Framework:
    published = publish_framework(session, code, version=version)
    record_change(
        session,
        actor_id=actor_id,
        action="framework published",
        subject=f"{code} version {version}",
        detail="the version published before it is retired",
    )
    return published


def export(session: Session, code: str, version: int, file_format: str) -> tuple[str, str, str]:
    """(text, file name, media type) of one version in one format."""
    if file_format not in _SUFFIX:
        raise ProficiencyBridgeError(f"export as yaml, csv or case, not {file_format!r}")
    stored = get_framework(session, code, version=version)
    text = export_framework(
        load_document(session, stored), file_format, changed_at=stored.published_at or stored.created_at
    )
    suffix, media = _SUFFIX[file_format]
    return text, f"{stored.code}-v{stored.version}.{suffix}", media
