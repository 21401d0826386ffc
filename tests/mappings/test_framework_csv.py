from __future__ import annotations

import pytest

from config import FRAMEWORKS_DIR
from mappings.framework import StandardKind
from mappings.framework_formats import csv_format, yaml_format
from pbridge.errors import CsvImportError

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"

SMALL = """\
type,code,parent,title,description,value,colour,meets,half_points,version,case_identifier
framework,DEMO,,Demo framework,,,,3,yes,2,
level,,,Not yet,,1,#b3261e,,,,
level,,,Meets,Independently,3,#1b5e20,,,,
indicator,MATH.1.PI.1,MATH.1,Solve linear equations,,,,,,,
content_area,MATH,,Mathematics,,,,,,,
standard,MATH.1,MATH,Solve equations,,,,,,,
objective,1.10,MATH.1.PI.1,"Use inverse operations, step by step",,,,,,,
cross_curricular,CC.1,,Communicate,,,,,,,
habit_of_work,HOW.1,,Responsibility,,,,,,,
indicator,HOW.1.PI.1,HOW.1,Meets deadlines,,,,,,,
"""


def test_rows_become_the_framework_shape_whatever_their_order():
    document = csv_format.parse(SMALL, file_name="demo.csv")
    assert document.code == "DEMO"
    assert document.version == 2
    assert document.scale.half_points is True
    assert document.scale.levels[1].description == "Independently"
    standard = document.content_areas[0].standards[0]
    assert standard.indicators[0].objectives[0].code == "1.10"
    assert standard.indicators[0].objectives[0].title == "Use inverse operations, step by step"
    assert document.cross_curricular[0].kind is StandardKind.CROSS_CURRICULAR
    assert document.habits_of_work[0].indicators[0].title == "Meets deadlines"


def test_the_sample_round_trips_exactly_and_matches_the_yaml():
    from_yaml = yaml_format.parse(SAMPLE.read_bytes(), file_name=SAMPLE.name)
    exported = csv_format.export(from_yaml)
    assert csv_format.parse(exported, file_name="sample.csv") == from_yaml
    assert csv_format.parse(exported.encode("utf-8-sig"), file_name="sample.csv") == from_yaml


def test_columns_may_come_in_any_order_and_case_and_blank_rows_are_skipped():
    text = "Title,TYPE,code,parent\nDemo,framework,D,\n,,,\nArea,content_area,A,\n"
    document = csv_format.parse(text, file_name="demo.csv")
    assert [area.code for area in document.content_areas] == ["A"]


def test_statements_on_several_lines_survive_a_round_trip():
    text = SMALL.replace("Solve equations", '"Solve\nequations"')
    document = csv_format.parse(text, file_name="demo.csv")
    assert document.content_areas[0].standards[0].title == "Solve\nequations"
    assert csv_format.parse(csv_format.export(document), file_name="x.csv") == document


def replace_line(number: int, new: str) -> str:
    lines = SMALL.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "demo.csv, line 1: the file is empty"),
        (
            "type,code,title\n",
            "line 1: the first line must name the columns type, code, parent, title; missing: parent",
        ),
        (
            "type;code;parent;title\n",
            "line 1: unknown column 'type;code;parent;title'; the file seems separated by semicolons",
        ),
        ("type,code,parent,title,colour,color\n", "line 1: unknown column 'color'; did you mean 'colour'?"),
        ("type,code,parent,title,code\n", "line 1: the column 'code' is named twice"),
        (
            "type,code,parent,title\ncontent_area,A,,Area\n",
            "line 1, column 'type': there is no row of type 'framework'",
        ),
        (
            SMALL + "framework,OTHER,,Other,,,,,,,\n",
            "line 12, column 'type': a second 'framework' row; the first is on line 2",
        ),
        (
            replace_line(5, "indicatr,X,MATH.1,Y,,,,,,,"),
            "line 5, column 'type': unknown type 'indicatr'; did you mean 'indicator'?",
        ),
        (
            replace_line(5, "indicator,MATH.1.PI.1,MATH.9,Solve,,,,,,,"),
            "line 5, column 'parent': no standard or cross_curricular or habit_of_work row has the code"
            " 'MATH.9'",
        ),
        (
            replace_line(5, "indicator,MATH.1.PI.1,MATH,Solve,,,,,,,"),
            "line 5, column 'parent': 'MATH' (line 6) is a content_area; the parent of an indicator must"
            " be a standard or a cross_curricular or a habit_of_work",
        ),
        (
            replace_line(5, "indicator,MATH.1.PI.1,,Solve,,,,,,,"),
            "line 5, column 'parent': an indicator row needs a parent",
        ),
        (
            replace_line(5, "indicator,MATH.1.PI.1,MATH.1,,,,,,,,"),
            "line 5, column 'title': an indicator row needs a title",
        ),
        (
            replace_line(5, "indicator,MATH.1.PI.1,MATH.1,Solve,,3,,,,,"),
            "line 5, column 'value': the column 'value' does not apply to an indicator row",
        ),
        (
            replace_line(6, "content_area,MATH,X,Mathematics,,,,,,,"),
            "line 6, column 'parent': the column 'parent' does not apply to a content_area row",
        ),
        (
            replace_line(11, "indicator,MATH.1,HOW.1,Meets deadlines,,,,,,,"),
            "line 11, column 'code': the code 'MATH.1' is already used at line 7",
        ),
        (
            replace_line(3, "level,,,Not yet,,one,#b3261e,,,,"),
            "line 3, column 'value': the level value 'one' is not a number",
        ),
        (
            replace_line(3, "level,,,Not yet,,1,red,,,,"),
            "line 3, column 'colour': the colour 'red' of level 1 is not a colour",
        ),
        (replace_line(3, "level,,,Not yet,,1,,,,,"), "line 3, column 'colour': a level row needs a colour"),
        (
            replace_line(3, "level,,,Not yet,,1e6,#b3261e,,,,"),
            "line 3, column 'value': the level value 1000000 cannot be stored",
        ),
        (
            replace_line(2, "framework,DEMO,,Demo framework,,,,2,yes,2,"),
            "line 2, column 'meets': the 'meets' value 2 is not one of the level values (1, 3)",
        ),
        (
            replace_line(2, "framework,DEMO,,Demo framework,,,,,yes,2,"),
            "line 2, column 'meets': say which level value meets the standard",
        ),
        (
            replace_line(2, "framework,DEMO,,Demo framework,,,,3,maybe,2,"),
            "line 2, column 'half_points': the half_points value 'maybe' is not yes or no",
        ),
        (
            replace_line(2, "framework,DEMO,,Demo framework,,,,3,yes,v2,"),
            "line 2, column 'version': the version 'v2' is not a whole number",
        ),
        (
            replace_line(4, "level,,,Meets,,1,#1b5e20,,,,"),
            "line 2, column 'meets': the level value 1 is given twice",
        ),
        (
            replace_line(9, "cross_curricular,CC.1,,Communicate,,,,,,,,extra"),
            "line 9: this row has 12 cells but the first line names 11 columns",
        ),
        (replace_line(9, 'cross_curricular,CC.1,,"Communicate,,,,,,,'), "unreadable CSV"),
        (
            replace_line(9, "cross_curricular,CC.1,," + "x" * 1001 + ",,,,,,,"),
            "line 9: the title is 1001 characters long",
        ),
        (
            b"type,code,parent,title\nframework,D,,\xe9t\xe9\n",
            "demo.csv, line 2: the file is not UTF-8 text; save it as 'CSV UTF-8'",
        ),
    ],
)
def test_bad_rows_are_refused_naming_line_and_column(text, message):
    with pytest.raises(CsvImportError) as caught:
        csv_format.parse(text, file_name="demo.csv")
    assert message in str(caught.value)
