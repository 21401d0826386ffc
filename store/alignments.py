"""Alignments: an LMS assignment (or one rubric criterion of it) tagged with indicators.

What is aligned is named the way its system names it: the LMS's own assignment id, an AGS
line item id, or a OneRoster line item sourcedId, with the platform or connection it lives
in. The alignment carries the purpose (formative / summative / habit of work), an optional
weight, and the conversion from raw score to level (`mappings.conversion`, stored as JSON).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Numeric, String, Table, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from mappings.conversion import Conversion, conversion_from_json
from mappings.evidence import EvidenceStatus, Purpose
from pbridge.errors import ProficiencyBridgeError
from store.base import Base, BigIntPk, intpk
from store.evidence import EvidenceRow, StandingKey
from store.frameworks import PerformanceIndicator
from store.types import utcnow


class AlignmentKind(enum.Enum):
    LMS_ASSIGNMENT = "lms_assignment"  # Canvas / Moodle / Schoology REST id
    AGS_LINE_ITEM = "ags_line_item"  # the AGS line item URL
    ONEROSTER_LINE_ITEM = "oneroster_line_item"  # the OneRoster sourcedId


alignment_indicators = Table(
    "alignment_indicators",
    Base.metadata,
    Column("alignment_id", BigIntPk, ForeignKey("alignments.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "indicator_id",
        BigIntPk,
        ForeignKey("performance_indicators.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Alignment(Base):
    __tablename__ = "alignments"
    __table_args__ = (UniqueConstraint("course_id", "kind", "external_id", "rubric_criterion_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AlignmentKind] = mapped_column()
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("platforms.id", ondelete="SET NULL"), default=None
    )
    #: the SIS or LMS-API connection the external id belongs to (no FK: those tables are
    #: owned by the bridge and may be several)
    connection_id: Mapped[int | None] = mapped_column(default=None)
    external_id: Mapped[str] = mapped_column(String(1000))
    #: "" when the whole assignment is aligned; the rubric criterion id otherwise
    rubric_criterion_id: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    purpose: Mapped[Purpose] = mapped_column(default=Purpose.SUMMATIVE)
    weight: Mapped[Decimal | None] = mapped_column(Numeric(8, 4), default=None)
    conversion: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    indicators: Mapped[list[PerformanceIndicator]] = relationship(
        secondary=alignment_indicators, order_by=PerformanceIndicator.id
    )

    def converter(self) -> Conversion:
        return conversion_from_json(self.conversion)


def save_alignment(
    session: Session,
    *,
    course_id: int,
    kind: AlignmentKind,
    external_id: str,
    indicator_ids: Sequence[int],
    purpose: Purpose,
    conversion: Conversion,
    rubric_criterion_id: str = "",
    platform_id: int | None = None,
    connection_id: int | None = None,
    weight: Decimal | None = None,
    title: str = "",
) -> Alignment:
    """Create or update the alignment of one assignment (or criterion) in one course."""
    if not indicator_ids:
        raise ProficiencyBridgeError("an alignment needs at least one performance indicator")
    indicators = list(
        session.scalars(select(PerformanceIndicator).where(PerformanceIndicator.id.in_(indicator_ids)))
    )
    missing = sorted(set(indicator_ids) - {i.id for i in indicators})
    if missing:
        raise ProficiencyBridgeError(f"no performance indicator with id {missing}; pick existing ones")
    alignment = session.scalars(
        select(Alignment).where(
            Alignment.course_id == course_id,
            Alignment.kind == kind,
            Alignment.external_id == external_id,
            Alignment.rubric_criterion_id == rubric_criterion_id,
        )
    ).one_or_none()
    if alignment is None:
        alignment = Alignment(
            course_id=course_id, kind=kind, external_id=external_id, rubric_criterion_id=rubric_criterion_id
        )
        session.add(alignment)
    alignment.platform_id = platform_id
    alignment.connection_id = connection_id
    alignment.purpose = purpose
    alignment.weight = weight
    alignment.title = title
    alignment.conversion = conversion.to_json()
    alignment.indicators = indicators
    session.flush()
    return alignment


def course_alignments(session: Session, course_id: int) -> list[Alignment]:
    return list(
        session.scalars(select(Alignment).where(Alignment.course_id == course_id).order_by(Alignment.id))
    )


def remove_alignment(
    session: Session, *, course_id: int, kind: AlignmentKind, external_id: str, rubric_criterion_id: str = ""
) -> set[StandingKey]:
    """Untag an assignment (or criterion): its evidence stops counting, and is kept.

    The evidence is marked removed at its source rather than deleted, so the body of evidence
    still shows it; tagging the assignment again brings it back at the next sync. Returns the
    standings to recompute.
    """
    alignment = session.scalars(
        select(Alignment).where(
            Alignment.course_id == course_id,
            Alignment.kind == kind,
            Alignment.external_id == external_id,
            Alignment.rubric_criterion_id == rubric_criterion_id,
        )
    ).one_or_none()
    if alignment is None:
        raise ProficiencyBridgeError("this assignment is not tagged in this course; nothing to remove")
    keys: set[StandingKey] = set()
    for row in session.scalars(select(EvidenceRow).where(EvidenceRow.alignment_id == alignment.id)):
        if row.status is not EvidenceStatus.REMOVED_AT_SOURCE:
            row.status = EvidenceStatus.REMOVED_AT_SOURCE
            keys.add(row.key)
    session.delete(alignment)
    session.flush()
    return keys
