"""The declarative base every table derives from, with portable shared column types.

Why a naming convention: Alembic needs stable constraint names to alter them later, and
SQLite and PostgreSQL otherwise name them differently.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, BigInteger, Enum, Integer, MetaData, String, types
from sqlalchemy.orm import DeclarativeBase, mapped_column

from store.types import UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: integer primary keys that autoincrement on both SQLite and PostgreSQL, and stay 64-bit on
#: PostgreSQL where evidence tables grow past 2**31 rows
BigIntPk = BigInteger().with_variant(Integer(), "sqlite")

intpk = Annotated[int, mapped_column(BigIntPk, primary_key=True, autoincrement=True)]
str_short = Annotated[str, mapped_column(String(255))]
str_long = Annotated[str, mapped_column(String(2048))]
utc_datetime = Annotated[datetime, mapped_column(UtcDateTime())]


class Base(DeclarativeBase):
    """All tables; enums are stored by value so a renamed member never rewrites rows."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        enum.Enum: Enum(
            enum.Enum, native_enum=False, values_callable=lambda e: [m.value for m in e], length=40
        ),
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        str: String(255),
    }


__all__ = ["Base", "BigIntPk", "intpk", "str_long", "str_short", "types", "utc_datetime"]
