"""OIDC login initiation: find the registration, mint state and nonce, build the auth redirect.

The nonce is not stored: it is an HMAC of the state under the tool's secret, so the launch
can check that the id_token answers *this* login without a lookup, and the state carries its
own age and whether the platform offered LTI Platform Storage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from lti.registration_cache import Registration, RegistrationCache
from pbridge.errors import LaunchError, RegistrationError
from store.platforms import RegistrationStatus

STATE_MAX_AGE = 600
COOKIE_PREFIX = "pb_state_"


@dataclass(frozen=True)
class LoginRedirect:
    auth_url: str
    state: str
    nonce: str
    #: the postMessage target for LTI Platform Storage, when the platform offered one
    storage_target: str | None
    #: the origin the platform's storage frame answers from (the auth URL's origin)
    platform_origin: str


def make_state(*, storage_target: str | None) -> str:
    """`<issued at>.<ck | ps-<target, base64url>>.<random>`: age and storage flow travel along."""
    if storage_target:
        encoded = base64.urlsafe_b64encode(storage_target.encode()).decode().rstrip("=")
        flag = f"ps-{encoded}"
    else:
        flag = "ck"
    return f"{int(time.time())}.{flag}.{secrets.token_urlsafe(18)}"


def nonce_for(state: str, secret_key: str) -> str:
    digest = hmac.new(secret_key.encode(), b"nonce|" + state.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def state_cookie_name(state: str) -> str:
    """One cookie per login, so two launches in two tabs never overwrite each other."""
    return COOKIE_PREFIX + hashlib.sha256(state.encode()).hexdigest()[:16]


def parse_state(state: str, *, now: float | None = None) -> str | None:
    """Check a state's shape and age; return the Platform Storage target it used, if any."""
    parts = state.split(".")
    flag = parts[1] if len(parts) == 3 else ""
    if len(parts) != 3 or not parts[0].isdigit() or not (flag == "ck" or flag.startswith("ps-")):
        raise LaunchError("the launch's state is not one this tool issued", claim="state")
    age = (now if now is not None else time.time()) - int(parts[0])
    if age > STATE_MAX_AGE or age < -60:
        raise LaunchError(
            "the login expired before the launch arrived (over 10 minutes); launch the tool again",
            claim="state",
        )
    if flag == "ck":
        return None
    try:
        encoded = flag[3:]
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise LaunchError("the launch's state is not one this tool issued", claim="state") from None


def find_registration(registrations: RegistrationCache, issuer: str, client_id: str | None) -> Registration:
    """The active registration for an issuer (and client_id, required when several exist)."""
    if client_id:
        platform = registrations.find(issuer, client_id)
        if platform is None:
            raise RegistrationError(
                f"this tool has no registration for issuer {issuer} with client_id {client_id}; "
                "an administrator must register the platform first"
            )
    else:
        candidates = registrations.for_issuer(issuer)
        if not candidates:
            raise RegistrationError(
                f"this tool has no registration for issuer {issuer}; "
                "an administrator must register the platform first"
            )
        if len(candidates) > 1:
            raise RegistrationError(
                f"issuer {issuer} has several registrations and the login did not say which "
                "(client_id is missing)"
            )
        platform = candidates[0]
    if platform.status == RegistrationStatus.PENDING:
        raise RegistrationError(f"the registration of {issuer} is waiting for an administrator's approval")
    if platform.status != RegistrationStatus.ACTIVE:
        raise RegistrationError(f"the registration of {issuer} is disabled")
    return platform


def begin_login(
    registrations: RegistrationCache, params: Mapping[str, str], *, base_url: str, secret_key: str
) -> LoginRedirect:
    """Validate a login initiation request and build the redirect to the platform's auth URL."""
    issuer = params.get("iss", "").strip()
    if not issuer:
        raise LaunchError("the login request has no 'iss' (issuer)", claim="iss")
    login_hint = params.get("login_hint", "")
    if not login_hint:
        raise LaunchError("the login request has no 'login_hint'", claim="login_hint")
    target = params.get("target_link_uri", "")
    if not target:
        raise LaunchError("the login request has no 'target_link_uri'", claim="target_link_uri")
    ours = urlsplit(base_url)
    theirs = urlsplit(target)
    if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
        raise LaunchError(
            f"target_link_uri {target} is not on this tool ({base_url})", claim="target_link_uri"
        )
    platform = find_registration(registrations, issuer, params.get("client_id") or None)

    storage_target = params.get("lti_storage_target") or None
    state = make_state(storage_target=storage_target)
    nonce = nonce_for(state, secret_key)
    query = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": f"{base_url}/lti/launch",
        "login_hint": login_hint,
        "state": state,
        "nonce": nonce,
    }
    if params.get("lti_message_hint"):
        query["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in platform.auth_login_url else "?"
    auth = urlsplit(platform.auth_login_url)
    return LoginRedirect(
        auth_url=f"{platform.auth_login_url}{separator}{urlencode(query)}",
        state=state,
        nonce=nonce,
        storage_target=storage_target,
        platform_origin=f"{auth.scheme}://{auth.netloc}",
    )
