"""Charts drawn on the server as SVG geometry: no script, no library, readable by a printer.

The template draws what these dataclasses say (coordinates already computed), with a
`<title>` and `<desc>` for screen readers; the same data is always in a table beside it.
Colour is not the only carrier: counted evidence is a filled circle, formative an open
one, left-out evidence a cross, and the standing a line with its value written at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mappings.scale import Scale
from mappings.standing import shown

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 120, 60, 16, 34


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float
    kind: str  # "counted", "formative", "left-out"
    label: str


@dataclass(frozen=True, slots=True)
class GridLine:
    y: float
    label: str
    meets: bool


@dataclass(frozen=True, slots=True)
class TrendChart:
    width: int
    height: int
    points: tuple[ChartPoint, ...]
    standing_path: str
    standing_end: tuple[float, float, str] | None
    grid: tuple[GridLine, ...]
    x_labels: tuple[tuple[float, str], ...]
    description: str
    plot: tuple[float, float, float, float]  # left, top, right, bottom

    @property
    def empty(self) -> bool:
        return not self.points


@dataclass(frozen=True, slots=True)
class TrendInput:
    """One observation to plot (`level` None: nothing to plot) and the standing after it."""

    at: datetime
    level: Decimal | None
    kind: str
    title: str
    standing_after: Decimal | None = None


def trend_chart(observations: list[TrendInput], scale: Scale) -> TrendChart:
    """Levels over assessed dates, and the standing as it moved with each counted one."""
    plotted = [o for o in observations if o.level is not None]
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    low, high = scale.minimum, scale.maximum
    span = high - low or Decimal(1)

    def y_of(value: Decimal) -> float:
        return round(bottom - float((value - low) / span) * (bottom - TOP), 1)

    grid = tuple(
        GridLine(y_of(level.value), f"{shown(level.value)} {level.label}", level.value == scale.meets)
        for level in scale.levels
    )
    frame = (float(LEFT), float(TOP), float(right), float(bottom))
    if not plotted:
        return TrendChart(WIDTH, HEIGHT, (), "", None, grid, (), "No scored evidence yet.", frame)
    first, last = plotted[0].at, plotted[-1].at
    seconds = max((last - first).total_seconds(), 1.0)

    def x_of(at: datetime) -> float:
        if first == last:
            return round((LEFT + right) / 2, 1)
        return round(LEFT + 12 + (at - first).total_seconds() / seconds * (right - LEFT - 24), 1)

    points = tuple(
        ChartPoint(
            x_of(o.at),
            y_of(o.level),
            o.kind,
            f"{o.at.date().isoformat()}: {shown(o.level)} ({o.title})",
        )
        for o in plotted
        if o.level is not None
    )
    path_points = [(x_of(o.at), y_of(o.standing_after)) for o in plotted if o.standing_after is not None]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x},{y}" for i, (x, y) in enumerate(path_points))
    end = None
    final = next((o.standing_after for o in reversed(plotted) if o.standing_after is not None), None)
    if path_points and final is not None:
        end = (path_points[-1][0] + 6, path_points[-1][1] + 4, shown(final))
    labels = _x_labels(first, last, x_of)
    counted = sum(1 for p in points if p.kind == "counted")
    description = (
        f"{len(points)} scored observations from {first.date().isoformat()} to {last.date().isoformat()}, "
        f"{counted} counted" + (f"; the standing is now {shown(final)}" if final is not None else "") + "."
    )
    return TrendChart(WIDTH, HEIGHT, points, path, end, grid, labels, description, frame)


def _x_labels(first: datetime, last: datetime, x_of) -> tuple[tuple[float, str], ...]:  # type: ignore[no-untyped-def]
    if first.date() == last.date():
        return ((x_of(first), first.strftime("%b %-d")),)
    middle = first + (last - first) / 2
    return tuple((x_of(at), at.strftime("%b %-d")) for at in (first, middle, last))


def share_class(part: int, whole: int) -> str:
    """The nearest 10 % width class (the CSP forbids inline widths)."""
    if whole <= 0:
        return "w-0"
    return f"w-{round(part * 10 / whole) * 10}"
