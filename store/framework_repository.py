"""Frameworks in and out of the database, with their versions.

Versioning, in the words of the design: a published framework is never edited in place.

- Saving a document whose code is new makes version 1, a draft.
- Saving while the newest version is a draft edits that draft in place; rows keep their ids
  where the code stays (an indicator moved to another standard is the same row).
- Saving when the newest version is published makes version n+1, a draft pointing back at
  version n; saving exactly what is published changes nothing (imports are idempotent).
- Publishing a draft retires the version published before it. Evidence keeps pointing at
  the indicator rows it was recorded against; `indicator_id_map` follows an indicator from
  one version to the next by its code.

Every function takes the caller's `Session` and never commits: a failed import stores
nothing because the caller's unit of work rolls back.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from config import FRAMEWORKS_DIR
from mappings import framework as pure
from mappings.framework_formats import format_for, parse_framework
from mappings.scale import Level, Scale
from pbridge.errors import ProficiencyBridgeError
from store.frameworks import (
    ContentArea,
    Framework,
    FrameworkStatus,
    GraduationStandard,
    LearningObjective,
    PerformanceIndicator,
    ScaleLevel,
    StandardKind,
)
from store.types import utcnow

#: the sample framework the demo publishes (Great Schools Partnership shape, 1-4 scale)
SAMPLE_FRAMEWORK = FRAMEWORKS_DIR / "sample-high-school.yaml"


class FrameworkNotFound(ProficiencyBridgeError):
    """No framework has this code, or it has no such version."""

    status_code = 404


class FrameworkVersionConflict(ProficiencyBridgeError):
    """The version cannot change state that way (already published, retired)."""

    status_code = 409


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: the stored version, the document read, and whether it changed."""

    framework: Framework
    document: pure.FrameworkDocument
    changed: bool


# ------------------------------------------------------------------------------ reading


def list_frameworks(session: Session) -> list[Framework]:
    """Every version of every framework, by code then version."""
    return list(session.scalars(select(Framework).order_by(Framework.code, Framework.version)))


def list_versions(session: Session, code: str) -> list[Framework]:
    """The versions of one framework, oldest first (empty when the code is unknown)."""
    query = select(Framework).where(Framework.code == code).order_by(Framework.version)
    return list(session.scalars(query))


def published_framework(session: Session, code: str) -> Framework | None:
    """The version of `code` now in use, if one is published."""
    query = select(Framework).where(Framework.code == code, Framework.status == FrameworkStatus.PUBLISHED)
    return session.scalars(query).one_or_none()


def get_framework(session: Session, code: str, *, version: int | None = None) -> Framework:
    """One version of a framework: `version`, or the published one, or else the newest draft.

    Raises `FrameworkNotFound` naming the versions that do exist.
    """
    versions = list_versions(session, code)
    if not versions:
        raise FrameworkNotFound(
            f"no framework has the code '{code}'; `pbridge framework list` shows the codes"
        )
    if version is None:
        published = [v for v in versions if v.status is FrameworkStatus.PUBLISHED]
        return published[0] if published else versions[-1]
    for candidate in versions:
        if candidate.version == version:
            return candidate
    numbers = ", ".join(str(v.version) for v in versions)
    raise FrameworkNotFound(f"the framework '{code}' has no version {version} (it has {numbers})")


def load_document(session: Session, framework: Framework) -> pure.FrameworkDocument:
    """A stored version back as the plain document it was saved from."""
    row = _with_items(session, framework)
    levels = tuple(
        Level(pure.plain_decimal(lv.value), lv.label, lv.colour, lv.description)
        for lv in sorted(row.levels, key=lambda lv: lv.value)
    )
    standards = sorted(row.standards, key=lambda s: s.position)
    areas = tuple(
        pure.ContentArea(
            code=area.code,
            title=area.title,
            standards=tuple(
                _standard_document(s)
                for s in standards
                if s.kind is StandardKind.CONTENT_AREA and s.content_area_id == area.id
            ),
            case_identifier=area.case_identifier,
        )
        for area in sorted(row.content_areas, key=lambda a: a.position)
    )
    return pure.FrameworkDocument(
        code=row.code,
        title=row.title,
        version=row.version,
        description=row.description,
        case_identifier=row.case_identifier,
        scale=Scale(levels=levels, meets=pure.plain_decimal(row.meets_value), half_points=row.half_points),
        content_areas=areas,
        cross_curricular=tuple(
            _standard_document(s) for s in standards if s.kind is StandardKind.CROSS_CURRICULAR
        ),
        habits_of_work=tuple(
            _standard_document(s) for s in standards if s.kind is StandardKind.HABIT_OF_WORK
        ),
    )


def _with_items(session: Session, framework: Framework) -> Framework:
    """The framework row with all its levels, areas, standards, indicators and objectives."""
    return session.scalars(
        select(Framework)
        .where(Framework.id == framework.id)
        .options(
            selectinload(Framework.levels),
            selectinload(Framework.content_areas),
            selectinload(Framework.standards)
            .selectinload(GraduationStandard.indicators)
            .selectinload(PerformanceIndicator.objectives),
        )
    ).one()


def _standard_document(row: GraduationStandard) -> pure.GraduationStandard:
    return pure.GraduationStandard(
        code=row.code,
        title=row.title,
        kind=pure.StandardKind(row.kind.value),
        description=row.description,
        case_identifier=row.case_identifier,
        indicators=tuple(
            pure.PerformanceIndicator(
                code=indicator.code,
                title=indicator.title,
                description=indicator.description,
                case_identifier=indicator.case_identifier,
                objectives=tuple(
                    pure.LearningObjective(o.code, o.title, o.case_identifier)
                    for o in sorted(indicator.objectives, key=lambda o: o.position)
                ),
            )
            for indicator in sorted(row.indicators, key=lambda i: i.position)
        ),
    )


def find_indicator(session: Session, framework_code: str, indicator_code: str) -> PerformanceIndicator | None:
    """The indicator with this code in the published version of a framework."""
    return _published_item(session, PerformanceIndicator, framework_code, indicator_code)


def find_standard(session: Session, framework_code: str, standard_code: str) -> GraduationStandard | None:
    """The standard (or habit of work) with this code in the published version."""
    return _published_item(session, GraduationStandard, framework_code, standard_code)


_Coded = TypeVar("_Coded", PerformanceIndicator, GraduationStandard)


def _published_item(session: Session, model: type[_Coded], framework_code: str, code: str) -> _Coded | None:
    query = (
        select(model)
        .join(Framework, model.framework_id == Framework.id)
        .where(
            Framework.code == framework_code,
            Framework.status == FrameworkStatus.PUBLISHED,
            model.code == code,
        )
    )
    return session.scalars(query).one_or_none()


def indicators_by_code(session: Session, framework: Framework) -> dict[str, PerformanceIndicator]:
    """Every indicator row of one version, by code (for resolving many codes at once)."""
    query = select(PerformanceIndicator).where(PerformanceIndicator.framework_id == framework.id)
    return {indicator.code: indicator for indicator in session.scalars(query)}


def indicator_id_map(session: Session, old: Framework, new: Framework) -> dict[int, int]:
    """Old indicator id → new indicator id, for every code both versions share."""
    rows = session.execute(
        select(PerformanceIndicator.framework_id, PerformanceIndicator.code, PerformanceIndicator.id).where(
            PerformanceIndicator.framework_id.in_((old.id, new.id))
        )
    ).all()
    new_ids = {code: ident for framework_id, code, ident in rows if framework_id == new.id}
    return {
        ident: new_ids[code]
        for framework_id, code, ident in rows
        if framework_id == old.id and code in new_ids
    }


# ------------------------------------------------------------------------------ writing


def save_framework(
    session: Session, document: pure.FrameworkDocument, *, source_format: str = "yaml"
) -> Framework:
    """Store a document as a draft version (see the module's docstring) and return its row."""
    framework, _ = _save(session, document, source_format)
    return framework


def publish_framework(
    session: Session, code: str, *, version: int | None = None, at: datetime | None = None
) -> Framework:
    """Publish the newest draft (or `version`); the version published before is retired."""
    target = get_framework(session, code, version=version)
    versions = list_versions(session, code)
    if version is None:
        target = versions[-1]
    if target.status is FrameworkStatus.PUBLISHED:
        raise FrameworkVersionConflict(
            f"version {target.version} of '{code}' is already published; import a changed"
            " framework to make a new version"
        )
    if target.status is FrameworkStatus.RETIRED:
        raise FrameworkVersionConflict(
            f"version {target.version} of '{code}' was retired and is never published again;"
            " import it again to make a new version"
        )
    for other in versions:
        if other.status is FrameworkStatus.PUBLISHED:
            other.status = FrameworkStatus.RETIRED
    session.flush()  # one published version at a time, even for a moment
    target.status = FrameworkStatus.PUBLISHED
    target.published_at = at or utcnow()
    session.flush()
    return target


def import_framework(
    session: Session,
    data: bytes | str,
    *,
    file_name: str,
    file_format: str | None = None,
    code: str | None = None,
    publish: bool = False,
) -> ImportResult:
    """Read a framework file and save it (and publish it when asked), all or nothing.

    `code` replaces the file's own code (useful for CASE packages, which have none of ours).
    Raises `FrameworkImportError` / `CsvImportError` before anything is written.
    """
    chosen = file_format or format_for(file_name)
    document = parse_framework(data, file_name=file_name, file_format=chosen)
    if code is not None:
        document = replace(document, code=code.strip())
    framework, changed = _save(session, document, chosen)
    if publish and framework.status is FrameworkStatus.DRAFT:
        publish_framework(session, framework.code, version=framework.version)
        changed = True
    return ImportResult(framework=framework, document=document, changed=changed)


def import_sample_framework(session: Session, *, publish: bool = True) -> ImportResult:
    """Store (and publish) the shipped sample framework, code ``SAMPLE-HS``; idempotent."""
    return import_framework(
        session, SAMPLE_FRAMEWORK.read_bytes(), file_name=SAMPLE_FRAMEWORK.name, publish=publish
    )


def _save(session: Session, document: pure.FrameworkDocument, source_format: str) -> tuple[Framework, bool]:
    versions = list_versions(session, document.code)
    latest = versions[-1] if versions else None
    if latest is not None and latest.status is FrameworkStatus.DRAFT:
        framework = latest
    else:
        if latest is not None:
            stored = load_document(session, latest)
            if replace(document, version=latest.version) == stored:
                return latest, False
        framework = Framework(
            code=document.code,
            version=latest.version + 1 if latest else 1,
            title=document.title,
            status=FrameworkStatus.DRAFT,
            previous_version_id=latest.id if latest else None,
        )
        session.add(framework)
    _write(session, framework, document, source_format)
    return framework, True


def _write(
    session: Session, framework: Framework, document: pure.FrameworkDocument, source_format: str
) -> None:
    framework.title = document.title
    framework.description = document.description
    framework.case_identifier = document.case_identifier
    framework.source_format = source_format
    framework.meets_value = document.scale.meets
    framework.half_points = document.scale.half_points
    session.flush()
    rows = _Rows.of(session, framework)

    levels = {level.value: level for level in rows.framework.levels}
    framework.levels = [_level_row(levels.pop(level.value, None), level) for level in document.scale.levels]
    areas = {area.code: area for area in rows.framework.content_areas}
    area_rows = []
    for position, area in enumerate(document.content_areas):
        area_row = areas.pop(area.code, None) or ContentArea(code=area.code)
        area_row.title, area_row.position = area.title, position
        area_row.case_identifier = area.case_identifier
        area_rows.append(area_row)
    framework.content_areas = area_rows
    session.flush()  # the content areas' ids, for their standards

    area_ids = {area_row.code: area_row.id for area_row in area_rows}
    standard_rows = []
    for area_id, position, standard in _placed_standards(document, area_ids):
        row = rows.standards.pop(standard.code, None) or GraduationStandard(code=standard.code)
        row.kind = StandardKind(standard.kind.value)
        row.content_area_id = area_id
        row.title, row.description = standard.title, standard.description
        row.position, row.case_identifier = position, standard.case_identifier
        row.indicators = [
            _indicator_row(rows, framework, place, indicator)
            for place, indicator in enumerate(standard.indicators)
        ]
        standard_rows.append(row)
    framework.standards = standard_rows
    session.flush()


def _level_row(row: ScaleLevel | None, level: Level) -> ScaleLevel:
    row = row or ScaleLevel(value=level.value)
    row.label, row.colour, row.description = level.label, level.colour, level.description
    return row


def _placed_standards(
    document: pure.FrameworkDocument, area_ids: dict[str, int]
) -> Iterable[tuple[int | None, int, pure.GraduationStandard]]:
    for area in document.content_areas:
        for position, standard in enumerate(area.standards):
            yield area_ids[area.code], position, standard
    for group in (document.cross_curricular, document.habits_of_work):
        for position, standard in enumerate(group):
            yield None, position, standard


def _indicator_row(
    rows: _Rows, framework: Framework, position: int, indicator: pure.PerformanceIndicator
) -> PerformanceIndicator:
    row = rows.indicators.pop(indicator.code, None) or PerformanceIndicator(code=indicator.code)
    row.framework_id = framework.id
    row.title, row.description = indicator.title, indicator.description
    row.position, row.case_identifier = position, indicator.case_identifier
    objectives = []
    for number, objective in enumerate(indicator.objectives):
        kept = rows.objectives.pop((indicator.code, objective.code), None)
        objective_row = kept or LearningObjective(code=objective.code)
        objective_row.title, objective_row.position = objective.title, number
        objective_row.case_identifier = objective.case_identifier
        objectives.append(objective_row)
    row.objectives = objectives
    return row


@dataclass
class _Rows:
    """The rows a version already has, by the key that identifies them across an edit."""

    framework: Framework
    standards: dict[str, GraduationStandard]
    indicators: dict[str, PerformanceIndicator]
    #: by (indicator code, objective code): an objective moved to another indicator is a new row
    objectives: dict[tuple[str, str], LearningObjective]

    @classmethod
    def of(cls, session: Session, framework: Framework) -> _Rows:
        loaded = _with_items(session, framework)
        indicators = [i for s in loaded.standards for i in s.indicators]
        return cls(
            framework=loaded,
            standards={s.code: s for s in loaded.standards},
            indicators={i.code: i for i in indicators},
            objectives={(i.code, o.code): o for i in indicators for o in i.objectives},
        )


__all__ = [
    "SAMPLE_FRAMEWORK",
    "FrameworkNotFound",
    "FrameworkVersionConflict",
    "ImportResult",
    "find_indicator",
    "find_standard",
    "get_framework",
    "import_framework",
    "import_sample_framework",
    "indicator_id_map",
    "indicators_by_code",
    "list_frameworks",
    "list_versions",
    "load_document",
    "publish_framework",
    "published_framework",
    "save_framework",
]
