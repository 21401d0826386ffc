"""A standing as people read it: the number, the level's label, a short form, and a tone.

Colour is never the only carrier of meaning: every cell shows the number and the label (or
its initials, spelled out in the legend and for screen readers), and "insufficient evidence"
is its own word and pattern, never a low colour. The tone names where a value sits against
"meets" so the stylesheet can colour it without inline styles (the CSP forbids them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from mappings.scale import Scale, default_scale
from mappings.standing import shown
from store.page_queries import IndicatorEntry
from store.recompute import scale_for_indicator

INSUFFICIENT = "Insufficient evidence"
#: how far a level is from "meets" (in levels) → the stylesheet's tone
_TONES = {-2: "low2", -1: "low1", 0: "meets", 1: "high"}


@dataclass(frozen=True, slots=True)
class LevelShown:
    value: Decimal | None
    number: str
    label: str
    abbr: str
    tone: str
    met: bool | None

    @property
    def insufficient(self) -> bool:
        return self.value is None

    @property
    def text(self) -> str:
        """ "2.5 Partially meets", or "Insufficient evidence"."""
        return self.label if self.value is None else f"{self.number} {self.label}"


def _initials(label: str) -> str:
    words = [w for w in label.replace("+", " +").split() if w]
    return "".join(w[0].upper() if w != "+" else "+" for w in words) or "?"


class ScaleView:
    """Shows values on one scale; built once per page, asked per cell (cached by value)."""

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self._meets_index = next(i for i, lv in enumerate(scale.levels) if lv.value == scale.meets)
        self._cache: dict[Decimal | None, LevelShown] = {}

    def show(self, value: Decimal | None) -> LevelShown:
        found = self._cache.get(value)
        if found is None:
            found = self._cache[value] = self._make(value)
        return found

    def _make(self, value: Decimal | None) -> LevelShown:
        if value is None:
            return LevelShown(None, "–", INSUFFICIENT, "IE", "none", None)
        level = self.scale.level_at(value)
        index = self.scale.levels.index(level)
        distance = index - self._meets_index
        tone = (
            "meets" if distance == 0 else ("high" if distance > 0 else ("low1" if distance == -1 else "low2"))
        )
        label = self.scale.label(value)
        return LevelShown(value, shown(value), label, _initials(label), tone, value >= self.scale.meets)

    def legend(self) -> list[LevelShown]:
        return [self.show(level.value) for level in self.scale.levels] + [self.show(None)]

    @property
    def levels(self) -> list[LevelShown]:
        return [self.show(level.value) for level in self.scale.levels]


def scale_view_for(
    session: Session, indicators: dict[int, IndicatorEntry] | list[IndicatorEntry]
) -> ScaleView:
    """The scale of the framework the indicators belong to (the default scale when none)."""

    entries = list(indicators.values()) if isinstance(indicators, dict) else list(indicators)
    if not entries:
        return ScaleView(default_scale())
    return ScaleView(scale_for_indicator(session, entries[0].id))
