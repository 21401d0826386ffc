"""Platform registrations, their deployments, the tool's signing keys and used launch nonces."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, intpk
from store.types import utcnow


class Preset(enum.Enum):
    """Which LMS a registration is for; decides the endpoints we know and the quirks we expect."""

    CANVAS = "canvas"
    MOODLE = "moodle"
    SCHOOLOGY = "schoology"
    GENERIC = "generic"


class RegistrationStatus(enum.Enum):
    ACTIVE = "active"
    PENDING = "pending"  # made by dynamic registration, waiting for an admin
    DISABLED = "disabled"


class UnknownDeploymentPolicy(enum.Enum):
    """What a launch from a deployment id we have not seen does (Schoology shares client ids)."""

    REFUSE = "refuse"
    PENDING = "pending"  # recorded for an admin to approve; the launch is refused meanwhile
    ACCEPT = "accept"  # recorded and accepted at once


class Platform(Base):
    """One registration of the tool with a platform: issuer + client_id."""

    __tablename__ = "platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(200))
    preset: Mapped[Preset] = mapped_column(default=Preset.GENERIC)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    #: the `aud` of our client assertion when the platform wants something else than the token URL
    auth_audience: Mapped[str | None] = mapped_column(String(1000), default=None)
    status: Mapped[RegistrationStatus] = mapped_column(default=RegistrationStatus.ACTIVE)
    unknown_deployments: Mapped[UnknownDeploymentPolicy] = mapped_column(
        default=UnknownDeploymentPolicy.REFUSE
    )
    #: scopes the platform granted in dynamic registration (None: unknown, ask for all)
    granted_scopes: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    #: "manual" or "dynamic"
    source: Mapped[str] = mapped_column(String(20), default="manual")
    #: the platform's answer to dynamic registration, kept for support
    registration_response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan", order_by="Deployment.id"
    )

    def __repr__(self) -> str:
        return f"<Platform {self.id} {self.issuer} {self.client_id}>"


class Deployment(Base):
    """A deployment id under a registration (Schoology: one per institution)."""

    __tablename__ = "deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[intpk]
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[RegistrationStatus] = mapped_column(default=RegistrationStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class KeyStatus(enum.Enum):
    CURRENT = "current"  # signs new tokens, published
    PREVIOUS = "previous"  # published so tokens signed a moment ago still verify
    RETIRED = "retired"  # kept for the record, neither signs nor is published


class ToolKey(Base):
    """An RSA key pair of the tool; the private half is stored sealed (`SecretBox`)."""

    __tablename__ = "tool_keys"

    id: Mapped[intpk]
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_key_sealed: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[KeyStatus] = mapped_column(default=KeyStatus.CURRENT)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(default=None)


class UsedNonce(Base):
    """A launch nonce already seen: a second launch with it is a replay."""

    __tablename__ = "used_nonces"
    __table_args__ = (UniqueConstraint("issuer", "nonce"),)

    id: Mapped[intpk]
    issuer: Mapped[str] = mapped_column(String(500))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)
