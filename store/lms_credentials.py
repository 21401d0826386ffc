"""Credentials for the LMSs' own APIs, sealed, and where each course's delta sync stands.

One `LmsCredential` per platform registration, in the shape its LMS expects:

- Canvas: a developer API key (client id + sealed secret) for the teachers' OAuth 2 flow,
  and optionally an admin token for scheduled syncs;
- Moodle: a web-service token of a service that allows the functions the bridge calls;
- Schoology: the app's consumer key and sealed consumer secret (OAuth 1.0a, two-legged).

Per teacher, Canvas's refresh token (and the current access token) are kept sealed in
`LmsUserToken`. Secrets are sealed with `SecretBox` before they reach a table and opened only
into `LmsSecrets`, whose repr hides them; nothing here returns or logs a secret otherwise.

`LmsSyncCursor` remembers, per course and LMS assignment, up to when scores were read and
which alignment they were read for, so the next sync asks only for what changed since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pbridge.errors import ProficiencyBridgeError
from store.base import Base, intpk
from store.platforms import Platform, Preset
from store.secret_box import SecretBox
from store.types import utcnow

KINDS = (Preset.CANVAS, Preset.MOODLE, Preset.SCHOOLOGY)


class LmsCredential(Base):
    __tablename__ = "lms_credentials"

    id: Mapped[intpk]
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[Preset] = mapped_column()
    #: the API's base URL when it is not the one the launch or the preset gives
    api_base_url: Mapped[str] = mapped_column(String(1000), default="")
    #: Canvas developer key id, Schoology consumer key ("" for Moodle)
    client_id: Mapped[str] = mapped_column(String(255), default="")
    #: Canvas developer key secret, Schoology consumer secret
    client_secret_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    #: Canvas admin token (scheduled syncs), Moodle web-service token
    token_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LmsUserToken(Base):
    """A teacher's Canvas authorisation: the refresh token, and the access token it last gave."""

    __tablename__ = "lms_user_tokens"
    __table_args__ = (UniqueConstraint("platform_id", "user_id"),)

    id: Mapped[intpk]
    platform_id: Mapped[int] = mapped_column(ForeignKey("platforms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: the LMS's own id of the user who authorised (Canvas `user.id` of the token answer)
    lms_user_id: Mapped[str] = mapped_column(String(255), default="")
    refresh_token_sealed: Mapped[str] = mapped_column(Text)
    access_token_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    access_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LmsSyncCursor(Base):
    """Where the delta sync of one LMS assignment in one course stands."""

    __tablename__ = "lms_sync_cursors"
    __table_args__ = (UniqueConstraint("course_id", "assignment_id"),)

    id: Mapped[intpk]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[str] = mapped_column(String(255))
    #: the alignments this assignment was read for; a change means reading it all again
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: scores changed before this moment have been read
    synced_through: Mapped[datetime] = mapped_column()
    #: the last time every score of the assignment was read (removals are seen only then)
    full_sweep_at: Mapped[datetime] = mapped_column()


@dataclass(frozen=True)
class LmsSecrets:
    """A platform's LMS API credentials, opened; the repr never shows a secret."""

    platform_id: int
    kind: Preset
    api_base_url: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    @property
    def has_developer_key(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class UserAuthorization:
    """A teacher's Canvas tokens, opened."""

    user_id: int
    lms_user_id: str
    refresh_token: str = field(repr=False)
    access_token: str = field(default="", repr=False)
    access_expires_at: datetime | None = None


class LmsCredentialsInvalid(ProficiencyBridgeError):
    """What an admin entered cannot be used; the message says which field and why."""


def save_credentials(
    session: Session,
    box: SecretBox,
    *,
    platform_id: int,
    kind: Preset,
    client_id: str | None = None,
    client_secret: str | None = None,
    token: str | None = None,
    api_base_url: str | None = None,
) -> LmsCredential:
    """Create or replace a platform's LMS API credentials (secrets sealed).

    A field left as None keeps what is stored, so an admin can add an admin token without
    entering the developer key again; "" clears it. Refuses a platform of another LMS, and
    credentials that lack what the LMS needs.
    """
    platform = session.get(Platform, platform_id)
    if platform is None:
        raise LmsCredentialsInvalid(f"there is no platform {platform_id}; see `pbridge platform list`")
    if kind not in KINDS:
        raise LmsCredentialsInvalid(f"{kind.value} has no API of its own that Proficiency Bridge reads")
    if platform.preset is not kind:
        raise LmsCredentialsInvalid(
            f"platform {platform_id} is a {platform.preset.value} registration, not {kind.value}"
        )
    if api_base_url and not api_base_url.startswith(("https://", "http://")):
        raise LmsCredentialsInvalid(f"the API URL {api_base_url!r} must start with https://")
    row = credentials_row(session, platform_id)
    if row is None:
        row = LmsCredential(platform_id=platform_id, kind=kind)
        session.add(row)
    row.kind = kind
    if client_id is not None:
        row.client_id = client_id.strip()
    if api_base_url is not None:
        row.api_base_url = api_base_url.rstrip("/")
    if client_secret is not None:
        row.client_secret_sealed = box.seal(client_secret) if client_secret else None
    if token is not None:
        row.token_sealed = box.seal(token.strip()) if token.strip() else None
    _check_complete(row)
    session.flush()
    return row


def _check_complete(row: LmsCredential) -> None:
    if row.kind is Preset.CANVAS:
        if not row.token_sealed and not (row.client_id and row.client_secret_sealed):
            raise LmsCredentialsInvalid(
                "Canvas needs a developer API key (client id and secret) for teachers to authorise, "
                "or an admin token for scheduled syncs, or both"
            )
        if row.client_id and not row.client_secret_sealed:
            raise LmsCredentialsInvalid(f"the Canvas developer key {row.client_id} needs its secret")
    elif row.kind is Preset.MOODLE:
        if not row.token_sealed:
            raise LmsCredentialsInvalid("Moodle needs a web-service token (REST protocol)")
    elif not (row.client_id and row.client_secret_sealed):
        raise LmsCredentialsInvalid("Schoology needs the app's consumer key and consumer secret")


def credentials_row(session: Session, platform_id: int) -> LmsCredential | None:
    query = select(LmsCredential).where(LmsCredential.platform_id == platform_id)
    return session.scalars(query).one_or_none()


def open_credentials(session: Session, box: SecretBox, platform_id: int) -> LmsSecrets | None:
    """The platform's credentials with secrets opened, or None when none were entered."""
    row = credentials_row(session, platform_id)
    if row is None:
        return None
    return LmsSecrets(
        platform_id=platform_id,
        kind=row.kind,
        api_base_url=row.api_base_url,
        client_id=row.client_id,
        client_secret=box.open(row.client_secret_sealed) if row.client_secret_sealed else "",
        token=box.open(row.token_sealed) if row.token_sealed else "",
    )


def all_credentials(session: Session) -> list[LmsCredential]:
    return list(session.scalars(select(LmsCredential).order_by(LmsCredential.platform_id)))


@dataclass(frozen=True, slots=True)
class CredentialLine:
    """What is stored for one platform (never a secret, only whether one is set)."""

    platform_id: int
    kind: Preset
    api_url: str
    client_id: str
    secret_set: bool
    token_set: bool
    #: Canvas: teachers who authorised the tool to act for them
    teachers_authorised: int | None

    def parts(self) -> list[str]:
        """The line as `pbridge lms list` prints it and the admin page shows it."""
        parts = [
            self.kind.value,
            self.api_url or "(API URL from the launch)",
            f"key {self.client_id}" if self.client_id else "no key",
            "secret set" if self.secret_set else "no secret",
            "token set" if self.token_set else "no token",
        ]
        if self.teachers_authorised is not None:
            parts.append(f"{self.teachers_authorised} teacher(s) authorised")
        return parts


def credential_lines(session: Session) -> dict[int, CredentialLine]:
    """The LMS API credentials of every platform that has some, by platform id."""
    return {row.platform_id: _line(session, row) for row in all_credentials(session)}


def _line(session: Session, row: LmsCredential) -> CredentialLine:
    teachers = None
    if row.kind is Preset.CANVAS:
        teachers = session.scalar(
            select(func.count()).select_from(LmsUserToken).where(LmsUserToken.platform_id == row.platform_id)
        )
    return CredentialLine(
        platform_id=row.platform_id,
        kind=row.kind,
        api_url=row.api_base_url or "",
        client_id=row.client_id or "",
        secret_set=bool(row.client_secret_sealed),
        token_set=bool(row.token_sealed),
        teachers_authorised=teachers,
    )


def remove_credentials(session: Session, platform_id: int) -> bool:
    """Forget a platform's credentials and its teachers' tokens; False when there were none."""
    row = credentials_row(session, platform_id)
    session.execute(delete(LmsUserToken).where(LmsUserToken.platform_id == platform_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


# teachers' Canvas authorisations -----------------------------------------------------------------


def save_user_authorization(
    session: Session,
    box: SecretBox,
    *,
    platform_id: int,
    user_id: int,
    lms_user_id: str,
    refresh_token: str,
    access_token: str = "",
    access_expires_at: datetime | None = None,
) -> None:
    row = _user_row(session, platform_id, user_id)
    if row is None:
        row = LmsUserToken(platform_id=platform_id, user_id=user_id, refresh_token_sealed="")
        session.add(row)
    row.lms_user_id = lms_user_id
    row.refresh_token_sealed = box.seal(refresh_token)
    row.access_token_sealed = box.seal(access_token) if access_token else None
    row.access_expires_at = access_expires_at
    session.flush()


def save_access_token(
    session: Session,
    box: SecretBox,
    *,
    platform_id: int,
    user_id: int,
    access_token: str,
    expires_at: datetime,
) -> None:
    """Keep a refreshed access token, so other workers use it instead of refreshing again."""
    row = _user_row(session, platform_id, user_id)
    if row is not None:
        row.access_token_sealed = box.seal(access_token)
        row.access_expires_at = expires_at
        session.flush()


def user_authorization(
    session: Session, box: SecretBox, *, platform_id: int, user_id: int
) -> UserAuthorization | None:
    row = _user_row(session, platform_id, user_id)
    return _opened(row, box) if row is not None else None


def authorizations_of(
    session: Session, box: SecretBox, *, platform_id: int, user_ids: list[int]
) -> list[UserAuthorization]:
    """The authorisations of some users (a course's teachers), most recently refreshed first."""
    if not user_ids:
        return []
    rows = session.scalars(
        select(LmsUserToken)
        .where(LmsUserToken.platform_id == platform_id, LmsUserToken.user_id.in_(user_ids))
        .order_by(LmsUserToken.updated_at.desc(), LmsUserToken.id.desc())
    )
    return [_opened(row, box) for row in rows]


def forget_user_authorization(session: Session, *, platform_id: int, user_id: int) -> None:
    """Drop a teacher's tokens (the LMS revoked them); they are asked to authorise again."""
    session.execute(
        delete(LmsUserToken).where(LmsUserToken.platform_id == platform_id, LmsUserToken.user_id == user_id)
    )


def _user_row(session: Session, platform_id: int, user_id: int) -> LmsUserToken | None:
    query = select(LmsUserToken).where(
        LmsUserToken.platform_id == platform_id, LmsUserToken.user_id == user_id
    )
    return session.scalars(query).one_or_none()


def _opened(row: LmsUserToken, box: SecretBox) -> UserAuthorization:
    return UserAuthorization(
        user_id=row.user_id,
        lms_user_id=row.lms_user_id,
        refresh_token=box.open(row.refresh_token_sealed),
        access_token=box.open(row.access_token_sealed) if row.access_token_sealed else "",
        access_expires_at=row.access_expires_at,
    )


# delta-sync cursors -----------------------------------------------------------------------------


def course_cursors(session: Session, course_id: int) -> dict[str, LmsSyncCursor]:
    rows = session.scalars(select(LmsSyncCursor).where(LmsSyncCursor.course_id == course_id))
    return {row.assignment_id: row for row in rows}


def advance_cursor(
    session: Session,
    *,
    course_id: int,
    assignment_id: str,
    fingerprint: str,
    synced_through: datetime,
    full_sweep: bool,
) -> None:
    row = session.scalars(
        select(LmsSyncCursor).where(
            LmsSyncCursor.course_id == course_id, LmsSyncCursor.assignment_id == assignment_id
        )
    ).one_or_none()
    if row is None:
        row = LmsSyncCursor(
            course_id=course_id,
            assignment_id=assignment_id,
            fingerprint=fingerprint,
            synced_through=synced_through,
            full_sweep_at=synced_through,
        )
        session.add(row)
    row.fingerprint = fingerprint
    row.synced_through = synced_through
    if full_sweep:
        row.full_sweep_at = synced_through
    session.flush()


def reset_cursors(session: Session, course_id: int) -> int:
    """Ask for a full sweep of a course's LMS scores at its next sync; how many were reset."""
    result = session.execute(delete(LmsSyncCursor).where(LmsSyncCursor.course_id == course_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
