"""Validating an id_token launch, step by step as the spec reads; the only pylti1p3 import.

pylti1p3next gives us the message-type validators (claim shapes of resource-link and
deep-linking launches); the rest is ours because its defaults are unsafe for a multi-worker
tool: it never consumes nonces, fetches keys without a timeout, has no clock leeway, and
trusts the token's own `alg`. Each step raises `LaunchError` naming the claim that failed.

    state -> jwt format/alg -> registration (iss, aud, azp) -> signature and times
          -> nonce (bound to the state, single use) -> deployment -> message -> Launch
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from pylti1p3.exception import LtiException
from pylti1p3.message_validators import get_validators

from lti.launch import LTI, Launch
from lti.login import nonce_for, parse_state
from lti.platform_keys import PlatformKeySets
from lti.registration_cache import Registration, RegistrationCache
from pbridge.errors import LaunchError, RegistrationError
from store.nonces import NonceStore
from store.platforms import RegistrationStatus, UnknownDeploymentPolicy

log = logging.getLogger(__name__)

SUPPORTED_MESSAGES = {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


@dataclass(frozen=True)
class LaunchCheck:
    """What the launch request carried besides the id_token."""

    id_token: str
    state: str
    #: the state as the browser proved it: from our cookie, or from Platform Storage
    proven_state: str | None


class LaunchValidator:
    def __init__(
        self,
        *,
        registrations: RegistrationCache,
        key_sets: PlatformKeySets,
        nonces: NonceStore,
        secret_key: str,
        record_deployment: Callable[[int, str, RegistrationStatus], None],
        leeway: int = 60,
    ) -> None:
        self._registrations = registrations
        self._record_deployment = record_deployment
        self._key_sets = key_sets
        self._nonces = nonces
        self._secret_key = secret_key
        self._leeway = leeway

    def validate(self, check: LaunchCheck) -> Launch:
        self._check_state(check)
        header, unverified = _decode_unverified(check.id_token)
        platform, client_id = self._find_registration(unverified)
        claims = self._check_signature(check.id_token, header, platform, client_id)
        self._check_nonce(claims, check.state)
        self._check_deployment(claims, platform)
        self._check_message(claims)
        return Launch.from_claims(claims, client_id=client_id, platform_id=platform.id)

    # --- the steps ----------------------------------------------------------------------

    def _check_state(self, check: LaunchCheck) -> None:
        if not check.id_token:
            raise LaunchError("the launch has no id_token", claim="id_token")
        if not check.state:
            raise LaunchError("the launch has no state", claim="state")
        parse_state(check.state)
        if check.proven_state != check.state:
            raise LaunchError(
                "this browser did not start this launch (the state does not match); "
                "launch the tool again from your course",
                claim="state",
            )

    def _find_registration(self, claims: Mapping[str, Any]) -> tuple[Registration, str]:
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer:
            raise LaunchError("the id_token has no 'iss'", claim="iss")
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
        if not audiences or not all(isinstance(a, str) for a in audiences):
            raise LaunchError("the id_token has no 'aud'", claim="aud")
        azp = claims.get("azp")
        if len(audiences) > 1 and not azp:
            raise LaunchError("the id_token names several audiences but no 'azp'", claim="azp")
        if azp is not None and azp not in audiences:
            raise LaunchError("the id_token's 'azp' is not one of its audiences", claim="azp")
        client_id = azp or audiences[0]
        platform = self._registrations.find(issuer, client_id)
        if platform is None:
            raise LaunchError(
                f"no registration for issuer {issuer} with client_id {client_id}",
                claim="aud",
                status_code=403,
            )
        if platform.status != RegistrationStatus.ACTIVE:
            raise RegistrationError(f"the registration of {issuer} is not active")
        return platform, client_id

    def _check_signature(
        self, token: str, header: Mapping[str, Any], platform: Registration, client_id: str
    ) -> dict[str, Any]:
        key = self._key_sets.key_for(platform.key_set_url, str(header["kid"]))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=client_id,
                issuer=platform.issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise LaunchError("the id_token has expired; launch the tool again", claim="exp") from None
        except jwt.ImmatureSignatureError:
            raise LaunchError(
                "the id_token was issued in the future (check the platform's clock)", claim="iat"
            ) from None
        except jwt.InvalidAudienceError:
            raise LaunchError("the id_token is not meant for this tool", claim="aud") from None
        except jwt.InvalidIssuerError:
            raise LaunchError("the id_token's issuer does not match", claim="iss") from None
        except jwt.MissingRequiredClaimError as error:
            raise LaunchError(f"the id_token has no '{error.claim}'", claim=error.claim) from None
        except jwt.InvalidSignatureError:
            raise LaunchError("the id_token's signature does not verify", claim="signature") from None
        except jwt.InvalidTokenError as error:
            raise LaunchError(f"the id_token is invalid ({error})", claim="signature") from None
        return claims

    def _check_nonce(self, claims: Mapping[str, Any], state: str) -> None:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not nonce:
            raise LaunchError("the id_token has no nonce", claim="nonce")
        if nonce != nonce_for(state, self._secret_key):
            raise LaunchError("the id_token's nonce does not belong to this login", claim="nonce")
        ttl = max(60, int(claims.get("exp", 0)) - int(claims.get("iat", 0)) + 2 * self._leeway)
        if not self._nonces.consume(str(claims["iss"]), nonce, ttl_seconds=ttl):
            raise LaunchError(
                "this launch was already used once (replayed id_token); launch the tool again",
                claim="nonce",
            )

    def _check_deployment(self, claims: Mapping[str, Any], platform: Registration) -> None:
        deployment_id = claims.get(LTI + "deployment_id")
        if not isinstance(deployment_id, str) or not deployment_id:
            raise LaunchError("the id_token has no deployment_id", claim="deployment_id")
        status = platform.deployments.get(deployment_id)
        if status is None:
            policy = platform.unknown_deployments
            if policy == UnknownDeploymentPolicy.REFUSE:
                raise LaunchError(
                    f"deployment {deployment_id} is not registered for this platform; "
                    "an administrator must add it",
                    claim="deployment_id",
                    status_code=403,
                )
            status = (
                RegistrationStatus.ACTIVE
                if policy == UnknownDeploymentPolicy.ACCEPT
                else RegistrationStatus.PENDING
            )
            # recorded in its own transaction: a pending record must survive the refusal below
            self._record_deployment(platform.id, deployment_id, status)
        if status == RegistrationStatus.PENDING:
            raise LaunchError(
                f"deployment {deployment_id} is waiting for an administrator's approval",
                claim="deployment_id",
                status_code=403,
            )
        if status != RegistrationStatus.ACTIVE:
            raise LaunchError(
                f"deployment {deployment_id} is disabled", claim="deployment_id", status_code=403
            )

    def _check_message(self, claims: Mapping[str, Any]) -> None:
        message_type = claims.get(LTI + "message_type")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchError(
                f"message type {message_type!r} is not supported by this tool", claim="message_type"
            )
        if claims.get(LTI + "version") != "1.3.0":
            raise LaunchError("the launch is not LTI version 1.3.0", claim="version")
        if not isinstance(claims.get(LTI + "roles"), list):
            raise LaunchError("the launch has no roles claim", claim="roles")
        for validator in get_validators():
            if validator.can_validate(claims):
                try:
                    validator.validate(claims)
                except LtiException as error:
                    raise LaunchError(f"the {message_type} is malformed: {error}", claim="message") from None


def _decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before the signature is checked, to find the registration and key."""
    parts = token.split(".")
    if len(parts) != 3:
        raise LaunchError("the id_token is not a JWT (it must have three parts)", claim="id_token")
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise LaunchError("the id_token cannot be decoded", claim="id_token") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise LaunchError("the id_token cannot be decoded", claim="id_token")
    if header.get("alg") != "RS256":
        raise LaunchError(
            f"the id_token is signed with {header.get('alg')!r}; only RS256 is accepted",
            claim="alg",
        )
    if not header.get("kid"):
        raise LaunchError("the id_token's header has no 'kid'", claim="kid")
    return header, claims


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
