"""`pbridge framework ...` against a migrated SQLite database, as a district admin runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from config import FRAMEWORKS_DIR
from mappings.framework_formats import parse_framework
from pbridge.cli import main
from pbridge.commands.framework import load_sample_framework
from pbridge.settings import Settings
from store.database import Database
from store.framework_repository import list_frameworks
from store.migrate import upgrade

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"
CASE_SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "case-samples"


@pytest.fixture(scope="module")
def migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "pbridge.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def pbridge(tmp_path, migrated_template):
    database = tmp_path / "pbridge.db"
    shutil.copy(migrated_template, database)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, list(args), env={"DATABASE_URL": f"sqlite:///{database}"})

    return run


def test_import_stores_a_draft_and_says_what_it_holds(pbridge):
    result = pbridge("framework", "import", str(SAMPLE))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Imported SAMPLE-HS version 1 as a draft: 4 content areas, 25 standards,"
        " 6 cross-curricular standards, 4 habits of work, 181 indicators.",
        "Publish it with `pbridge framework publish SAMPLE-HS`.",
    ]
    listing = pbridge("framework", "list")
    assert listing.output.splitlines()[1].split()[:3] == ["SAMPLE-HS", "1", "draft"]


def test_publish_then_a_changed_import_makes_version_two(pbridge, tmp_path):
    assert pbridge("framework", "import", str(SAMPLE), "--publish").exit_code == 0
    changed = tmp_path / "changed.yaml"
    changed.write_text(
        SAMPLE.read_text(encoding="utf-8").replace("Solve linear equations", "Solve equations"),
        encoding="utf-8",
    )
    result = pbridge("framework", "import", str(changed))
    assert "Imported SAMPLE-HS version 2 as a draft" in result.output
    published = pbridge("framework", "publish", "SAMPLE-HS")
    assert published.output.splitlines() == [
        "Published SAMPLE-HS version 2.",
        "Version 1 is retired; evidence recorded against it is kept.",
    ]
    statuses = [line.split()[:3] for line in pbridge("framework", "list").output.splitlines()[1:]]
    assert statuses == [["SAMPLE-HS", "1", "retired"], ["SAMPLE-HS", "2", "published"]]


def test_importing_what_is_published_changes_nothing(pbridge):
    pbridge("framework", "import", str(SAMPLE), "--publish")
    again = pbridge("framework", "import", str(SAMPLE), "--publish")
    assert again.exit_code == 0
    assert "SAMPLE-HS version 1 (published) already holds this framework" in again.output


def test_show_prints_the_scale_and_the_tree(pbridge):
    pbridge("framework", "import", str(SAMPLE), "--publish")
    result = pbridge("framework", "show", "SAMPLE-HS")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("SAMPLE-HS version 1 (published 20")
    assert lines[1] == (
        "Scale: 1 Does not meet · 2 Partially meets · 3 Meets (meets) · 4 Exceeds; half points: no"
    )
    assert "MATH  Mathematics" in lines
    assert any(line.startswith("      MATH.3.PI.1.LO.1  ") for line in lines)
    assert "Habits of work" in lines


@pytest.mark.parametrize("file_format", ["yaml", "csv", "case"])
def test_export_writes_what_import_reads(pbridge, tmp_path, file_format):
    pbridge("framework", "import", str(SAMPLE), "--publish")
    original = parse_framework(SAMPLE.read_bytes(), file_name=SAMPLE.name)
    result = pbridge("framework", "export", "SAMPLE-HS", "--format", file_format)
    assert result.exit_code == 0, result.output
    back = parse_framework(result.output, file_name="out", file_format=file_format)
    assert [item.code for item in back.items()] == [item.code for item in original.items()]
    assert back.scale == original.scale


def test_export_to_a_file_takes_the_format_from_its_name(pbridge, tmp_path):
    pbridge("framework", "import", str(SAMPLE))
    target = tmp_path / "out.csv"
    result = pbridge("framework", "export", "SAMPLE-HS", "--version", "1", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert parse_framework(target.read_bytes(), file_name=target.name) == parse_framework(
        SAMPLE.read_bytes(), file_name=SAMPLE.name
    )


@pytest.mark.skipif(not CASE_SAMPLES.is_dir(), reason="no CASE samples")
def test_a_case_package_imports_under_a_code_of_our_choice(pbridge):
    path = CASE_SAMPLES / "opensalt-framework-ccss-math-ratios.json"
    result = pbridge("framework", "import", str(path), "--code", "CCSS-RATIOS")
    assert result.exit_code == 0, result.output
    assert "Imported CCSS-RATIOS version 1 as a draft: 1 content area, 2 standards" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("framework", "publish", "NOPE"), "Error: no framework has the code 'NOPE'"),
        (("framework", "export", "NOPE", "--format", "yaml"), "Error: no framework has the code 'NOPE'"),
        (("framework", "show", "NOPE"), "Error: no framework has the code 'NOPE'"),
    ],
)
def test_unknown_codes_are_one_line_and_exit_one(pbridge, args, message):
    result = pbridge(*args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [message + "; `pbridge framework list` shows the codes"]


def test_a_malformed_file_is_refused_with_its_place_and_nothing_is_stored(pbridge, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: X\ntitle: Y\ncontent_areas:\n  - code: A\n", encoding="utf-8")
    result = pbridge("framework", "import", str(bad), "--publish")
    assert result.exit_code == 1
    assert (
        result.output.strip() == f"Error: {bad}, line 4: the content area 'A' has no title; add 'title: ...'"
    )
    assert "No frameworks yet" in pbridge("framework", "list").output


def test_publishing_twice_is_refused(pbridge):
    pbridge("framework", "import", str(SAMPLE), "--publish")
    result = pbridge("framework", "publish", "SAMPLE-HS")
    assert result.exit_code == 1
    assert "version 1 of 'SAMPLE-HS' is already published" in result.output


def test_export_needs_a_format_or_a_file_name(pbridge):
    result = pbridge("framework", "export", "SAMPLE-HS")
    assert result.exit_code == 2
    assert "say which format with --format yaml, csv or case" in result.output


def test_an_unmigrated_database_asks_for_db_upgrade(tmp_path):
    result = CliRunner().invoke(
        main, ["framework", "list"], env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
    )
    assert result.exit_code == 1
    assert "run `pbridge db upgrade` first" in result.output


def test_the_demo_step_publishes_the_sample_once(tmp_path, migrated_template):
    path = tmp_path / "demo.db"
    shutil.copy(migrated_template, path)
    database = Database(f"sqlite:///{path}")
    said: list[str] = []
    try:
        for _ in range(2):
            load_sample_framework(database, Settings(database_url=f"sqlite:///{path}"), said.append)
        with database.begin() as session:
            assert [(f.code, f.version, f.status.value) for f in list_frameworks(session)] == [
                ("SAMPLE-HS", 1, "published")
            ]
    finally:
        database.dispose()
    assert said[0].startswith("Framework SAMPLE-HS version 1 is published: 4 content areas")
