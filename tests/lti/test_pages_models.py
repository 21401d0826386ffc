"""The pages' pure pieces: levels as text and tone, CSV, conversions typed in a form, small
groups suppressed, the trend chart's geometry, deep-linked alignments, the PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from lti.pages.analytics import MIN_GROUP, Analytics, _distribution, demographic_groups
from lti.pages.charts import TrendInput, trend_chart
from lti.pages.deep_link import parse_resource_id, resource_id_for
from lti.pages.levels import ScaleView
from lti.pages.progress_pdf import progress_pdf_bytes
from lti.pages.student_report import IndicatorLine, StandardBlock, StudentReport
from lti.pages.tables import Table, csv_text
from lti.pages.tag_form import parse_conversion
from mappings.conversion import CutScores, LevelMap, ScoreIsLevel
from mappings.evidence import Purpose
from mappings.scale import default_scale
from pbridge.errors import CalculationError
from store.frameworks import StandardKind
from store.page_queries import IndicatorEntry, StandingCell
from store.people import User
from store.sis_demographics import SisDemographics
from store.standings import StandingStatus

SCALE = ScaleView(default_scale(half_points=True))


@pytest.mark.parametrize(
    ("value", "number", "label", "tone", "met"),
    [
        (Decimal("1"), "1", "Does not meet", "low2", False),
        (Decimal("2.5"), "2.5", "Partially meets +", "low1", False),
        (Decimal("3"), "3", "Meets", "meets", True),
        (Decimal("4"), "4", "Exceeds", "high", True),
        (None, "–", "Insufficient evidence", "none", None),
    ],
)
def test_a_level_is_shown_as_number_label_and_tone(value, number, label, tone, met):
    shown = SCALE.show(value)
    assert (shown.number, shown.label, shown.tone, shown.met) == (number, label, tone, met)
    assert shown.abbr  # a text form for every cell: colour is never alone


def test_insufficient_evidence_is_not_a_low_level():
    assert SCALE.show(None).tone not in {SCALE.show(Decimal(1)).tone, SCALE.show(Decimal(2)).tone}
    assert [lv.label for lv in SCALE.legend()][-1] == "Insufficient evidence"


def test_csv_keeps_numbers_and_defuses_formulas():
    table = Table.of("t", "T", ("name", "value"), [("=HYPERLINK(1)", "-1.5"), ("+cmd", "@x"), ("Ana", None)])
    lines = csv_text(table).splitlines()
    assert lines == ["name,value", "'=HYPERLINK(1),-1.5", "'+cmd,'@x", "Ana,"]


def test_deep_linked_alignment_travels_in_the_resource_id():
    rid = resource_id_for(Purpose.FORMATIVE, [12, 3])
    assert rid == "pb-align:formative:3.12"
    assert parse_resource_id(rid) == (Purpose.FORMATIVE, [3, 12])
    for other in ("MATH.2", "pb-align:nonsense:1", "pb-align:summative:", "pb-align:summative:a.b", ""):
        assert parse_resource_id(other) is None


def test_a_conversion_typed_in_the_form():
    cuts = parse_conversion({"conversion": "cut_scores", "cut_4": "90", "cut_3": "75", "cut_2": "60"}, SCALE)
    assert isinstance(cuts, CutScores) and cuts.convert(Decimal(80), Decimal(100)) == 3
    rubric = parse_conversion(
        {
            "conversion": "level_map",
            "map_key_0": "Meets",
            "map_level_0": "3",
            "map_key_1": " ",
            "map_level_1": "",
        },
        SCALE,
    )
    assert isinstance(rubric, LevelMap) and rubric.convert(None, rating="meets") == 3
    assert isinstance(parse_conversion({"conversion": "score_is_level"}, SCALE), ScoreIsLevel)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"conversion": "cut_scores", "cut_4": "60", "cut_3": "75"}, "higher minimum percent"),
        ({"conversion": "cut_scores"}, "at least one level"),
        ({"conversion": "cut_scores", "cut_3": "lots"}, "not a number"),
        ({"conversion": "level_map"}, "at least one rating"),
    ],
)
def test_a_bad_conversion_is_refused_with_a_reason(form, message):
    with pytest.raises(CalculationError, match=message):
        parse_conversion(form, SCALE)


def test_groups_under_ten_students_are_suppressed_in_pages_and_csv():
    small = _distribution("g1", "Grade 9", [Decimal(1)] * (MIN_GROUP - 1), SCALE, MIN_GROUP - 1)
    big = _distribution("g2", "Grade 10", [Decimal(3)] * MIN_GROUP, SCALE, MIN_GROUP)
    assert small.suppressed and small.segments() == () and small.met_share == ""
    assert not big.suppressed and big.met_share == "100 %"
    analytics = Analytics("school", SCALE, (small, big), (), (), (("grade level", (small, big)),), 19)
    indicators = {t.key: t for t in analytics.tables()}["indicators"]
    assert indicators.rows[0][1] == "suppressed (n < 10)"
    assert not any(cell == str(MIN_GROUP - 1) for cell in indicators.rows[0][2:])


def test_demographic_groups_appear_in_reporting_order_and_small_ones_are_suppressed():
    records = {
        **{
            s: SisDemographics(sex="female", hispanic_or_latino_ethnicity=True, white=True) for s in range(12)
        },
        **{
            s: SisDemographics(sex="male", white=True, hispanic_or_latino_ethnicity=False)
            for s in range(12, 22)
        },
        **{s: SisDemographics(sex="male", asian=True, white=True) for s in range(22, 25)},
    }
    now = datetime(2026, 1, 5, tzinfo=UTC)
    cells = [
        StandingCell(s, s, 1, 7, None, False, StandingStatus.LEVEL, Decimal(3), False, now) for s in range(28)
    ]
    groups = dict(demographic_groups(cells, records, SCALE))
    sexes = {d.title: (d.n, d.suppressed) for d in groups["sex"]}
    assert sexes == {"Female": (12, False), "Male": (13, False), "Not reported": (3, True)}
    races = [(d.title, d.n, d.suppressed) for d in groups["race and ethnicity"]]
    assert races == [
        ("Hispanic or Latino", 12, False),
        ("White", 10, False),
        ("Two or more races", 3, True),
        ("Not reported", 3, True),
    ]
    analytics = Analytics("school", SCALE, (), (), (), tuple(groups.items()), 28)
    table = {t.key: t for t in analytics.tables()}["group_race_and_ethnicity"]
    assert [row[1] for row in table.rows] == ["12", "10", "suppressed (n < 10)", "suppressed (n < 10)"]


def test_the_trend_chart_stays_inside_its_frame():
    start = datetime(2025, 9, 1, tzinfo=UTC)
    inputs = [
        TrendInput(start, Decimal(1), "formative", "check-in"),
        TrendInput(start + timedelta(days=10), Decimal(2), "counted", "task 1", Decimal(2)),
        TrendInput(start + timedelta(days=30), Decimal(4), "counted", "task 2", Decimal("3.3")),
        TrendInput(start + timedelta(days=31), None, "left-out", "missing"),
    ]
    chart = trend_chart(inputs, default_scale())
    left, top, right, bottom = chart.plot
    assert len(chart.points) == 3
    assert all(left <= p.x <= right and top <= p.y <= bottom for p in chart.points)
    assert chart.points[0].y > chart.points[2].y  # higher levels are drawn higher
    assert chart.standing_end is not None and chart.standing_end[2] == "3.3"
    assert "now 3.3" in chart.description
    assert trend_chart([], default_scale()).empty


def test_the_progress_report_pdf_holds_every_indicator():
    entry = IndicatorEntry(
        1,
        "MATH.3.PI.1",
        "Solve linear equations ≥ two steps — with “letters”",
        0,
        1,
        7,
        "MATH.3",
        "Create and solve equations",
        0,
        StandardKind.CONTENT_AREA,
    )
    line = IndicatorLine(entry, 9, SCALE.show(Decimal("2.5")), True, "", (), None, "")
    block = StandardBlock(
        7, "MATH.3", "Create and solve equations", 11, SCALE.show(Decimal("2.5")), True, False, "", (line,)
    )
    report = StudentReport(
        User(name="Ana Lima"), None, (block,), (), SCALE, datetime(2025, 10, 1, tzinfo=UTC)
    )
    pdf = progress_pdf_bytes(report)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
