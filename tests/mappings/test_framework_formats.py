from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config import FRAMEWORKS_DIR
from mappings.framework_formats import FORMATS, export_framework, format_for, parse_framework
from pbridge.errors import CsvImportError, FrameworkImportError

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"


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
