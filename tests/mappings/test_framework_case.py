from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config import FRAMEWORKS_DIR
from mappings.framework import FrameworkDocument, StandardKind
from mappings.framework_formats import case_format, yaml_format
from pbridge.errors import FrameworkImportError

CASE_SAMPLES = Path(__file__).resolve().parents[2] / ".." / "shared" / "specs" / "case-samples"
SAMPLE_FILES = sorted(CASE_SAMPLES.glob("*.json")) if CASE_SAMPLES.is_dir() else []
needs_samples = pytest.mark.skipif(not SAMPLE_FILES, reason=f"no CASE samples at {CASE_SAMPLES}")
CHANGED = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
DOC_ID = "d0000000-0000-0000-0000-00000000000d"


def read_sample(name: str) -> FrameworkDocument:
    path = CASE_SAMPLES / name
    return case_format.parse(path.read_bytes(), file_name=path.name)


@needs_samples
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_every_opensalt_sample_imports_and_round_trips(path: Path):
    document = case_format.parse(path.read_bytes(), file_name=path.name)
    package = json.loads(path.read_text(encoding="utf-8"))
    assert document.case_identifier == package["CFDocument"]["identifier"]
    item_ids = {item["identifier"] for item in package["CFItems"]}
    kept = {item.case_identifier for item in document.items()}
    assert item_ids <= kept  # every CASE item is kept, with its identifier
    exported = case_format.export(document, changed_at=CHANGED)
    assert case_format.parse(exported, file_name="again.json") == document


@needs_samples
def test_sequence_numbers_order_siblings():
    document = read_sample("SequenceNumberFramework.json")
    assert [s.code for s in document.standards] == ["SNT.2", "SNT.1"]


@needs_samples
def test_codes_without_sequence_numbers_sort_in_natural_order():
    document = read_sample("Ordering.json")
    objectives = [o.code.rsplit(".", 1)[-1] for o in document.indicators[0].objectives]
    assert objectives == ["L1"] + [str(n) for n in range(1, 25)]


@needs_samples
def test_a_shallow_package_becomes_one_content_area_named_after_the_document():
    document = read_sample("opensalt-framework-ccss-math-ratios.json")
    (area,) = document.content_areas
    assert area.title == "What Standards Could Be"
    assert [s.code for s in area.standards] == ["CCSS.Math.Content.6.RP.A", "CCSS.Math.Content.7.RP.A"]
    ratios = document.item("CCSS.Math.Content.6.RP.A.3")
    assert [o.code[-2:] for o in ratios.objectives] == ["3a", "3b", "3c", "3d"]
    assert ratios.case_identifier == "d83a65ed-770c-4dbe-a505-11e5e17a9a79"
    # notes become the description; other association types are ignored
    assert document.item("CCSS.Math.Content.6.RP.A.2").description.startswith("Expectations")


@needs_samples
def test_a_deep_package_maps_depth_to_areas_standards_indicators_objectives():
    document = read_sample("test_framework_case.json")
    # sequence numbers first (F and M share 1: natural order of code), then the rest
    assert [a.code for a in document.content_areas] == ["F", "M", "H.A.SCI.SCP", "H.A.SCI.CSC"]
    energy = document.item("H.A.SCI.CSC.C.CE")
    assert [o.code for o in energy.objectives][:3] == [
        "H.A.SCI.CSC.C.CE.L1",
        "H.A.SCI.CSC.C.CE.L1.1",
        "H.A.SCI.CSC.C.CE.L1.2",
    ]


@needs_samples
def test_items_without_codes_get_codes_from_their_place_and_text_is_kept_as_is():
    document = read_sample("Utf8TestFramework.json")
    assert document.code == "UTF8-TEST"
    (standard,) = document.standards
    assert standard.code == "UTF8-TEST.1"
    assert standard.title == "Item \U0001d451 1"
    markdown = read_sample("MarkdownFramework.json")
    assert "| Column 1 | Column 2 |\n| --- | --- |" in markdown.item("MD.Table").title
    assert read_sample("EmptyExternalFramework.json").content_areas == ()


def strip_identifiers(document: FrameworkDocument) -> FrameworkDocument:
    def standard(s):
        indicators = tuple(
            replace(
                i,
                case_identifier=None,
                objectives=tuple(replace(o, case_identifier=None) for o in i.objectives),
            )
            for i in s.indicators
        )
        return replace(s, case_identifier=None, indicators=indicators)

    return replace(
        document,
        case_identifier=None,
        content_areas=tuple(
            replace(a, case_identifier=None, standards=tuple(standard(s) for s in a.standards))
            for a in document.content_areas
        ),
        cross_curricular=tuple(standard(s) for s in document.cross_curricular),
        habits_of_work=tuple(standard(s) for s in document.habits_of_work),
    )


def test_our_framework_survives_case_with_its_code_scale_and_kinds():
    sample = FRAMEWORKS_DIR / "sample-high-school.yaml"
    document = yaml_format.parse(sample.read_bytes(), file_name=sample.name)
    exported = case_format.export(document, changed_at=CHANGED)
    back = case_format.parse(exported, file_name="sample.json")
    assert strip_identifiers(back) == document
    # identifiers derived from codes are stable: exporting again changes nothing
    assert case_format.export(back, changed_at=CHANGED) == exported
    package = json.loads(exported)
    assert package["CFDocument"]["caseVersion"] == "1.1"
    assert package["CFDocument"]["lastChangeDateTime"] == "2026-01-15T12:00:00+00:00"
    types = {item["CFItemType"] for item in package["CFItems"]}
    assert types == {
        "Content Area",
        "Graduation Standard",
        "Cross-Curricular Standard",
        "Habit of Work",
        "Performance Indicator",
        "Learning Objective",
    }


# ---------------------------------------------------------------- packages of our own


def link(identifier: str, title: str = "x") -> dict[str, str]:
    return {"identifier": identifier, "uri": f"https://case.example/{identifier}", "title": title}


def item(
    identifier: str, statement: str, code: str | None = None, item_type: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifier": identifier,
        "uri": f"https://case.example/{identifier}",
        "fullStatement": statement,
        "lastChangeDateTime": "2025-01-01T00:00:00+00:00",
    }
    if code is not None:
        out["humanCodingScheme"] = code
    if item_type is not None:
        out["CFItemType"] = item_type
    return out


def child_of(child: str, parent: str, sequence: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifier": f"a-{child}",
        "associationType": "isChildOf",
        "originNodeURI": link(child),
        "destinationNodeURI": link(parent),
    }
    if sequence is not None:
        out["sequenceNumber"] = sequence
    return out


def level(score: Any, quality: str, **extra: Any) -> dict[str, Any]:
    return {"identifier": f"l-{score}-{quality}", "score": score, "quality": quality, **extra}


def rubric(
    *criteria_levels: list[dict[str, Any]], extensions: dict[str, Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "identifier": "r-1",
        "title": "Scoring criteria",
        "CFRubricCriteria": [
            {"identifier": f"c-{n}", "category": "Quality", "CFRubricCriterionLevels": levels}
            for n, levels in enumerate(criteria_levels)
        ],
    }
    if extensions is not None:
        out["extensions"] = extensions
    return out


FOUR_LEVELS = [level(1, "Beginning"), level(2, "Developing"), level(3, "Meets"), level(4, "Advanced")]


def typed_package() -> dict[str, Any]:
    """A GSP-shaped package whose item types use several common names."""
    items = [
        item("i-area", "Mathematics", "M", "Subject"),
        item("i-std", "Reason with equations", "M.1", "Competency"),
        item("i-ind1", "Solve linear equations", "M.1.a", "Benchmark"),
        item("i-ind2", "Solve systems", "M.1.b", "Performance Indicator"),
        item("i-obj", "Use inverse operations", "M.1.a.i", "Learning Target"),
        item("i-cc", "Communicate clearly", "CC", "Transferable Skill"),
        item("i-cc-ind", "Write for an audience", "CC.a", "Indicator"),
        item("i-how", "Perseverance", "H", "Work Habit"),
        item("i-how-ind", "Revises work", "H.a", "indicator"),
    ]
    associations = [
        child_of("i-area", DOC_ID, 1),
        child_of("i-cc", DOC_ID, 2),
        child_of("i-how", DOC_ID, 3),
        child_of("i-std", "i-area"),
        child_of("i-ind2", "i-std", 2),
        child_of("i-ind1", "i-std", 1),
        child_of("i-obj", "i-ind1"),
        child_of("i-cc-ind", "i-cc"),
        child_of("i-how-ind", "i-how"),
        {
            "identifier": "x",
            "associationType": "exactMatchOf",
            "originNodeURI": link("i-ind1"),
            "destinationNodeURI": link("elsewhere"),
        },
    ]
    return {
        "CFDocument": {
            "identifier": DOC_ID,
            "uri": "https://case.example/doc",
            "title": "District Framework",
            "creator": "A district",
        },
        "CFItems": items,
        "CFAssociations": associations,
        "CFRubrics": [rubric(copy.deepcopy(FOUR_LEVELS), copy.deepcopy(FOUR_LEVELS))],
    }


def parse(package: dict[str, Any]) -> FrameworkDocument:
    return case_format.parse(json.dumps(package), file_name="district.json")


def test_item_types_decide_when_every_item_has_a_known_type():
    document = parse(typed_package())
    assert document.code == "DISTRICT-FRAMEWORK"
    (area,) = document.content_areas
    assert (area.code, area.title) == ("M", "Mathematics")
    assert [i.code for i in area.standards[0].indicators] == ["M.1.a", "M.1.b"]
    assert document.item("M.1.a").objectives[0].title == "Use inverse operations"
    assert document.cross_curricular[0].kind is StandardKind.CROSS_CURRICULAR
    assert document.habits_of_work[0].indicators[0].code == "H.a"


def test_types_that_disagree_with_the_tree_give_way_to_depth():
    package = typed_package()
    package["CFItems"][2]["CFItemType"] = "Cluster"  # one unknown type: depth decides
    document = parse(package)
    assert [a.code for a in document.content_areas] == ["M", "CC", "H"]
    assert document.cross_curricular == ()
    assert [o.code for o in document.item("M.1.a").objectives] == ["M.1.a.i"]


def test_rubric_levels_become_the_scale_with_meets_and_colours_by_rank():
    scale = parse(typed_package()).scale
    assert [(lv.value, lv.label) for lv in scale.levels] == [
        (1, "Beginning"),
        (2, "Developing"),
        (3, "Meets"),
        (4, "Advanced"),
    ]
    assert scale.meets == 3
    assert [lv.colour for lv in scale.levels] == ["#b3261e", "#8a4b00", "#1b5e20", "#0d47a1"]


@pytest.mark.parametrize(
    ("levels", "meets"),
    [
        (
            [
                level(1, "Not proficient"),
                level(2, "Partially proficient"),
                level(3, "Proficient"),
                level(4, "Distinguished"),
            ],
            3,
        ),
        ([level(0, "Level 0"), level(1, "Level 1"), level(2, "Level 2"), level(3, "Level 3")], 2),
        ([level("1.5", "Low"), level(2.5, "High")], Decimal("2.5")),
    ],
)
def test_the_meets_level_is_found_by_label_then_by_the_middle_of_the_range(levels, meets):
    package = typed_package()
    package["CFRubrics"] = [rubric(levels)]
    assert parse(package).scale.meets == meets


def test_our_extensions_carry_meets_half_points_and_colours():
    package = typed_package()
    coloured = [level(1, "Low", extensions={"proficiencyBridge": {"colour": "#123456"}}), level(2, "High")]
    package["CFRubrics"] = [
        rubric(coloured, extensions={"proficiencyBridge": {"meets": 1, "halfPoints": True}})
    ]
    package["CFDocument"]["extensions"] = {"proficiencyBridge": {"code": "OURS"}, "other": {"x": 1}}
    document = parse(package)
    assert document.code == "OURS"
    assert document.scale.meets == 1
    assert document.scale.half_points is True
    assert [lv.colour for lv in document.scale.levels] == ["#123456", "#0d47a1"]


def test_a_package_wrapped_in_cfpackage_is_read_too():
    assert parse({"CFPackage": typed_package()}) == parse(typed_package())


def test_a_rubric_round_trips_through_export():
    document = parse(typed_package())
    assert case_format.parse(case_format.export(document, changed_at=CHANGED), file_name="x.json") == document


def broken(change) -> str:
    package = copy.deepcopy(typed_package())
    change(package)
    return json.dumps(package)


def without(mapping: dict[str, Any], key: str) -> None:
    del mapping[key]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"CFDocument": ', "district.json, line 1, column 16: this is not valid JSON"),
        ("[]", "district.json: this JSON has no CFDocument object"),
        (
            broken(lambda p: without(p["CFDocument"], "identifier")),
            "CFDocument, field 'identifier': 'identifier' is missing or empty",
        ),
        (
            broken(lambda p: without(p["CFDocument"], "title")),
            f"CFDocument (identifier {DOC_ID}), field 'title': 'title' is missing or empty",
        ),
        (
            broken(lambda p: p.update(CFItems={})),
            "the package, field 'CFItems': 'CFItems' must be a JSON array",
        ),
        (broken(lambda p: p["CFItems"].append("not an object")), "CFItems[9]: must be a JSON object"),
        (
            broken(lambda p: without(p["CFItems"][1], "fullStatement")),
            "CFItems[1] (identifier i-std), field 'fullStatement': 'fullStatement' is missing or empty",
        ),
        (
            broken(lambda p: p["CFItems"][1].update(humanCodingScheme=7)),
            "CFItems[1] (identifier i-std), field 'humanCodingScheme': 'humanCodingScheme' must be text,"
            " not int",
        ),
        (
            broken(lambda p: p["CFItems"][3].update(identifier="i-ind1")),
            "CFItems[3] (identifier i-ind1), field 'identifier': the identifier is also used by CFItems[2]"
            " (identifier i-ind1)",
        ),
        (
            broken(lambda p: p["CFItems"][3].update(humanCodingScheme="M.1.a")),
            "CFItems[3] (identifier i-ind2), field 'humanCodingScheme': the code 'M.1.a' is already used"
            " at CFItems[2] (identifier i-ind1), field 'humanCodingScheme'",
        ),
        (
            broken(lambda p: p["CFAssociations"][3].update(destinationNodeURI=link("nowhere"))),
            "CFAssociations[3] (identifier a-i-std), field 'destinationNodeURI': neither the CFDocument"
            " nor a CFItem of this package has the identifier nowhere",
        ),
        (
            broken(lambda p: p["CFAssociations"][3].update(originNodeURI=link("ghost"))),
            "CFAssociations[3] (identifier a-i-std), field 'originNodeURI': no CFItem in this package has"
            " the identifier ghost",
        ),
        (
            broken(lambda p: p["CFAssociations"][3].update(originNodeURI={"title": "no id"})),
            "field 'originNodeURI': 'originNodeURI' has no identifier",
        ),
        (
            broken(lambda p: p["CFAssociations"].append(child_of("i-obj", "i-ind2"))),
            "CFAssociations[10] (identifier a-i-obj), field 'destinationNodeURI': the item i-obj is"
            " already placed under i-ind1 by CFAssociations[6]",
        ),
        (
            broken(lambda p: p["CFAssociations"].pop(8)),
            "CFItems[8] (identifier i-how-ind): the item is not placed in the framework",
        ),
        (
            broken(lambda p: p["CFAssociations"][0].update(destinationNodeURI=link("i-obj"))),
            "the isChildOf associations make a loop through the item",
        ),
        (
            broken(lambda p: p["CFAssociations"][4].update(sequenceNumber="second")),
            "CFAssociations[4] (identifier a-i-ind2), field 'sequenceNumber': 'sequenceNumber' must be a"
            " whole number, not 'second'",
        ),
        (
            broken(lambda p: without(p["CFAssociations"][4], "associationType")),
            "CFAssociations[4], field 'associationType': 'associationType' is missing or empty",
        ),
        (
            broken(lambda p: p["CFItems"][2].update(fullStatement="x" * 1001)),
            "CFItems[2] (identifier i-ind1): the title is 1001 characters long",
        ),
        (
            broken(lambda p: p["CFRubrics"][0]["CFRubricCriteria"][1]["CFRubricCriterionLevels"].pop()),
            "CFRubrics[0] (identifier r-1).CFRubricCriteria[1], field 'CFRubricCriterionLevels': its"
            " levels (1 Beginning, 2 Developing, 3 Meets) differ from those of CFRubrics[0] (identifier"
            " r-1).CFRubricCriteria[0]",
        ),
        (
            broken(
                lambda p: without(
                    p["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][0], "score"
                )
            ),
            "CFRubricCriteria[0].CFRubricCriterionLevels[0], field 'score': a level needs a numeric 'score'",
        ),
        (
            broken(
                lambda p: p["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][0].update(
                    score="high"
                )
            ),
            "field 'score': 'score' must be a number, not 'high'",
        ),
        (
            broken(
                lambda p: p["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][0].update(
                    quality=None
                )
            ),
            "field 'quality': a level needs a 'quality' (its label)",
        ),
        (
            broken(lambda p: p["CFRubrics"][0]["CFRubricCriteria"][0].update(CFRubricCriterionLevels=[])),
            "CFRubricCriteria[0], field 'CFRubricCriterionLevels': the criterion has no levels",
        ),
        (
            broken(
                lambda p: p["CFRubrics"][0].update(extensions={"proficiencyBridge": {"halfPoints": "yes"}})
            ),
            "extensions.proficiencyBridge, field 'halfPoints': 'halfPoints' must be true or false",
        ),
        (
            broken(lambda p: p["CFRubrics"][0].update(extensions={"proficiencyBridge": {"meets": 7}})),
            "field 'CFRubricCriterionLevels': the 'meets' value 7 is not one of the level values (1, 2, 3,"
            " 4)",
        ),
        (
            broken(lambda p: p["CFDocument"].update(extensions={"proficiencyBridge": {"code": ""}})),
            "CFDocument (identifier d0000000-0000-0000-0000-00000000000d), extensions.proficiencyBridge,"
            " field 'code': 'code' is missing or empty",
        ),
        (b'{"CFDocument": "\xff"}', "district.json, line 1: the file is not UTF-8 text"),
        (
            '{"CFDocument": {"identifier": "d", "title": NaN}}',
            "line 1, column 1: this is not valid JSON: NaN is not a JSON number",
        ),
        (
            broken(
                lambda p: p["CFRubrics"][0]["CFRubricCriteria"][0]["CFRubricCriterionLevels"][0].update(
                    score=1e6
                )
            ),
            "field 'score': the level value 1000000 cannot be stored",
        ),
        (
            broken(lambda p: p["CFItems"][2].update(fullStatement="Solve\u0000")),
            "CFItems[2] (identifier i-ind1): the title contains the control character U+0000",
        ),
    ],
)
def test_bad_packages_are_refused_naming_entry_identifier_and_field(text, message):
    with pytest.raises(FrameworkImportError) as caught:
        case_format.parse(text, file_name="district.json")
    assert message in str(caught.value)
