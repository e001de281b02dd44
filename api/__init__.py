"""trustpath's HTTP API: `create_app(trustpath_app, config=...)` builds the Flask app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from domain.trustpath import Trustpath


def create_app(app: Trustpath, **kwargs: Any) -> Flask:
    """The Flask app over one Trustpath application (see `api.app.create_app`)."""
    from api.app import create_app as build

    return build(app, **kwargs)
