from __future__ import annotations

from decimal import Decimal

import pytest

from config import FRAMEWORKS_DIR
from mappings.framework import StandardKind
from mappings.framework_formats import yaml_format
from pbridge.errors import FrameworkImportError

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"

SMALL = """\
code: DEMO
title: Demo framework
version: 2
scale:
  meets: 3
  half_points: yes
  levels:
    - value: 1
      label: Not yet
      colour: "#b3261e"
    - value: 3
      label: Meets
      colour: "#1b5e20"
      description: Independently
content_areas:
  - code: MATH
    title: Mathematics
    standards:
      - code: MATH.1
        title: Solve equations
        indicators:
          - code: MATH.1.PI.1
            title: Solve linear equations
            objectives:
              - code: "1.10"
                title: Use inverse operations
cross_curricular_standards:
  - code: CC.1
    title: Communicate
habits_of_work:
  - code: HOW.1
    title: Responsibility
    indicators:
      - code: HOW.1.PI.1
        title: Meets deadlines
"""


def test_a_small_file_is_read_into_the_framework_shape():
    document = yaml_format.parse(SMALL, file_name="demo.yaml")
    assert document.code == "DEMO"
    assert document.version == 2
    assert document.scale.half_points is True
    assert [level.value for level in document.scale.levels] == [Decimal(1), Decimal(3)]
    assert document.scale.levels[1].description == "Independently"
    objective = document.content_areas[0].standards[0].indicators[0].objectives[0]
    assert objective.code == "1.10"  # read as text, never as the number 1.1
    assert document.cross_curricular[0].kind is StandardKind.CROSS_CURRICULAR
    assert document.habits_of_work[0].indicators[0].code == "HOW.1.PI.1"


def test_the_sample_round_trips_exactly():
    document = yaml_format.parse(SAMPLE.read_bytes(), file_name=SAMPLE.name)
    again = yaml_format.parse(yaml_format.export(document), file_name="again.yaml")
    assert again == document


def test_multi_line_statements_survive_a_round_trip():
    text = SMALL.replace("title: Solve equations", 'title: "Solve\\nequations: two lines"')
    document = yaml_format.parse(text, file_name="demo.yaml")
    exported = yaml_format.export(document)
    assert "|-" in exported
    assert yaml_format.parse(exported, file_name="x.yaml") == document


def test_a_missing_scale_means_the_default_scale():
    document = yaml_format.parse("code: X\ntitle: Y\n", file_name="x.yaml")
    assert [level.label for level in document.scale.levels][-1] == "Exceeds"
    assert document.content_areas == ()


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """The line (from 1) of the n-th line ending with `fragment`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if line.endswith(fragment)]
    return hits[occurrence - 1]


DUPLICATE_INDICATOR = SMALL.replace("code: HOW.1.PI.1", "code: MATH.1.PI.1")
DUPLICATE_AREA = SMALL.replace("code: CC.1\n", "code: MATH\n")
TOO_LONG = SMALL.replace("title: Solve linear equations", "title: " + "x" * 1001)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "demo.yaml: the file is empty"),
        ("code: [unclosed\n", "demo.yaml, line 2: this is not valid YAML"),
        ("- just\n- a list\n", "demo.yaml, line 1: the framework must be a set of 'key: value' lines"),
        ("code: X\ntitle: Y\n---\ncode: Z\n", "line 3: this is not valid YAML: but found another document"),
        (SMALL.replace("code: DEMO\n", ""), "demo.yaml, line 1: the framework has no code; add 'code: ...'"),
        (
            SMALL.replace("title: Demo framework\n", "title:\n"),
            "line 2, field 'title': the framework has no title",
        ),
        (
            SMALL.replace("version: 2", "version: two"),
            "line 3, field 'version': the version 'two' is not a whole number",
        ),
        (
            SMALL.replace("    - value: 1\n", "    - value: one\n"),
            "line 8, field 'value': the level value 'one' is not a number",
        ),
        (
            SMALL.replace('colour: "#b3261e"', "colour: #b3261e"),
            "line 10, field 'colour': a level has no colour; add 'colour: ...' (quote colours",
        ),
        (
            SMALL.replace('colour: "#b3261e"', "colour: red"),
            "line 10, field 'colour': the colour 'red' of level 1 is not a colour like '#2e7d32'",
        ),
        (
            SMALL.replace("  meets: 3\n", "  meets: 2\n"),
            "line 5: the 'meets' value 2 is not one of the level values (1, 3)",
        ),
        (SMALL.replace("  meets: 3\n", ""), "line 5: the scale has no meets"),
        (
            SMALL.replace("half_points: yes", "half_points: perhaps"),
            "line 6, field 'half_points': the half_points value 'perhaps' is not yes or no",
        ),
        (SMALL.replace("    - value: 3\n", "    - value: 1\n"), "line 5: the level value 1 is given twice"),
        (
            SMALL.replace(
                "indicators:\n          - code: MATH.1.PI.1", "indicator:\n          - code: MATH.1.PI.1"
            ),
            "line 21, field 'indicator': unknown field 'indicator' in the content-area standard"
            " 'MATH.1'; did you mean 'indicators'?",
        ),
        (
            SMALL.replace("        title: Solve equations\n", ""),
            "line 19: the content-area standard 'MATH.1' has no title",
        ),
        (
            DUPLICATE_INDICATOR,
            f"line {line_of(DUPLICATE_INDICATOR, 'MATH.1.PI.1', 2)}, field 'code': the code"
            f" 'MATH.1.PI.1' is already used at line {line_of(SMALL, 'MATH.1.PI.1')}, field 'code'",
        ),
        (
            DUPLICATE_AREA,
            f"line {line_of(DUPLICATE_AREA, 'code: MATH', 2)}, field 'code': the code 'MATH' is"
            f" already used at line {line_of(SMALL, 'code: MATH')}",
        ),
        (
            SMALL.replace("    title: Mathematics\n", "    title: Mathematics\n    title: Maths\n"),
            "line 18: the key 'title' appears twice in a content area",
        ),
        (
            "code: X\ntitle: Y\ncontent_areas: none\n",
            "line 3, field 'content_areas': 'content_areas' must be a list",
        ),
        (
            SMALL.replace("title: Solve linear equations", "title: [a, b]"),
            f"line {line_of(SMALL, 'title: Solve linear equations')}, field 'title': 'title' must be text,"
            f" not a list",
        ),
        (
            TOO_LONG,
            f"line {line_of(SMALL, 'code: MATH.1.PI.1')}: the title is 1001 characters long; at most 1000"
            f" fit",
        ),
        (
            "code: X\ntitle: Y\ncontent_areas:\n  - &a {code: A, title: B}\n  - *a\n",
            "line 4: YAML aliases (*name) are not supported",
        ),
        (b"code: X\ntitle: \xff\n", "demo.yaml, line 2: the file is not UTF-8 text"),
        (
            "code: X\ntitle: Y\nscale:\n  meets: 3\n",
            "line 4, field 'meets': 'meets' needs the levels it refers to",
        ),
        (
            "code: X\ntitle: Y\ncolour: blue\n",
            "line 3, field 'colour': unknown field 'colour' in the framework",
        ),
        (
            SMALL.replace("    - value: 1\n", "    - value: 1.001\n"),
            "line 8, field 'value': the level value 1.001 cannot be stored: use a number from -9999.99",
        ),
        (
            SMALL.replace("title: Solve linear equations", 'title: "Solve\\0equations"'),
            f"line {line_of(SMALL, 'code: MATH.1.PI.1')}: the title contains the control character U+0000",
        ),
    ],
)
def test_bad_files_are_refused_naming_line_and_field(text, message):
    with pytest.raises(FrameworkImportError) as caught:
        yaml_format.parse(text, file_name="demo.yaml")
    assert message in str(caught.value)
