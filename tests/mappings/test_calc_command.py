"""`pbridge calc` through Click's runner on the real `pbridge` group."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from pbridge.cli import main

GOOD = """student,indicator,level,score,max,assessed_at,purpose,attempt,replaces,excluded_reason
ana,MATH.1.PI.1,1,,,2026-09-01,summative,1,,
ana,MATH.1.PI.1,,18,20,2026-09-08,summative,2,,
ana,MATH.1.PI.1,2,,,2026-09-03,formative,3,,
ana,MATH.1.PI.1,3,,,2026-09-20,summative,4,1,
ben,MATH.1.PI.1,,,,2026-09-01,summative,,,
ben,MATH.1.PI.1,2,,,2026-09-05,summative,,,
ben,MATH.1.PI.1,4,,,2026-09-06,summative,,,copied
"""


def run(tmp_path, text, *args):
    path = tmp_path / "evidence.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["calc", *args, str(path)])


def test_json_output_has_values_and_explanations(tmp_path):
    result = run(tmp_path, GOOD, "--method", "mean", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {(r["student"], r["indicator"]): r["results"][0] for r in json.loads(result.output)["standings"]}
    ana = rows[("ana", "MATH.1.PI.1")]
    assert ana["value"] == "3.50"  # 18/20 = 90 % → 4, and the retake 3 replaces attempt 1
    reasons = [line["reason"] for line in ana["explanation"]["left_out"]]
    assert any("replaced by reassessment line 5" in r for r in reasons)
    assert any("formative" in r for r in reasons)
    ben = rows[("ben", "MATH.1.PI.1")]
    assert ben["value"] == "2.00"  # the missing score is not a 0; the copied one is excluded
    assert "excluded by a teacher: copied" in ben["plain"]


def test_compare_prints_methods_side_by_side(tmp_path):
    result = run(
        tmp_path, GOOD, "--compare", "mean,decaying_average,weighted_average", "--param", "weight=0.5"
    )
    assert result.exit_code == 0, result.output
    header, ana, _ = result.output.splitlines()
    assert header.split() == [
        "student",
        "indicator",
        "mean",
        "decaying_average(weight=0.50)",
        "weighted_average(weight=0.50)",
    ]
    assert ana.split() == ["ana", "MATH.1.PI.1", "3.5", "3.5", "3.5"]


def test_minimum_observations_shows_insufficient(tmp_path):
    result = run(tmp_path, GOOD, "--method", "latest", "--min-observations", "2")
    assert result.exit_code == 0, result.output
    assert "insufficient" in result.output.splitlines()[2]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (GOOD.replace("ana,MATH.1.PI.1,1,", "ana,MATH.1.PI.1,7,", 1), "line 2, column 'level'"),
        (GOOD.replace("2026-09-08", "8 Sept"), "line 3, column 'assessed_at'"),
        (GOOD.replace("formative", "practice"), "line 4, column 'purpose'"),
        (GOOD.replace(",18,20,", ",18,,"), "line 3, column 'max'"),
        (GOOD.replace("summative,4,1", "summative,4,9"), "line 5, column 'replaces'"),
        (GOOD.replace("summative,4,1", "summative,2,"), "line 5, column 'attempt'"),
        (GOOD.replace("ben,MATH.1.PI.1,2,", ",MATH.1.PI.1,2,"), "line 7, column 'student'"),
        (GOOD.replace("excluded_reason", "comment"), "line 1, column 'comment'"),
        (GOOD.replace(",1,,,2026-09-01", ",1.005,,,2026-09-01"), "line 2, column 'level'"),
    ],
)
def test_bad_rows_print_only_the_error(tmp_path, text, where):
    result = run(tmp_path, text, "--method", "mean")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert where in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "vibes"], "unknown calculation method"),
        ([], "name a method"),
        (["--method", "mean", "--param", "weight=0.5"], "no chosen method takes the parameter weight"),
        (["--method", "decaying_average", "--param", "weight=2"], "between 0 and 1"),
        (["--method", "mean", "--param", "weight"], "name=value"),
    ],
)
def test_bad_options_are_one_line(tmp_path, args, message):
    result = run(tmp_path, GOOD, *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert message in result.stderr
