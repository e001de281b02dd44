"""Opaque page cursors over a position, validated strictly at the edge.

A cursor is the URL-safe base64 of a position written in ASCII digits (a notification id,
or an offset). Clients must treat it as opaque; the server treats it as hostile: anything
but base64 of 1 to 19 digits, no leading zero, at most 2^63 - 1 (what both stores' integer
columns hold), is a 422 naming `cursor`, never a 500.

    Cursor()        a marshmallow query field: the cursor in, the position out
    encode(n)       the cursor that continues after position n
    PageQuery       cursor + limit (1..200, default 50), for every paged list
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

MAX_POSITION = 2**63 - 1
MAX_CURSOR_LENGTH = 32
MAX_LIMIT = 200
_BASE64 = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,18}")


def encode(position: int) -> str:
    return base64.urlsafe_b64encode(str(position).encode("ascii")).decode("ascii")


def decode(cursor: str) -> int:
    """The position a cursor names; ValueError (saying why) for anything else."""
    if len(cursor) > MAX_CURSOR_LENGTH or not _BASE64.fullmatch(cursor):
        raise ValueError("not a cursor this server gave")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not a cursor this server gave") from None
    text = raw.decode("ascii", errors="replace")
    if not _DIGITS.fullmatch(text) or int(text) > MAX_POSITION:
        raise ValueError("not a cursor this server gave")
    return int(text)


class Cursor(fields.String):
    """A page cursor in the query string, deserialised to its position."""

    def _deserialize(  # type: ignore[override]
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> int:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return decode(text)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class PageQuery(Schema):
    cursor = Cursor(metadata={"description": "next_cursor of the previous page (opaque)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
