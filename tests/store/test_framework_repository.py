from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import FRAMEWORKS_DIR
from mappings import framework as pure
from mappings.framework_formats import parse_framework
from mappings.scale import Level
from pbridge.errors import CsvImportError, FrameworkImportError
from store.framework_repository import (
    FrameworkNotFound,
    FrameworkVersionConflict,
    find_indicator,
    find_standard,
    get_framework,
    import_framework,
    indicator_id_map,
    indicators_by_code,
    list_frameworks,
    list_versions,
    load_document,
    publish_framework,
    published_framework,
    save_framework,
)
from store.frameworks import Framework, FrameworkStatus, LearningObjective, PerformanceIndicator

SAMPLE = FRAMEWORKS_DIR / "sample-high-school.yaml"
CASE_SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "case-samples"


@pytest.fixture(scope="module")
def sample() -> pure.FrameworkDocument:
    return parse_framework(SAMPLE.read_bytes(), file_name=SAMPLE.name)


def small(**changes: object) -> pure.FrameworkDocument:
    standard = pure.GraduationStandard(
        "M.1",
        "Solve equations",
        indicators=(
            pure.PerformanceIndicator(
                "M.1.PI.1",
                "Linear equations",
                objectives=(pure.LearningObjective("M.1.PI.1.LO.1", "Inverse operations"),),
            ),
            pure.PerformanceIndicator("M.1.PI.2", "Systems"),
        ),
    )
    other = pure.GraduationStandard(
        "M.2", "Functions", indicators=(pure.PerformanceIndicator("M.2.PI.1", "Notation"),)
    )
    values: dict[str, object] = {
        "code": "SMALL",
        "title": "Small framework",
        "content_areas": (pure.ContentArea("M", "Mathematics", (standard, other)),),
        "habits_of_work": (
            pure.GraduationStandard(
                "H.1",
                "Responsibility",
                pure.StandardKind.HABIT_OF_WORK,
                indicators=(pure.PerformanceIndicator("H.1.PI.1", "On time"),),
            ),
        ),
    }
    values.update(changes)
    return pure.FrameworkDocument(**values)  # type: ignore[arg-type]


def test_a_new_code_makes_version_one_as_a_draft_that_loads_back_unchanged(db_session, sample):
    framework = save_framework(db_session, sample)
    assert (framework.code, framework.version, framework.status) == (
        "SAMPLE-HS",
        1,
        FrameworkStatus.DRAFT,
    )
    assert load_document(db_session, framework) == sample
    assert len(indicators_by_code(db_session, framework)) == len(sample.indicators)


def test_a_stored_framework_loads_back_from_a_fresh_session(database, sample):
    with database.begin() as session:
        save_framework(session, sample, source_format="yaml")
    with database.begin() as session:
        framework = get_framework(session, "SAMPLE-HS")
        assert framework.source_format == "yaml"
        assert load_document(session, framework) == sample


def test_publishing_makes_the_indicators_findable_by_code(db_session, sample):
    save_framework(db_session, sample)
    assert find_indicator(db_session, "SAMPLE-HS", "MATH.3.PI.1") is None  # drafts are not in use
    published = publish_framework(db_session, "SAMPLE-HS", at=datetime(2026, 1, 5, tzinfo=UTC))
    assert published.status is FrameworkStatus.PUBLISHED
    assert published.published_at == datetime(2026, 1, 5, tzinfo=UTC)
    indicator = find_indicator(db_session, "SAMPLE-HS", "MATH.3.PI.1")
    assert indicator is not None and indicator.framework_id == published.id
    assert [o.code for o in indicator.objectives][:2] == ["MATH.3.PI.1.LO.1", "MATH.3.PI.1.LO.2"]
    habit = find_standard(db_session, "SAMPLE-HS", "HOW.2")
    assert habit is not None and habit.kind.value == "habit_of_work"
    assert find_indicator(db_session, "SAMPLE-HS", "MATH.99") is None
    assert published_framework(db_session, "SAMPLE-HS") == published


def edited(document: pure.FrameworkDocument) -> pure.FrameworkDocument:
    """Version 2: one indicator reworded, one removed, one added."""
    area = document.content_areas[0]
    first, second = area.standards
    first = replace(
        first,
        indicators=(
            replace(first.indicators[0], title="Solve linear equations and inequalities"),
            pure.PerformanceIndicator("M.1.PI.3", "Quadratics"),
        ),
    )
    return replace(document, content_areas=(replace(area, standards=(first, second)),))


def test_editing_a_published_framework_makes_a_new_version_and_keeps_the_old_rows(db_session):
    v1 = save_framework(db_session, small())
    publish_framework(db_session, "SMALL")
    old_linear = find_indicator(db_session, "SMALL", "M.1.PI.1")
    old_systems = find_indicator(db_session, "SMALL", "M.1.PI.2")
    assert old_linear is not None and old_systems is not None

    v2 = save_framework(db_session, edited(small()))
    assert (v2.version, v2.status, v2.previous_version_id) == (2, FrameworkStatus.DRAFT, v1.id)
    assert v1.status is FrameworkStatus.PUBLISHED  # still in use until v2 is published
    assert find_indicator(db_session, "SMALL", "M.1.PI.1") == old_linear

    publish_framework(db_session, "SMALL")
    assert [v.status for v in list_versions(db_session, "SMALL")] == [
        FrameworkStatus.RETIRED,
        FrameworkStatus.PUBLISHED,
    ]
    new_linear = find_indicator(db_session, "SMALL", "M.1.PI.1")
    assert new_linear is not None and new_linear.id != old_linear.id
    assert new_linear.title == "Solve linear equations and inequalities"
    # evidence recorded against version 1 still finds its rows
    assert db_session.get(PerformanceIndicator, old_systems.id).code == "M.1.PI.2"
    mapping = indicator_id_map(db_session, v1, v2)
    assert mapping[old_linear.id] == new_linear.id
    assert old_systems.id not in mapping  # removed in version 2
    assert len(mapping) == 3  # M.1.PI.1, M.2.PI.1, H.1.PI.1
    assert load_document(db_session, v1) == small()
    assert load_document(db_session, v2) == replace(edited(small()), version=2)


def test_saving_what_is_published_changes_nothing(db_session):
    save_framework(db_session, small())
    publish_framework(db_session, "SMALL")
    again = save_framework(db_session, small(version=7))
    assert again.version == 1
    assert len(list_versions(db_session, "SMALL")) == 1


def test_a_draft_is_edited_in_place_and_rows_keep_their_ids_by_code(db_session):
    draft = save_framework(db_session, small())
    ids = {code: row.id for code, row in indicators_by_code(db_session, draft).items()}
    objective_id = db_session.scalars(select(LearningObjective.id)).one()

    area = small().content_areas[0]
    first, second = area.standards
    moved = replace(first.indicators[1], title="Systems of equations")  # M.1.PI.2 moves to M.2
    document = small(
        title="Renamed",
        scale=pure.build_scale(
            (Level(Decimal(1), "Low", "#b3261e"), Level(Decimal(2), "High", "#1b5e20")),
            meets=Decimal(2),
            half_points=True,
        ),
        content_areas=(
            replace(
                area,
                title="Maths",
                standards=(
                    replace(second, indicators=(*second.indicators, moved)),
                    replace(first, indicators=(first.indicators[0],)),
                ),
            ),
        ),
        habits_of_work=(),
    )
    again = save_framework(db_session, document)
    assert again.id == draft.id and again.version == 1
    assert load_document(db_session, again) == document
    after = indicators_by_code(db_session, again)
    assert after["M.1.PI.2"].id == ids["M.1.PI.2"]
    assert after["M.1.PI.2"].standard.code == "M.2"
    assert after["M.1.PI.1"].id == ids["M.1.PI.1"]
    assert "H.1.PI.1" not in after
    assert db_session.scalars(select(LearningObjective.id)).one() == objective_id
    assert db_session.scalar(select(func.count()).select_from(PerformanceIndicator)) == 3


def test_publishing_refuses_what_cannot_change(db_session):
    save_framework(db_session, small())
    with pytest.raises(FrameworkNotFound, match="no framework has the code 'NOPE'"):
        publish_framework(db_session, "NOPE")
    with pytest.raises(FrameworkNotFound, match=r"has no version 4 \(it has 1\)"):
        publish_framework(db_session, "SMALL", version=4)
    publish_framework(db_session, "SMALL")
    with pytest.raises(FrameworkVersionConflict, match="version 1 of 'SMALL' is already published"):
        publish_framework(db_session, "SMALL")
    save_framework(db_session, edited(small()))
    publish_framework(db_session, "SMALL")
    with pytest.raises(FrameworkVersionConflict, match="was retired"):
        publish_framework(db_session, "SMALL", version=1)


def test_get_framework_prefers_the_published_version(db_session):
    save_framework(db_session, small())
    assert get_framework(db_session, "SMALL").status is FrameworkStatus.DRAFT
    publish_framework(db_session, "SMALL")
    save_framework(db_session, edited(small()))
    assert get_framework(db_session, "SMALL").version == 1
    assert get_framework(db_session, "SMALL", version=2).status is FrameworkStatus.DRAFT
    assert [f.code for f in list_frameworks(db_session)] == ["SMALL", "SMALL"]


def test_an_import_reads_saves_and_publishes(db_session):
    result = import_framework(
        db_session, SAMPLE.read_bytes(), file_name=SAMPLE.name, publish=True, code="DISTRICT"
    )
    assert result.changed
    assert result.framework.code == result.document.code == "DISTRICT"
    assert result.framework.status is FrameworkStatus.PUBLISHED
    again = import_framework(
        db_session, SAMPLE.read_bytes(), file_name=SAMPLE.name, publish=True, code="DISTRICT"
    )
    assert not again.changed and again.framework.id == result.framework.id


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (b"code: X\ntitle: Y\ncontent_areas: [{code: A}]\n", "bad.yaml", FrameworkImportError),
        (b"type,code,parent,title\nframework,X,,Y\nindicator,I,S,Z\n", "bad.csv", CsvImportError),
        (
            b'{"CFDocument": {"identifier": "d", "title": "T"}, "CFItems": [{}]}',
            "bad.json",
            FrameworkImportError,
        ),
    ],
)
def test_a_bad_file_stores_nothing(database, data, name, error):
    with database.begin() as session:
        save_framework(session, small())
    with pytest.raises(error), database.begin() as session:
        publish_framework(session, "SMALL")
        import_framework(session, data, file_name=name, publish=True)
    with database.begin() as session:
        assert [(f.code, f.status) for f in list_frameworks(session)] == [("SMALL", FrameworkStatus.DRAFT)]


@pytest.mark.skipif(not CASE_SAMPLES.is_dir(), reason="no CASE samples")
@pytest.mark.parametrize("name", ["opensalt-framework-ccss-math-ratios.json", "test_framework_case.json"])
def test_case_packages_keep_their_identifiers_through_the_database(db_session, name):
    path = CASE_SAMPLES / name
    result = import_framework(db_session, path.read_bytes(), file_name=name)
    assert result.framework.source_format == "case"
    assert load_document(db_session, result.framework) == result.document
    rows = db_session.scalars(select(Framework)).all()
    assert rows[0].case_identifier == result.document.case_identifier
