"""Request bodies no parser downstream can take: JSON nested too deep, numbers too long.

Python's `json` recurses once per level of nesting, and so would the schemas and the
domain after it: a body nested 5,000 levels deep made webargs raise RecursionError (a
500). No command of this API nests deeper than a few levels, so a JSON body nested deeper
than MAX_JSON_DEPTH is refused with 400 before any view sees it. So is a body `json`
cannot read at all: malformed, not UTF-8, or with an integer of over 4,300 digits (a
ValueError webargs does not catch). An empty body is left to the schemas (422).
"""

from __future__ import annotations

import json
from typing import Any

from flask import request

from api.problems import Problem

MAX_JSON_DEPTH = 32


def check_json_depth() -> None:
    """400 if the request's JSON body is nested deeper than MAX_JSON_DEPTH."""
    if not request.is_json:
        return
    data = request.get_data(cache=True)  # also a chunked body, which has no Content-Length
    if not data:
        return
    try:
        document = json.loads(data)
    except RecursionError:
        raise too_deep() from None
    except ValueError:  # malformed, not UTF-8, or an integer of over 4,300 digits
        raise Problem(400, "Bad Request", "the request body is not valid JSON") from None
    if depth_exceeds(document, MAX_JSON_DEPTH):
        raise too_deep()


def depth_exceeds(document: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, list):
            if depth > limit:
                return True
            pending.extend((child, depth + 1) for child in value)
    return False


def too_deep() -> Problem:
    return Problem(
        400, "Bad Request", f"the request body is nested deeper than {MAX_JSON_DEPTH} levels"
    )
