"""Frameworks as stored: versions, their scale, content areas, standards, indicators, objectives.

A published framework is never edited in place: an edit makes a new version with new rows,
and evidence keeps pointing at the indicator row it was recorded against. Habits of work are
standards of kind `habit_of_work`, so they share the evidence machinery but are reported apart.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, intpk
from store.types import utcnow


class FrameworkStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"  # superseded by a newer version


class StandardKind(enum.Enum):
    CONTENT_AREA = "content_area"
    CROSS_CURRICULAR = "cross_curricular"
    HABIT_OF_WORK = "habit_of_work"


class Framework(Base):
    __tablename__ = "frameworks"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FrameworkStatus] = mapped_column(default=FrameworkStatus.DRAFT)
    #: the CASE CFDocument identifier (UUID) when imported from CASE
    case_identifier: Mapped[str | None] = mapped_column(String(100), default=None)
    #: "yaml", "csv", "case", "canvas", "editor"
    source_format: Mapped[str] = mapped_column(String(20), default="yaml")
    meets_value: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(3))
    half_points: Mapped[bool] = mapped_column(default=False)
    previous_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("frameworks.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)

    levels: Mapped[list[ScaleLevel]] = relationship(cascade="all, delete-orphan", order_by="ScaleLevel.value")
    content_areas: Mapped[list[ContentArea]] = relationship(
        cascade="all, delete-orphan", order_by="ContentArea.position"
    )
    standards: Mapped[list[GraduationStandard]] = relationship(
        back_populates="framework",
        cascade="all, delete-orphan",
        order_by="GraduationStandard.position",
    )


class ScaleLevel(Base):
    """One level of the framework's scoring criteria."""

    __tablename__ = "scale_levels"
    __table_args__ = (UniqueConstraint("framework_id", "value"),)

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    label: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str] = mapped_column(String(20), default="#777777")
    description: Mapped[str] = mapped_column(Text, default="")


class ContentArea(Base):
    __tablename__ = "content_areas"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)
    case_identifier: Mapped[str | None] = mapped_column(String(100), default=None)


class GraduationStandard(Base):
    """A graduation standard (content-area or cross-curricular) or a habit of work."""

    __tablename__ = "graduation_standards"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    content_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("content_areas.id", ondelete="SET NULL"), default=None
    )
    kind: Mapped[StandardKind] = mapped_column(default=StandardKind.CONTENT_AREA)
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    case_identifier: Mapped[str | None] = mapped_column(String(100), default=None, index=True)

    framework: Mapped[Framework] = relationship(back_populates="standards")
    indicators: Mapped[list[PerformanceIndicator]] = relationship(
        back_populates="standard",
        cascade="all, delete-orphan",
        order_by="PerformanceIndicator.position",
    )


class PerformanceIndicator(Base):
    """What a summative assessment measures; evidence is recorded against these rows."""

    __tablename__ = "performance_indicators"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[intpk]
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    standard_id: Mapped[int] = mapped_column(
        ForeignKey("graduation_standards.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(1000))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    case_identifier: Mapped[str | None] = mapped_column(String(100), default=None, index=True)

    standard: Mapped[GraduationStandard] = relationship(back_populates="indicators")
    objectives: Mapped[list[LearningObjective]] = relationship(
        cascade="all, delete-orphan", order_by="LearningObjective.position"
    )


class LearningObjective(Base):
    """Guides unit design below an indicator; never reported."""

    __tablename__ = "learning_objectives"
    __table_args__ = (UniqueConstraint("indicator_id", "code"),)

    id: Mapped[intpk]
    indicator_id: Mapped[int] = mapped_column(ForeignKey("performance_indicators.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(1000))
    position: Mapped[int] = mapped_column(default=0)
    case_identifier: Mapped[str | None] = mapped_column(String(100), default=None)
