"""The progress report as a PDF, drawn with fpdf2 (pure Python: no system libraries needed).

The PDF says what the printable page says: each graduation standard with its roll-up, each
indicator with its standing as number and label (never colour alone), then the habits of
work apart. The built-in Helvetica covers Latin-1; other characters are spelled out.
"""

from __future__ import annotations

from flask import Response
from fpdf import FPDF
from fpdf.fonts import FontFace

from lti.pages.levels import LevelShown
from lti.pages.student_report import StandardBlock, StudentReport

_SPELLED = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "≥": ">=",
        "≤": "<=",
        "→": "->",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "-",
    }
)
#: tinted fills by tone (as the stylesheet's), for the standing cell; the text says the level
_FILLS = {
    "low2": (248, 215, 211),
    "low1": (253, 230, 196),
    "meets": (211, 236, 213),
    "high": (212, 227, 247),
    "none": (238, 240, 242),
}


def _latin(text: str) -> str:
    return text.translate(_SPELLED).encode("latin-1", errors="replace").decode("latin-1")


def _standing(shown: LevelShown | None) -> str:
    if shown is None:
        return "no standing yet"
    return _latin(shown.text)


class _Report(FPDF):
    title_line = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, _latin(f"{self.title_line} - page {self.page_no()}"), align="C")


def progress_pdf_bytes(report: StudentReport) -> bytes:
    pdf = _Report(orientation="P", unit="mm", format="A4")
    pdf.title_line = f"Progress report: {report.student.display_name}"
    pdf.set_title(_latin(pdf.title_line))
    pdf.set_author("Proficiency Bridge")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 9, _latin("Progress report"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    course = report.course.title if report.course else "All courses"
    pdf.cell(0, 6, _latin(f"{report.student.display_name} - {course}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(80, 80, 80)
    pdf.cell(
        0,
        6,
        _latin(
            f"As of {report.generated_at:%B %-d, %Y}. Meets or exceeds {report.meets_count} of "
            f"{report.indicator_count} performance indicators."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    scale = " · ".join(f"{lv.number} {lv.label}" for lv in report.scale.levels)
    pdf.cell(0, 6, _latin(f"Scale: {scale}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for block in report.academics:
        _block(pdf, block)
    if report.habits:
        pdf.ln(4)
        pdf.set_font("Helvetica", style="B", size=13)
        pdf.cell(
            0, 8, _latin("Habits of work (reported apart from academics)"), new_x="LMARGIN", new_y="NEXT"
        )
        for block in report.habits:
            _block(pdf, block)
    return bytes(pdf.output())


def _block(pdf: FPDF, block: StandardBlock) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", style="B", size=11)
    pdf.multi_cell(0, 6, _latin(f"{block.code} {block.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    overridden = " (teacher override)" if block.overridden else ""
    pdf.cell(0, 5, _latin(f"Standard: {_standing(block.shown)}{overridden}"), new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(22, 118, 40), text_align=("LEFT", "LEFT", "LEFT"), line_height=5) as table:
        header = table.row()
        for text in ("Indicator", "What it measures", "Standing"):
            header.cell(text)
        for line in block.indicators:
            row = table.row()
            row.cell(_latin(line.indicator.code))
            row.cell(_latin(line.indicator.title))
            text = _standing(line.shown) + (" (teacher override)" if line.overridden else "")
            row.cell(text, style=FontFace(fill_color=_FILLS.get(line.shown.tone, (255, 255, 255))))


def progress_pdf(report: StudentReport) -> Response:
    name = "".join(ch if ch.isalnum() else "-" for ch in report.student.display_name).strip("-") or "student"
    return Response(
        progress_pdf_bytes(report),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="progress-report-{name}.pdf"'},
    )
