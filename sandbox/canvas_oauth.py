"""Canvas's OAuth 2 for its REST API: the authorization-code flow and refresh tokens.

    GET  /login/oauth2/auth?client_id&response_type=code&redirect_uri&state[&scope]
         -> log in (if the browser has no Canvas session) -> "Authorize" page
         -> 302 redirect_uri?code=...&state=...   (or ?error=access_denied&state=...)
    POST /login/oauth2/token  grant_type=authorization_code | refresh_token
         (the same URL as the LTI token endpoint; `tokens.issue_token` hands these grants here)

As in Canvas: the developer key must exist and list the redirect URI; a key that enforces
scopes refuses a request for scopes it does not have (`error=invalid_scope` on the redirect);
a code is redeemed once, within ten minutes, by the same client and redirect URI; access
tokens live an hour and the refresh grant gives a new one without a new refresh token.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote, urlencode

from flask import Blueprint, Response, redirect, request
from markupsafe import escape

from sandbox.current import current_state
from sandbox.flavours import Flavour
from sandbox.lms_api_access import ACCESS_TOKEN_LIFETIME, DeveloperKey
from sandbox.refusals import Refusal
from sandbox.roster import User

AUTH_PATH = "/login/oauth2/auth"
SESSION_COOKIE = "canvas_session"
#: the login form lists at most this many staff accounts to pick from
LISTED_ACCOUNTS = 40


def blueprint(flavour: Flavour) -> Blueprint:
    bp = Blueprint("canvas_oauth", __name__)
    bp.add_url_rule(AUTH_PATH, "authorize", authorize, methods=["GET", "POST"])
    return bp


def _oauth_error(status: int, error: str, description: str) -> Refusal:
    body = json.dumps({"error": error, "error_description": description})
    return Refusal(
        status, description, error=error, body=body, content_type="application/json; charset=utf-8"
    )


# the authorization request --------------------------------------------------------------------


def authorize() -> Response | str:
    state = current_state()
    params = request.values
    key = state.lms_api.developer_keys.get(params.get("client_id", ""))
    if key is None:
        raise _oauth_error(401, "invalid_client", "unknown client")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or not key.allows_redirect(redirect_uri):
        raise _oauth_error(400, "invalid_request", "redirect_uri does not match client settings")
    if params.get("response_type") != "code":
        return _back(redirect_uri, error="unsupported_response_type")
    scopes = tuple(params.get("scope", "").split()) or None
    if key.scopes is not None:
        unknown = [scope for scope in scopes or () if scope not in key.scopes]
        if unknown:
            return _back(
                redirect_uri,
                error="invalid_scope",
                error_description=f"A requested scope exceeds the developer key: {' '.join(unknown)}",
            )
    if request.method == "POST" and params.get("cancel"):
        return _back(redirect_uri, error="access_denied")
    user = _signed_in()
    if request.method == "POST" and params.get("login"):
        user = _user_for_login(params["login"])
        if user is None:
            return _login_page(key, error=f"No account with the login {params['login']!r}.")
        response = Response(_confirm_page(key, user), content_type="text/html; charset=utf-8")
        response.set_cookie(SESSION_COOKIE, user.id, httponly=True, samesite="Lax")
        return response
    if user is None:
        return _login_page(key)
    if request.method == "POST" and params.get("authorize"):
        code = state.lms_api.issue_code(
            client_id=key.client_id,
            user_id=user.id,
            redirect_uri=redirect_uri,
            scopes=scopes if key.scopes is not None else None,
        )
        return _back(redirect_uri, code=code)
    return _confirm_page(key, user)


def _back(redirect_uri: str, **answer: str) -> Response:
    passed = {**answer, "state": request.values.get("state", "")}
    separator = "&" if "?" in redirect_uri else "?"
    return redirect(redirect_uri + separator + urlencode(passed), code=302)


def _signed_in() -> User | None:
    user_id = request.cookies.get(SESSION_COOKIE, "")
    return current_state().users.get(user_id) if user_id else None


def _user_for_login(login: str) -> User | None:
    try:
        return current_state().find_user(login.strip())
    except LookupError:
        return None


def _hidden_fields() -> str:
    names = ("client_id", "response_type", "redirect_uri", "state", "scope")
    return "\n".join(
        f'<input type="hidden" name="{name}" value="{escape(request.values.get(name, ""))}">'
        for name in names
        if request.values.get(name) is not None
    )


def _login_page(key: DeveloperKey, error: str = "") -> str:
    state = current_state()
    staff = [user for user in state.users.values() if not set(user.institution_roles) <= {"Student"}]
    options = "\n".join(
        f"<li><code>{escape(user.login_id)}</code> ({escape(user.name)})</li>"
        for user in staff[:LISTED_ACCOUNTS]
    )
    problem = f'<p id="error">{escape(error)}</p>' if error else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Log in to Canvas (sandbox)</title></head>
<body><h1>Log in to Canvas (sandbox)</h1>
{problem}
<form action="{AUTH_PATH}" method="post">
{_hidden_fields()}
<label>Login <input name="login" autofocus></label>
<button type="submit">Log in</button>
</form>
<p>{escape(key.name)} asked for access. Accounts of this sandbox:</p><ul>{options}</ul>
</body></html>
"""


def _confirm_page(key: DeveloperKey, user: User) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize {escape(key.name)}</title></head>
<body><h1>{escape(key.name)} is requesting access to your account</h1>
<p>Logged in as {escape(user.name)}.</p>
<form action="{AUTH_PATH}" method="post">
{_hidden_fields()}
<input type="hidden" name="authorize" value="1">
<button type="submit">Authorize</button>
</form>
<form action="{AUTH_PATH}" method="post">
{_hidden_fields()}
<input type="hidden" name="cancel" value="1">
<button type="submit">Cancel</button>
</form>
</body></html>
"""


# the token endpoint's REST grants -------------------------------------------------------------


def issue_api_token() -> Response:
    """`grant_type=authorization_code` or `refresh_token` at Canvas's `/login/oauth2/token`."""
    state = current_state()
    form = request.form
    client_id, secret = _client_credentials()
    key = state.lms_api.developer_keys.get(client_id)
    if key is None or secret != key.secret:
        raise Refusal(401, "unknown client or wrong client secret", error="invalid_client")
    if form.get("grant_type") == "authorization_code":
        grant = state.lms_api.redeem_code(form.get("code", ""))
        if grant is None or grant.client_id != key.client_id:
            raise Refusal(400, "authorization_code not found", error="invalid_grant")
        if form.get("redirect_uri", grant.redirect_uri) != grant.redirect_uri:
            raise Refusal(
                400, "redirect_uri does not match the one the code was issued for", error="invalid_grant"
            )
        token, refresh = state.lms_api.issue_access_token(
            client_id=key.client_id, user_id=grant.user_id, scopes=grant.scopes, with_refresh=True
        )
    else:
        refresh_grant = state.lms_api.refresh_grant(form.get("refresh_token", ""))
        if refresh_grant is None or refresh_grant.client_id != key.client_id:
            raise Refusal(400, "refresh_token not found", error="invalid_grant")
        token, refresh = state.lms_api.issue_access_token(
            client_id=key.client_id,
            user_id=refresh_grant.user_id,
            scopes=refresh_grant.scopes,
            with_refresh=False,
        )
    user = state.users[token.user_id]
    body: dict[str, Any] = {
        "access_token": token.token,
        "token_type": "Bearer",
        "user": {
            "id": int(user.id),
            "name": user.name,
            "global_id": f"10000000{user.id}",
            "effective_locale": "en",
        },
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "canvas_region": "us-east-1",
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return Response(json.dumps(body), status=200, content_type="application/json; charset=utf-8")


def _client_credentials() -> tuple[str, str]:
    """client_id and client_secret from the form, or from HTTP Basic authentication."""
    form = request.form
    if form.get("client_id"):
        return form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        client_id, _, secret = decoded.partition(":")
        return unquote(client_id), unquote(secret)
    return "", ""
