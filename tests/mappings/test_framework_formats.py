from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import FRAMEWORKS_DIR
from mappings.framework import (
    ContentArea,
    FrameworkDocument,
    GraduationStandard,
    LearningObjective,
    PerformanceIndicator,
    StandardKind,
    build_scale,
    clean_text,
)
from mappings.framework_formats import FORMATS, export_framework, format_for, parse_framework
from mappings.scale import Level
from pbridge.errors import CsvImportError, FrameworkImportError

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"
MOMENT = datetime(2026, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.yaml", "yaml"), ("a.YML", "yaml"), ("dir/a.csv", "csv"), ("a.json", "case")],
)
def test_the_format_follows_the_file_name(name, expected):
    assert format_for(name) == expected


def test_an_unknown_file_name_asks_for_the_format():
    with pytest.raises(FrameworkImportError, match="say which with --format"):
        format_for("framework.txt")


@pytest.mark.parametrize("file_format", FORMATS)
def test_every_format_round_trips_the_sample(file_format):
    document = parse_framework(SAMPLE.read_bytes(), file_name=SAMPLE.name)
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    text = export_framework(document, file_format, changed_at=moment)
    again = parse_framework(text, file_name="again", file_format=file_format)
    assert [i.code for i in again.items()] == [i.code for i in document.items()]
    assert export_framework(again, file_format, changed_at=moment) == text


def test_the_explicit_format_wins_over_the_name():
    text = SAMPLE.read_text(encoding="utf-8")
    with pytest.raises(CsvImportError):
        parse_framework(text, file_name="sample.yaml", file_format="csv")


def test_unknown_formats_are_refused():
    with pytest.raises(FrameworkImportError, match="unknown format 'xml'"):
        parse_framework("x", file_name="x", file_format="xml")


# ---------------------------------------------------------------- any document, any format

TEXT = st.text(
    alphabet=st.one_of(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), st.just("\n")),
    min_size=1,
    max_size=30,
).filter(lambda text: clean_text(text) != "")
CODE_PART = st.text(alphabet="ABCXYZabc019._-/ #:'\"", min_size=1, max_size=6).map(str.strip)
IDENTIFIER = st.one_of(st.none(), st.uuids().map(str))


@st.composite
def documents(draw: st.DrawFn) -> FrameworkDocument:
    numbers = itertools.count(1)

    def code() -> str:
        # the number after the last dot is unique in the document: "1" + "2" and "" + "12"
        # once made the same code twice
        return f"{draw(CODE_PART)}.{next(numbers)}".strip()

    def indicators() -> tuple[PerformanceIndicator, ...]:
        return tuple(
            PerformanceIndicator(
                code(),
                draw(TEXT),
                draw(st.one_of(st.just(""), TEXT)),
                tuple(
                    LearningObjective(code(), draw(TEXT), draw(IDENTIFIER))
                    for _ in range(draw(st.integers(0, 2)))
                ),
                draw(IDENTIFIER),
            )
            for _ in range(draw(st.integers(0, 2)))
        )

    def standards(kind: StandardKind, most: int) -> tuple[GraduationStandard, ...]:
        return tuple(
            GraduationStandard(
                code(), draw(TEXT), kind, draw(st.one_of(st.just(""), TEXT)), indicators(), draw(IDENTIFIER)
            )
            for _ in range(draw(st.integers(0, most)))
        )

    values = draw(
        st.lists(
            st.sampled_from(["0", "0.5", "1", "2", "2.5", "3", "4", "10"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    levels = tuple(
        Level(
            Decimal(value),
            draw(TEXT),
            draw(st.from_regex(r"#[0-9a-f]{6}", fullmatch=True)),
            draw(st.one_of(st.just(""), TEXT)),
        )
        for value in values
    )
    scale = build_scale(levels, meets=Decimal(draw(st.sampled_from(values))), half_points=draw(st.booleans()))
    return FrameworkDocument(
        code=code(),
        title=draw(TEXT),
        scale=scale,
        version=draw(st.integers(1, 50)),
        description=draw(st.one_of(st.just(""), TEXT)),
        content_areas=tuple(
            ContentArea(code(), draw(TEXT), standards(StandardKind.CONTENT_AREA, 2), draw(IDENTIFIER))
            for _ in range(draw(st.integers(0, 2)))
        ),
        cross_curricular=standards(StandardKind.CROSS_CURRICULAR, 2),
        habits_of_work=standards(StandardKind.HABIT_OF_WORK, 1),
        case_identifier=draw(IDENTIFIER),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_yaml_and_csv_give_back_any_document_exactly(document):
    for file_format in ("yaml", "csv"):
        text = export_framework(document, file_format, changed_at=MOMENT)
        assert parse_framework(text, file_name="x", file_format=file_format) == document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents())
def test_case_gives_back_any_document_with_identifiers_derived_from_codes(document):
    text = export_framework(document, "case", changed_at=MOMENT)
    back = parse_framework(text, file_name="x.json")
    assert [(i.code, i.title) for i in back.items()] == [(i.code, i.title) for i in document.items()]
    assert (back.code, back.title, back.version, back.description, back.scale) == (
        document.code,
        document.title,
        document.version,
        document.description,
        document.scale,
    )
    kept = [i.case_identifier for i in document.items()]
    assert [i.case_identifier for i in back.items()] == [
        mine or theirs for mine, theirs in zip(kept, [i.case_identifier for i in back.items()], strict=True)
    ]
    assert export_framework(back, "case", changed_at=MOMENT) == text
