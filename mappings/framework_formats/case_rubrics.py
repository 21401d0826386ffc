"""CFRubrics ↔ the framework's scale (its scoring criteria).

Reading: every CFRubricCriterion must have the same levels (``score`` → value, ``quality`` →
label, ``description``), since a framework has one common scale. The level where proficiency
begins is our extension's ``meets``, else the level whose label starts with "meets" or
"proficient", else the lowest level at or above the middle of the range; levels without our
colour extension are coloured by rank. No rubric: the four-level 1-4 scale.
Writing: one rubric with one criterion, our extension carrying meets, half points, colours.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mappings.framework import FrameworkDocument, build_scale, check_level_value
from mappings.framework_formats.case_package import (
    EXTENSION_KEY,
    Entry,
    derived,
    json_number,
    read_number,
    uri,
)
from mappings.framework_formats.places import located
from mappings.scale import Level, Scale, default_scale

#: colours by rank when a package has none: below, lowest, at and above "meets"
_LOWEST_COLOUR = "#b3261e"
_BELOW_COLOUR = "#8a4b00"
_MEETS_COLOUR = "#1b5e20"
_ABOVE_COLOUR = "#0d47a1"


def scale_from_rubrics(package: Entry) -> Scale:
    """The scale the package's rubrics describe (see the module's docstring)."""
    first: tuple[Entry, list[Level]] | None = None
    meets: Decimal | None = None
    half_points = False
    for r_index, value in package.entries("CFRubrics"):
        rubric = Entry(value, package.file, f"CFRubrics[{r_index}]")
        rubric.label = f"CFRubrics[{r_index}] (identifier {rubric.text('identifier') or '?'})"
        extension = rubric.extension()
        if extension is not None and first is None:
            meets = read_number(extension, "meets")
            flag = extension.value.get("halfPoints", False)
            if not isinstance(flag, bool):
                raise extension.place("halfPoints").error("'halfPoints' must be true or false")
            half_points = flag
        for c_index, criterion_value in rubric.entries("CFRubricCriteria"):
            criterion = Entry(criterion_value, package.file, f"{rubric.label}.CFRubricCriteria[{c_index}]")
            levels = _criterion_levels(criterion)
            if first is None:
                first = (criterion, levels)
            elif _level_key(levels) != _level_key(first[1]):
                raise criterion.place("CFRubricCriterionLevels").error(
                    f"its levels ({_level_words(levels)}) differ from those of"
                    f" {first[0].label} ({_level_words(first[1])}); a framework has one"
                    " common scale: keep one rubric or give every criterion the same levels"
                )
    if first is None:
        return default_scale(half_points=half_points)
    levels = sorted(first[1], key=lambda level: level.value)
    meets = meets if meets is not None else _meets_of(levels)
    levels = [_coloured(level, levels, meets) for level in levels]
    with located(first[0].place("CFRubricCriterionLevels")):
        return build_scale(tuple(levels), meets=meets, half_points=half_points)


def _criterion_levels(criterion: Entry) -> list[Level]:
    levels = []
    for index, value in criterion.entries("CFRubricCriterionLevels"):
        entry = Entry(value, criterion.file, f"{criterion.label}.CFRubricCriterionLevels[{index}]")
        score = read_number(entry, "score")
        if score is None:
            raise entry.place("score").error("a level needs a numeric 'score'")
        with located(entry.place("score")):
            check_level_value(score)
        description = (entry.text("description") or "").strip()
        label = (entry.text("quality") or description).strip()
        if not label:
            raise entry.place("quality").error("a level needs a 'quality' (its label)")
        extension = entry.extension()
        colour = (extension.text("colour") if extension else None) or ""
        levels.append(Level(score, label, colour.strip(), description))
    if not levels:
        raise criterion.place("CFRubricCriterionLevels").error("the criterion has no levels")
    return levels


def _level_key(levels: list[Level]) -> list[tuple[Decimal, str]]:
    return sorted((level.value, level.label) for level in levels)


def _level_words(levels: list[Level]) -> str:
    return ", ".join(f"{value} {label}" for value, label in _level_key(levels))


def _meets_of(levels: list[Level]) -> Decimal:
    for level in levels:
        words = level.label.strip().lower()
        if words.startswith(("meets", "proficient")):
            return level.value
    middle = (levels[0].value + levels[-1].value) / 2
    return next(level.value for level in levels if level.value >= middle)


def _coloured(level: Level, levels: list[Level], meets: Decimal) -> Level:
    if level.colour:
        return level
    if level.value == meets:
        colour = _MEETS_COLOUR
    elif level.value > meets:
        colour = _ABOVE_COLOUR
    elif level.value == levels[0].value:
        colour = _LOWEST_COLOUR
    else:
        colour = _BELOW_COLOUR
    return Level(level.value, level.label, colour, level.description)


def rubric_of(document: FrameworkDocument, doc_id: str, changed: str) -> dict[str, Any]:
    """The scale as one CFRubric with one criterion; `changed` is the ISO lastChangeDateTime."""
    scale = document.scale
    rubric_id = derived("rubric", doc_id)
    criterion_id = derived("criterion", rubric_id)
    levels = []
    for position, level in enumerate(scale.levels, start=1):
        level_id = derived("level", criterion_id, str(level.value))
        entry: dict[str, Any] = {
            "identifier": level_id,
            "uri": uri(level_id),
            "quality": level.label,
            "score": json_number(level.value),
            "position": position,
            "rubricCriterionId": criterion_id,
            "lastChangeDateTime": changed,
            "extensions": {EXTENSION_KEY: {"colour": level.colour}},
        }
        if level.description:
            entry["description"] = level.description
        levels.append(entry)
    return {
        "identifier": rubric_id,
        "uri": uri(rubric_id),
        "title": "Scoring criteria",
        "description": f"The common scale of {document.title}",
        "lastChangeDateTime": changed,
        "extensions": {EXTENSION_KEY: {"meets": json_number(scale.meets), "halfPoints": scale.half_points}},
        "CFRubricCriteria": [
            {
                "identifier": criterion_id,
                "uri": uri(criterion_id),
                "category": "Proficiency",
                "description": "The level a body of evidence shows",
                "position": 1,
                "rubricId": rubric_id,
                "lastChangeDateTime": changed,
                "CFRubricCriterionLevels": levels,
            }
        ],
    }
