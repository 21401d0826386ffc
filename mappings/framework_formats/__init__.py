"""Framework files in and out: our YAML, a CSV for spreadsheets, and 1EdTech CASE packages.

Each format module reads text or bytes (with the file's name for messages) into a
`FrameworkDocument` and writes one back; reading refuses a malformed file as a whole, naming
the line, column or identifier (`FrameworkImportError`, or `CsvImportError` for CSV).
Round trips are exact within a format: read → write → read gives the same document.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from mappings.framework import FrameworkDocument
from mappings.framework_formats import case_format, csv_format, yaml_format
from pbridge.errors import FrameworkImportError

FORMATS = ("yaml", "csv", "case")

_BY_SUFFIX = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv", ".json": "case"}


def format_for(file_name: str) -> str:
    """The format a file's name suggests (.yaml/.yml, .csv, .json for CASE)."""
    found = _BY_SUFFIX.get(PurePath(file_name).suffix.lower())
    if found is None:
        raise FrameworkImportError(
            "cannot tell the format from the file's name; name it .yaml, .csv or .json,"
            " or say which with --format yaml, csv or case",
            where=file_name,
        )
    return found


def parse_framework(
    data: bytes | str, *, file_name: str, file_format: str | None = None
) -> FrameworkDocument:
    """Read a framework file in `file_format` (default: guessed from `file_name`)."""
    chosen = file_format or format_for(file_name)
    if chosen == "yaml":
        return yaml_format.parse(data, file_name=file_name)
    if chosen == "csv":
        return csv_format.parse(data, file_name=file_name)
    if chosen == "case":
        return case_format.parse(data, file_name=file_name)
    raise FrameworkImportError(f"unknown format {chosen!r}; use one of {', '.join(FORMATS)}")


def export_framework(document: FrameworkDocument, file_format: str, *, changed_at: datetime) -> str:
    """Write a framework in `file_format`; `changed_at` dates a CASE package's records."""
    if file_format == "yaml":
        return yaml_format.export(document)
    if file_format == "csv":
        return csv_format.export(document)
    if file_format == "case":
        return case_format.export(document, changed_at=changed_at)
    raise FrameworkImportError(f"unknown format {file_format!r}; use one of {', '.join(FORMATS)}")


__all__ = ["FORMATS", "export_framework", "format_for", "parse_framework"]
