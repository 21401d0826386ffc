"""A framework as plain values: content areas, graduation standards, indicators, objectives.

The shape is the Great Schools Partnership's: content areas hold graduation standards,
cross-curricular standards and habits of work stand on their own, every standard holds the
performance indicators that summative assessments measure, and an indicator may list the
learning objectives that guide unit design. One scale (the scoring criteria) serves them all.

Every item carries a code that is stable across versions and unique in the whole framework
(``MATH.2``, ``MATH.2.PI.3``): evidence follows an indicator from one version to the next by
its code. Items imported from CASE keep their CASE identifier (a UUID).

The values check themselves when built and raise `FrameworkImportError` without a location;
the file formats (`mappings.framework_formats`) add the line, column or identifier.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mappings.scale import Level, Scale, default_scale
from pbridge.errors import CalculationError, FrameworkImportError

#: the longest texts the tables hold (`store.frameworks`)
CODE_MAX = 100
TITLE_MAX = 1000
FRAMEWORK_TITLE_MAX = 500
CONTENT_AREA_TITLE_MAX = 500
LABEL_MAX = 200
IDENTIFIER_MAX = 100
LEVEL_VALUE_LIMIT = Decimal(10000)
_PLAIN_LIMIT = Decimal("1e20")

_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class StandardKind(enum.Enum):
    """What a graduation standard is; habits of work are reported apart from academics."""

    CONTENT_AREA = "content_area"
    CROSS_CURRICULAR = "cross_curricular"
    HABIT_OF_WORK = "habit_of_work"

    @property
    def words(self) -> str:
        return {
            StandardKind.CONTENT_AREA: "content-area standard",
            StandardKind.CROSS_CURRICULAR: "cross-curricular standard",
            StandardKind.HABIT_OF_WORK: "habit of work",
        }[self]

    @property
    def plural(self) -> str:
        return "habits of work" if self is StandardKind.HABIT_OF_WORK else f"{self.words}s"


def clean_text(text: str) -> str:
    """One form for statements from any source: outer blanks stripped, line ends as ``\\n``."""
    return _LINE_BREAKS.sub("\n", text).strip()


def _refuse_controls(text: str, what: str) -> None:
    """Control characters print as nothing and PostgreSQL refuses NUL: name the first one."""
    found = _CONTROLS.search(text)
    if found:
        raise FrameworkImportError(
            f"the {what} contains the control character U+{ord(found.group()):04X}; remove it"
        )


def _check_code(code: str) -> None:
    if not isinstance(code, str) or not code.strip():
        raise FrameworkImportError("the code is empty; every item needs a code such as MATH.2")
    if code != code.strip() or any(ch in code for ch in "\r\n\t"):
        raise FrameworkImportError(f"the code {code!r} has blanks at its ends or a line break")
    if len(code) > CODE_MAX:
        raise FrameworkImportError(f"the code '{code[:40]}...' is longer than {CODE_MAX} characters")
    _refuse_controls(code, "code")


def _checked_text(text: str, *, what: str, limit: int | None, required: bool) -> str:
    if not isinstance(text, str):
        raise FrameworkImportError(f"the {what} must be text")
    cleaned = clean_text(text)
    _refuse_controls(cleaned, what)
    if required and not cleaned:
        raise FrameworkImportError(f"the {what} is empty")
    if limit is not None and len(cleaned) > limit:
        raise FrameworkImportError(f"the {what} is {len(cleaned)} characters long; at most {limit} fit")
    return cleaned


def _checked_identifier(identifier: str | None) -> str | None:
    if identifier is None:
        return None
    if not isinstance(identifier, str) or not identifier.strip():
        raise FrameworkImportError("the CASE identifier is empty")
    if len(identifier) > IDENTIFIER_MAX:
        raise FrameworkImportError(f"the CASE identifier is longer than {IDENTIFIER_MAX} characters")
    _refuse_controls(identifier, "CASE identifier")
    return identifier.strip()


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


def _settle(item: Any, *, title_limit: int = TITLE_MAX, children: str = "") -> None:
    """Check and clean the fields every coded item shares (set through `object`: frozen)."""
    _check_code(item.code)
    _set(item, "title", _checked_text(item.title, what="title", limit=title_limit, required=True))
    if hasattr(item, "description"):
        description = _checked_text(item.description, what="description", limit=None, required=False)
        _set(item, "description", description)
    if children:
        _set(item, children, tuple(getattr(item, children)))
    _set(item, "case_identifier", _checked_identifier(item.case_identifier))


@dataclass(frozen=True, slots=True)
class LearningObjective:
    """Guides the design of a unit below an indicator; never assessed or reported on its own."""

    code: str
    title: str
    case_identifier: str | None = None

    def __post_init__(self) -> None:
        _settle(self)


@dataclass(frozen=True, slots=True)
class PerformanceIndicator:
    """What a summative assessment measures; evidence is recorded against indicators."""

    code: str
    title: str
    description: str = ""
    objectives: tuple[LearningObjective, ...] = ()
    case_identifier: str | None = None

    def __post_init__(self) -> None:
        _settle(self, children="objectives")


@dataclass(frozen=True, slots=True)
class GraduationStandard:
    """A content-area or cross-curricular graduation standard, or a habit of work."""

    code: str
    title: str
    kind: StandardKind = StandardKind.CONTENT_AREA
    description: str = ""
    indicators: tuple[PerformanceIndicator, ...] = ()
    case_identifier: str | None = None

    def __post_init__(self) -> None:
        _settle(self, children="indicators")


@dataclass(frozen=True, slots=True)
class ContentArea:
    """A subject such as Mathematics; holds its content-area graduation standards."""

    code: str
    title: str
    standards: tuple[GraduationStandard, ...] = ()
    case_identifier: str | None = None

    def __post_init__(self) -> None:
        _settle(self, title_limit=CONTENT_AREA_TITLE_MAX, children="standards")
        for standard in self.standards:
            if standard.kind is not StandardKind.CONTENT_AREA:
                raise FrameworkImportError(
                    f"'{standard.code}' is a {standard.kind.words}; only content-area standards"
                    f" belong to a content area such as '{self.code}'"
                )


#: anything in a framework that has a code
FrameworkItem = ContentArea | GraduationStandard | PerformanceIndicator | LearningObjective


@dataclass(frozen=True, slots=True)
class FrameworkDocument:
    """A whole framework as a file holds it, before or after it is stored.

    `version` is the number the file or the stored row carries; it is informative only: the
    store numbers versions itself when a document is saved.
    """

    code: str
    title: str
    scale: Scale = field(default_factory=default_scale)
    version: int = 1
    description: str = ""
    content_areas: tuple[ContentArea, ...] = ()
    cross_curricular: tuple[GraduationStandard, ...] = ()
    habits_of_work: tuple[GraduationStandard, ...] = ()
    case_identifier: str | None = None

    def __post_init__(self) -> None:
        _settle(self, title_limit=FRAMEWORK_TITLE_MAX)
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise FrameworkImportError(f"the version must be a whole number from 1; got {self.version!r}")
        _set(self, "content_areas", tuple(self.content_areas))
        _set(self, "cross_curricular", tuple(self.cross_curricular))
        _set(self, "habits_of_work", tuple(self.habits_of_work))
        for group, kind in (
            (self.cross_curricular, StandardKind.CROSS_CURRICULAR),
            (self.habits_of_work, StandardKind.HABIT_OF_WORK),
        ):
            for standard in group:
                if standard.kind is not kind:
                    raise FrameworkImportError(
                        f"'{standard.code}' is a {standard.kind.words} but is listed with the {kind.plural}"
                    )
        levels = tuple(check_level(level) for level in self.scale.levels)
        if levels != self.scale.levels:
            _set(self, "scale", Scale(levels, self.scale.meets, self.scale.half_points))
        seen: set[str] = set()
        for item in self.items():
            if item.code in seen:
                raise FrameworkImportError(
                    f"the code '{item.code}' is used twice; codes must be unique in a framework"
                )
            seen.add(item.code)

    @property
    def standards(self) -> tuple[GraduationStandard, ...]:
        """Every standard: content-area ones in order, then cross-curricular, then habits."""
        in_areas = tuple(s for area in self.content_areas for s in area.standards)
        return in_areas + self.cross_curricular + self.habits_of_work

    @property
    def indicators(self) -> tuple[PerformanceIndicator, ...]:
        return tuple(i for s in self.standards for i in s.indicators)

    def items(self) -> Iterator[FrameworkItem]:
        """Every coded item, parents before their children, in the document's order."""
        for area in self.content_areas:
            yield area
            yield from _standard_items(area.standards)
        yield from _standard_items(self.cross_curricular)
        yield from _standard_items(self.habits_of_work)

    def item(self, code: str) -> FrameworkItem:
        """The item with this code; `KeyError` when there is none."""
        for candidate in self.items():
            if candidate.code == code:
                return candidate
        raise KeyError(code)

    def standard_of(self, indicator_code: str) -> GraduationStandard:
        """The standard an indicator belongs to; `KeyError` when the code is no indicator."""
        for standard in self.standards:
            if any(i.code == indicator_code for i in standard.indicators):
                return standard
        raise KeyError(indicator_code)


def _standard_items(standards: tuple[GraduationStandard, ...]) -> Iterator[FrameworkItem]:
    for standard in standards:
        yield standard
        for indicator in standard.indicators:
            yield indicator
            yield from indicator.objectives


def plain_decimal(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent (3.00 → 3, 2.50 → 2.5)."""
    normal = value.normalize()
    if normal.is_finite() and abs(normal) < _PLAIN_LIMIT and normal == normal.to_integral_value():
        return normal.quantize(Decimal(1))
    return normal


def check_level_value(value: Decimal) -> Decimal:
    """A level value the tables can hold: -9999.99 to 9999.99, at most two decimals."""
    if not value.is_finite() or abs(value) >= LEVEL_VALUE_LIMIT or value != value.quantize(Decimal("0.01")):
        raise FrameworkImportError(
            f"the level value {value} cannot be stored: use a number from -9999.99 to 9999.99"
            " with at most two decimals"
        )
    return value


def check_level(level: Level) -> Level:
    """The level with its texts cleaned, once its label and colour are fit to store."""
    check_level_value(level.value)
    label = _checked_text(level.label, what="level label", limit=LABEL_MAX, required=True)
    description = _checked_text(level.description, what="level description", limit=None, required=False)
    if not isinstance(level.colour, str) or not _COLOUR.fullmatch(level.colour):
        raise FrameworkImportError(
            f"the colour {level.colour!r} of level {level.value} is not a colour like '#2e7d32'"
        )
    return Level(level.value, label, level.colour, description)


def build_scale(levels: tuple[Level, ...], *, meets: Decimal, half_points: bool) -> Scale:
    """A scale from levels in any order, refused with `FrameworkImportError` when unusable."""
    ordered = tuple(sorted((check_level(level) for level in levels), key=lambda level: level.value))
    values = [level.value for level in ordered]
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise FrameworkImportError(
            f"the level value {duplicates[0]} is given twice; each level needs its own value"
        )
    if meets not in values:
        raise FrameworkImportError(
            f"the 'meets' value {meets} is not one of the level values ({', '.join(str(v) for v in values)})"
        )
    try:
        return Scale(levels=ordered, meets=meets, half_points=half_points)
    except CalculationError as error:
        raise FrameworkImportError(str(error)) from None
