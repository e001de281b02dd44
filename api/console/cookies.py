"""The console's cookies: one way to set them (HttpOnly, SameSite=Strict, path /console)."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.wrappers import Response as BaseResponse

PRESESSION_COOKIE = "trustpath_presession"
"""Before a session exists, the sign-in and invitation forms' CSRF tokens are keyed by it."""


def set_cookie(response: BaseResponse, name: str, value: str) -> None:
    """HttpOnly, SameSite=Strict, path /console; Secure over TLS or when configured."""
    secure = request.is_secure or bool(current_app.config.get("CONSOLE_SECURE_COOKIES"))
    response.set_cookie(
        name, value, httponly=True, samesite="Strict", path="/console", secure=secure
    )
