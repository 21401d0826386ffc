"""Tables as pages show them and as CSV exports them: one shape, so every table exports.

A page builds `Table`s; its template renders them with the `table` macro, and the same
view answers `?export=<key>` with the CSV of the table of that key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import Response, request

from pbridge.errors import ProficiencyBridgeError

#: a spreadsheet would run these as formulas; a leading quote keeps them text (CSV injection)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class NoSuchTable(ProficiencyBridgeError):
    status_code = 404


@dataclass(frozen=True, slots=True)
class Table:
    key: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: a sentence shown under the table (e.g. why some rows are suppressed)
    note: str = ""

    @classmethod
    def of(
        cls,
        key: str,
        caption: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[object]],
        note: str = "",
    ) -> Table:
        return cls(
            key=key,
            caption=caption,
            columns=tuple(columns),
            rows=tuple(tuple("" if cell is None else str(cell) for cell in row) for row in rows),
            note=note,
        )


def _safe(cell: str) -> str:
    if cell.startswith(_FORMULA_STARTS) and not _is_number(cell):
        return "'" + cell
    return cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def csv_text(table: Table) -> str:
    """The table as CSV (RFC 4180, CRLF), with formula-looking text defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([_safe(c) for c in row])
    return out.getvalue()


def pick(tables: Iterable[Table], key: str) -> Table:
    """The table of this key, or a 404 naming the keys there are."""
    found = {t.key: t for t in tables}
    if key not in found:
        raise NoSuchTable(f"this page has no table '{key}' to export (it has: {', '.join(found) or 'none'})")
    return found[key]


def csv_download(table: Table, *, file_stem: str) -> Response:
    """The table as a CSV attachment named after the page and the table."""
    name = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in f"{file_stem}-{table.key}")
    return Response(
        csv_text(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def requested_export(tables: Iterable[Table], *, file_stem: str) -> Response | None:
    """The CSV of the table named by `?export=`, or None when the page itself is asked for."""
    key = request.args.get("export")
    if not key:
        return None
    return csv_download(pick(tables, key), file_stem=file_stem)
