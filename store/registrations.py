"""Finding, adding and approving platform registrations and their deployments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pbridge.errors import RegistrationError
from store.platforms import (
    Deployment,
    Platform,
    Preset,
    RegistrationStatus,
    UnknownDeploymentPolicy,
)


@dataclass(frozen=True)
class PlatformDetails:
    """What an admin enters (or dynamic registration learns) about a platform."""

    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    preset: Preset = Preset.GENERIC
    auth_audience: str | None = None
    unknown_deployments: UnknownDeploymentPolicy = UnknownDeploymentPolicy.REFUSE


def _check_url(name: str, value: str) -> None:
    if not value.startswith(("https://", "http://")):
        raise RegistrationError(f"{name} must be an http(s) URL, got {value!r}")


def add_platform(
    session: Session,
    details: PlatformDetails,
    *,
    deployment_ids: Sequence[str] = (),
    status: RegistrationStatus = RegistrationStatus.ACTIVE,
    source: str = "manual",
) -> Platform:
    """Register a platform; refuses a second registration of the same issuer + client_id."""
    for field_name in ("issuer", "auth_login_url", "auth_token_url", "key_set_url"):
        _check_url(field_name, getattr(details, field_name))
    if not details.client_id.strip():
        raise RegistrationError("client_id is required")
    existing = find_platform(session, details.issuer, details.client_id)
    if existing is not None:
        raise RegistrationError(
            f"{details.issuer} with client_id {details.client_id} is already registered "
            f"(platform {existing.id}); edit or remove it instead"
        )
    platform = Platform(
        name=details.name,
        preset=details.preset,
        issuer=details.issuer.strip(),
        client_id=details.client_id.strip(),
        auth_login_url=details.auth_login_url,
        auth_token_url=details.auth_token_url,
        key_set_url=details.key_set_url,
        auth_audience=details.auth_audience,
        unknown_deployments=details.unknown_deployments,
        status=status,
        source=source,
    )
    platform.deployments = [Deployment(deployment_id=d, status=status) for d in dict.fromkeys(deployment_ids)]
    session.add(platform)
    session.flush()
    return platform


def find_platform(session: Session, issuer: str, client_id: str) -> Platform | None:
    return session.scalars(
        select(Platform)
        .where(Platform.issuer == issuer, Platform.client_id == client_id)
        .options(selectinload(Platform.deployments))
    ).one_or_none()


def platforms_for_issuer(session: Session, issuer: str) -> list[Platform]:
    return list(session.scalars(select(Platform).where(Platform.issuer == issuer)))


def get_platform(session: Session, platform_id: int) -> Platform:
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise RegistrationError(f"there is no platform {platform_id}; `pbridge platform list` shows them")
    return platform


def list_platforms(session: Session) -> list[Platform]:
    return list(
        session.scalars(select(Platform).order_by(Platform.id).options(selectinload(Platform.deployments)))
    )


def remove_platform(session: Session, platform_id: int) -> None:
    session.delete(get_platform(session, platform_id))
    session.flush()


def approve_platform(session: Session, platform_id: int) -> Platform:
    """Activate a pending (dynamically registered) platform and its pending deployments."""
    platform = get_platform(session, platform_id)
    platform.status = RegistrationStatus.ACTIVE
    for deployment in platform.deployments:
        if deployment.status == RegistrationStatus.PENDING:
            deployment.status = RegistrationStatus.ACTIVE
    session.flush()
    return platform


def add_deployment(
    session: Session, platform: Platform, deployment_id: str, *, status: RegistrationStatus
) -> Deployment:
    deployment = Deployment(platform_id=platform.id, deployment_id=deployment_id, status=status)
    session.add(deployment)
    session.flush()
    return deployment


def set_deployment_status(session: Session, deployment_pk: int, status: RegistrationStatus) -> Deployment:
    deployment = session.get(Deployment, deployment_pk)
    if deployment is None:
        raise RegistrationError(f"there is no deployment {deployment_pk}")
    deployment.status = status
    session.flush()
    return deployment


def pending_deployments(session: Session) -> list[Deployment]:
    return list(
        session.scalars(
            select(Deployment)
            .where(Deployment.status == RegistrationStatus.PENDING)
            .options(selectinload(Deployment.platform))
        )
    )
