"""What a recompute reads besides evidence: the catalogue (indicators → standards, habits of
work, scales), the calculation policies and which students have an active override, kept per
process between runs.

All three change rarely and are read by every run, even one that recomputes a single score,
so a process keeps the last ones it read, keyed by the change stamps of `store.change_stamps`,
and reads them again only when a stamp differs: one small query instead of four, and no
policy parsing; a run for a student without overrides reads none. A database that has no
stamp yet gets one, and that run reads afresh.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from mappings.policy import Policy
from mappings.scale import Level, Scale, default_scale
from pbridge.errors import CalculationError
from store.change_stamps import CATALOGUE, OVERRIDES, POLICIES, ensure_stamps, read_stamps
from store.frameworks import Framework, GraduationStandard, PerformanceIndicator, ScaleLevel, StandardKind
from store.overrides import students_overridden
from store.policies import all_policies

_HUNDREDTH = Decimal("0.01")
#: how many stamps' worth of rows a process keeps (old ones serve transactions still open)
_KEPT = 4


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Every indicator's standard and framework, each standard's indicators (by id), whether
    a standard is a habit of work, and each framework's scale."""

    standard_of: Mapping[int, int]
    indicators_of: Mapping[int, tuple[int, ...]]
    habit_standard: Mapping[int, bool]
    framework_of: Mapping[int, int]
    scales: Mapping[int, Scale]

    def habit(self, indicator_id: int) -> bool:
        return self.habit_standard[self.standard_of[indicator_id]]

    def scale(self, indicator_id: int) -> Scale:
        return self.scales[self.framework_of[indicator_id]]

    def standard_scale(self, standard_id: int) -> Scale:
        """The scale a standard's roll-up uses: its first indicator's framework's."""
        indicators = self.indicators_of.get(standard_id, ())
        return self.scale(indicators[0]) if indicators else default_scale()


@dataclass(frozen=True, slots=True)
class Policies:
    """The district policy and each course's effective policy."""

    district: Policy
    courses: Mapping[int, Policy]

    def of(self, course_id: int | None) -> Policy:
        return self.district if course_id is None else self.courses.get(course_id, self.district)


def load_scales(session: Session, framework_ids: Iterable[int] | None = None) -> dict[int, Scale]:
    """Each framework's scale (the default 1–4 scale for one that lists no levels); None: all."""
    query = (
        select(
            Framework.id,
            Framework.meets_value,
            Framework.half_points,
            ScaleLevel.value,
            ScaleLevel.label,
            ScaleLevel.colour,
        )
        .outerjoin(ScaleLevel, ScaleLevel.framework_id == Framework.id)
        .order_by(Framework.id, ScaleLevel.value)
    )
    if framework_ids is not None:
        query = query.where(Framework.id.in_(sorted(set(framework_ids))))
    settings: dict[int, tuple[Decimal, bool]] = {}
    levels: dict[int, list[Level]] = defaultdict(list)
    for framework_id, meets, half_points, value, label, colour in session.execute(query):
        settings[framework_id] = (Decimal(meets).quantize(_HUNDREDTH), half_points)
        if value is not None:
            levels[framework_id].append(Level(Decimal(value).quantize(_HUNDREDTH), label, colour))
    scales: dict[int, Scale] = {}
    for framework_id, (meets, half_points) in settings.items():
        if levels[framework_id]:
            scales[framework_id] = Scale(
                levels=tuple(levels[framework_id]), meets=meets, half_points=half_points
            )
        else:
            scales[framework_id] = default_scale(half_points=half_points)
    return scales


def scale_for_indicator(session: Session, indicator_id: int) -> Scale:
    """The scale of the framework an indicator belongs to."""
    framework_id = session.scalar(
        select(PerformanceIndicator.framework_id).where(PerformanceIndicator.id == indicator_id)
    )
    if framework_id is None:
        raise CalculationError(f"no performance indicator with id {indicator_id}")
    return load_scales(session, [framework_id])[framework_id]


def load_catalogue(session: Session) -> Catalogue:
    """The whole catalogue, in two queries."""
    query = (
        select(
            PerformanceIndicator.id,
            PerformanceIndicator.standard_id,
            PerformanceIndicator.framework_id,
            GraduationStandard.kind,
        )
        .join(GraduationStandard, GraduationStandard.id == PerformanceIndicator.standard_id)
        .order_by(PerformanceIndicator.id)
    )
    habit_standard: dict[int, bool] = {}
    standard_of: dict[int, int] = {}
    framework_of: dict[int, int] = {}
    indicators_of: dict[int, list[int]] = defaultdict(list)
    for iid, sid, fid, kind in session.execute(query):
        habit_standard[sid] = kind is StandardKind.HABIT_OF_WORK
        standard_of[iid] = sid
        framework_of[iid] = fid
        indicators_of[sid].append(iid)
    return Catalogue(
        standard_of=standard_of,
        indicators_of={sid: tuple(ids) for sid, ids in indicators_of.items()},
        habit_standard=habit_standard,
        framework_of=framework_of,
        scales=load_scales(session),
    )


def load_policies(session: Session) -> Policies:
    district, courses = all_policies(session)
    return Policies(district, courses)


@dataclass(frozen=True, slots=True)
class RecomputeInputs:
    """What every recompute reads besides evidence and standings."""

    catalogue: Catalogue
    policies: Policies
    #: the students with an active override: a run for anyone else skips reading overrides
    overridden: frozenset[int]


_T = TypeVar("_T")
_lock = threading.Lock()
_catalogues: dict[str, Catalogue] = {}
_policies: dict[str, Policies] = {}
_overridden: dict[str, frozenset[int]] = {}


def _keep(cache: dict[str, _T], token: str, value: _T) -> None:
    with _lock:
        cache[token] = value
        while len(cache) > _KEPT:
            cache.pop(next(iter(cache)))


def _kept_or_read(cache: dict[str, _T], token: str | None, read: Callable[[], _T]) -> _T:
    """The value kept under this stamp, else read now (and kept when there is a stamp)."""
    found = cache.get(token) if token else None
    if found is None:
        found = read()
        if token:
            _keep(cache, token, found)
    return found


def recompute_inputs(session: Session) -> RecomputeInputs:
    """The catalogue, the policies and the students with overrides as this transaction sees
    them: from this process's copy when the stamps match, otherwise read (and kept under the
    stamp). Reading the policies refuses a course choice the district no longer allows."""
    stamps = read_stamps(session)
    inputs = RecomputeInputs(
        catalogue=_kept_or_read(_catalogues, stamps.get(CATALOGUE), lambda: load_catalogue(session)),
        policies=_kept_or_read(_policies, stamps.get(POLICIES), lambda: load_policies(session)),
        overridden=_kept_or_read(_overridden, stamps.get(OVERRIDES), lambda: students_overridden(session)),
    )
    ensure_stamps(session, [name for name in (CATALOGUE, POLICIES, OVERRIDES) if not stamps.get(name)])
    return inputs
