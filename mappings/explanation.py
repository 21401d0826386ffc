"""Why a standing is what it is: the evidence used and left out, the method, the arithmetic.

Structured first (so pages and the JSON output can lay it out), then in words: `plain()`
for a parent ("Your standing is 2.5 because ..."), `short()` for the one-line comment
posted beside the score in the LMS gradebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from mappings.evidence import Evidence, Purpose
from mappings.standing import Override, shown

#: the LMS comment field is short in places (Schoology); keep the one-liner well under it
SHORT_LIMIT = 250


@dataclass(frozen=True, slots=True)
class EvidenceLine:
    """One piece of evidence as an explanation shows it; `reason` says why it was left out."""

    ref: str
    level: Decimal | None
    assessed_at: datetime
    purpose: Purpose
    source: str = ""
    attempt: int = 1
    reason: str = ""

    @classmethod
    def of(cls, evidence: Evidence, reason: str = "") -> EvidenceLine:
        return cls(
            ref=evidence.ref,
            level=evidence.level,
            assessed_at=evidence.assessed_at,
            purpose=evidence.purpose,
            source=evidence.source,
            attempt=evidence.attempt,
            reason=reason,
        )

    def describe(self) -> str:
        level = "no level" if self.level is None else shown(self.level)
        source = f", {self.source}" if self.source else ""
        return f"{level} on {self.assessed_at.date().isoformat()} ({self.ref}{source})"

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "level": None if self.level is None else str(self.level),
            "assessed_at": self.assessed_at.isoformat(),
            "purpose": self.purpose.value,
            "source": self.source,
            "attempt": self.attempt,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EvidenceLine:
        return cls(
            ref=str(data["ref"]),
            level=None if data["level"] is None else Decimal(data["level"]),
            assessed_at=datetime.fromisoformat(data["assessed_at"]),
            purpose=Purpose(data["purpose"]),
            source=str(data.get("source", "")),
            attempt=int(data.get("attempt", 1)),
            reason=str(data.get("reason", "")),
        )


@dataclass(frozen=True, slots=True)
class Explanation:
    """Everything behind one standing, in order: inputs, rule, steps, result."""

    method: str
    method_title: str
    params: tuple[tuple[str, str], ...]
    used: tuple[EvidenceLine, ...]
    left_out: tuple[EvidenceLine, ...]
    steps: tuple[str, ...]
    #: the reported value (the override's when there is one); None: insufficient evidence
    value: Decimal | None
    #: what the method alone gives
    computed: Decimal | None
    #: "the mean of your 4 counted scores is 10 ÷ 4 = 2.50": completes "because ..."
    summary: str
    label: str = ""
    min_observations: int = 1
    insufficient_reason: str = ""
    override: Override | None = None

    def plain(self) -> str:
        """Words a parent can follow, a few short paragraphs."""
        lines: list[str] = []
        if self.override is not None:
            o = self.override
            lines.append(
                f"Your standing is {shown(o.value)}{self._label()}: your teacher ({o.author}) set "
                f"it on {o.at.date().isoformat()} because: {o.reason}"
            )
            if self.computed is None:
                lines.append(
                    f"Calculated by the {self.method_title} method alone there would not be "
                    f"enough evidence yet: {self.insufficient_reason}."
                )
            else:
                lines.append(
                    f"Calculated by the {self.method_title} method alone it would be "
                    f"{shown(self.computed)}, because {self.summary}."
                )
        elif self.value is None:
            lines.append(f"There is not enough evidence for a standing yet: {self.insufficient_reason}.")
        else:
            lines.append(f"Your standing is {shown(self.value)}{self._label()} because {self.summary}.")
        params = ", ".join(f"{k} = {v}" for k, v in self.params)
        lines.append(
            f"Method: {self.method_title}"
            + (f" ({params})" if params else "")
            + f"; at least {self.min_observations} counted "
            + ("score is" if self.min_observations == 1 else "scores are")
            + " needed."
        )
        if self.used:
            lines.append(
                f"Counted ({len(self.used)}, oldest first): "
                + "; ".join(line.describe() for line in self.used)
                + "."
            )
        else:
            lines.append("Counted: nothing yet.")
        for line in self.left_out:
            lines.append(f"Not counted: {line.describe()}: {line.reason}.")
        if self.steps:
            lines.append("Step by step: " + " ".join(self.steps))
        return "\n".join(lines)

    def short(self) -> str:
        """One line for the LMS gradebook comment."""
        left = f"; {len(self.left_out)} not counted" if self.left_out else ""
        if self.override is not None:
            method_view = "too little evidence" if self.computed is None else shown(self.computed)
            text = (
                f"Teacher override {shown(self.override.value)} ({self.override.reason}); "
                f"{self.method_title} gives {method_view}"
            )
        elif self.value is None:
            text = f"Insufficient evidence: {self.insufficient_reason}{left}"
        else:
            n = len(self.used)
            text = (
                f"{shown(self.value)}{self._label()}: {self.method_title} of {n} "
                f"{'score' if n == 1 else 'scores'}{left}"
            )
        return text if len(text) <= SHORT_LIMIT else text[: SHORT_LIMIT - 1] + "…"

    def _label(self) -> str:
        return f" ({self.label})" if self.label else ""

    def to_json(self) -> dict[str, Any]:
        override = None
        if self.override is not None:
            override = {
                "value": str(self.override.value),
                "author": self.override.author,
                "reason": self.override.reason,
                "at": self.override.at.isoformat(),
            }
        return {
            "method": self.method,
            "method_title": self.method_title,
            "params": dict(self.params),
            "used": [line.to_json() for line in self.used],
            "left_out": [line.to_json() for line in self.left_out],
            "steps": list(self.steps),
            "value": None if self.value is None else str(self.value),
            "computed": None if self.computed is None else str(self.computed),
            "summary": self.summary,
            "label": self.label,
            "min_observations": self.min_observations,
            "insufficient_reason": self.insufficient_reason,
            "override": override,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Explanation:
        raw_override = data.get("override")
        override = None
        if raw_override:
            override = Override(
                value=Decimal(raw_override["value"]),
                author=str(raw_override["author"]),
                reason=str(raw_override["reason"]),
                at=datetime.fromisoformat(raw_override["at"]),
            )
        return cls(
            method=str(data["method"]),
            method_title=str(data["method_title"]),
            params=tuple((str(k), str(v)) for k, v in data.get("params", {}).items()),
            used=tuple(EvidenceLine.from_json(x) for x in data.get("used", [])),
            left_out=tuple(EvidenceLine.from_json(x) for x in data.get("left_out", [])),
            steps=tuple(str(s) for s in data.get("steps", [])),
            value=None if data.get("value") is None else Decimal(data["value"]),
            computed=None if data.get("computed") is None else Decimal(data["computed"]),
            summary=str(data.get("summary", "")),
            label=str(data.get("label", "")),
            min_observations=int(data.get("min_observations", 1)),
            insufficient_reason=str(data.get("insufficient_reason", "")),
            override=override,
        )
