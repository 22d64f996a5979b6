"""Console sessions: a token typed once becomes an HttpOnly, SameSite=Strict cookie.

Signing in checks the token and issues a session token of its own for the same
principal (name, roles, employee) in the same token store: the API then checks
every page's calls exactly as it checks a bearer token, and signing out revokes
the session token alone (the token typed in keeps working for the CLI or curl).

Every form carries a CSRF token: for a session, an HMAC of the session token;
before sign-in, a random value that must match a cookie of its own (double submit).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from fastapi import Request
from starlette.responses import Response

from api.tokens import Principal, TokenExpired, TokenStore

SESSION_COOKIE = "opsledger_session"
PRESESSION_COOKIE = "opsledger_csrf"
LANG_COOKIE = "opsledger_lang"
SESSION_SECONDS = 12 * 3600


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or None


def session_principal(request: Request) -> Principal | None:
    token = session_token(request)
    if not token:
        return None
    tokens: TokenStore = request.app.state.tokens
    try:
        return tokens.principal(token)
    except TokenExpired:
        return None  # the session's 12 hours are over: sign in again


def sign_in(request: Request, response: Response, typed: str) -> Principal | None:
    """The typed token's principal, with a new session cookie; None if the token is bad."""
    tokens: TokenStore = request.app.state.tokens
    try:
        principal = tokens.principal(typed.strip()) if typed.strip() else None
    except TokenExpired:
        return None
    if principal is None:
        return None
    session = tokens.issue(
        principal.name,
        principal.roles,
        employee_id=principal.employee_id,
        expires_in=timedelta(seconds=SESSION_SECONDS),
    )
    set_cookie(request, response, SESSION_COOKIE, session, SESSION_SECONDS)
    response.delete_cookie(PRESESSION_COOKIE, path="/")
    return principal


def sign_out(request: Request, response: Response) -> None:
    token = session_token(request)
    if token:
        tokens: TokenStore = request.app.state.tokens
        tokens.revoke_token(token)
    response.delete_cookie(SESSION_COOKIE, path="/")


def csrf_for(request: Request) -> str:
    """The CSRF token forms on this page carry."""
    token = session_token(request)
    if token:
        return hmac.new(token.encode(), b"opsledger-console-csrf", hashlib.sha256).hexdigest()
    return request.cookies.get(PRESESSION_COOKIE) or ""


def presession_value(request: Request) -> str:
    """A CSRF value for the sign-in form (the browser's, if it has one)."""
    return request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(24)


def set_presession(request: Request, response: Response, value: str) -> None:
    set_cookie(request, response, PRESESSION_COOKIE, value, 3600)


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = csrf_for(request)
    return bool(expected) and bool(sent) and hmac.compare_digest(expected, sent or "")
