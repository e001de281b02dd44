"""A fixed, seeded set of hostile inputs sent to every route of the OpenAPI document, with the
tokens of several roles: nothing a client sends is ever a 5xx, and every refusal is
application/problem+json.

Hostile inputs: JSON nested thousands of levels deep, numbers past any integer type, lone
surrogates and NUL in every text field, times in year 1 at +14:00 and malformed ones,
wrong types, overlong strings, bodies that are not JSON objects or not UTF-8, If-Match /
Idempotency-Key / X-Purpose headers no client should send, cursors that decode to huge
numbers or unstorable text, and path ids that are no id. Unlike schemathesis (kept in
test_contract.py), the set is written out, so a regression shows the same case every run.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from api.problems import PROBLEM_JSON
from tests.api.conftest import World

pytestmark = pytest.mark.api

SEED = 20261129
CASES_PER_OPERATION = 60
ROLES = ("admin", "coach_a", "coach_b", "cfo", "sponsor", "auditor")
HOSTILE_TEXTS = (
    "\x00",
    "Plain\x00words",
    "\ud800",
    "x\udfff",
    "\ufffe",
    "\U0010ffff",
    "\x1b[2J\x07",
    "\x85",
    "x" * 20_001,
    "",
    "   ",
    "\u202e\u200b\u2028 Zoë 東京 😀",
    "' OR '1'='1'; --",
)
HOSTILE_TIMES = (
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "2026-13-45T25:61:00Z",
    "2026-01-01T00:00:00",
    "2026-01-01T00:00:00+24:00",
    "\uff12\uff10\uff12\uff16-01-01T00:00:00Z",  # fullwidth digits
    "",
    0,
)
HOSTILE_NUMBERS: tuple[Any, ...] = (-1, 2**63, 2**64 + 1, 1.5, 1e308, True, None, "5", "²")
RAW_NUMBERS = ("1" + "0" * 400, "1e400", "-1e400", "NaN", "Infinity", "1" + "0" * 5000)
"""Written into the body as they are: json.dumps could not write most of them."""
HOSTILE_BODIES = (
    b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b"[" * 100_000,
    b"{",
    b"[]",
    b"null",
    b'"occurred_at"',
    b"1" + b"0" * 5000,
    b'{"occurred_at": "\xff\xfe"}',
    b'{"occurred_at": NaN}',
    b'{"\\ud800": 1, "occurred_at": "\\udfff"}',
    b"{" + b'"k": 1,' * 12_000 + b'"k": 2}',
)
HOSTILE_HEADERS: tuple[dict[str, str], ...] = (
    {"If-Match": '"²"'},
    {"If-Match": '"' + "9" * 5000 + '"'},
    {"If-Match": "W/"},
    {"If-Match": '"-1"'},
    {"If-Match": '"9223372036854775808"'},
    {"If-Match": '"1", "2", *'},
    {"Idempotency-Key": "k" * 5000},
    {"Idempotency-Key": "ctl\x01\x7f"},
    {"Idempotency-Key": "é"},
    {"X-Purpose": "\x00"},
    {"X-Purpose": "p" * 30_000},
    {"Content-Type": "application/json; charset=utf-16"},
)


def cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode("utf-8", "surrogatepass")).decode()


HOSTILE_QUERIES: tuple[dict[str, str], ...] = (
    {"cursor": cursor("1" + "0" * 30)},
    {"cursor": cursor(str(2**63))},
    {"cursor": cursor('["\\u0000", "x"]')},
    {"cursor": cursor('["\\ud800", "\\udfff"]')},
    {"cursor": cursor("[" * 300 + "]" * 300)},
    {"cursor": "%%%not base64%%%"},
    {"cursor": "é"},
    {"limit": str(10**30)},
    {"limit": "-1"},
    {"min_position": str(10**30)},
    {"min_position": "²"},
    {"as_of": "0001-01-01T00:00:00+14:00"},
    {"as_of": "9999-12-31T23:59:59-14:00"},
    {"as_of_position": str(2**63)},
    {"as_of_position": str(10**30)},
    {"purpose": "\x00"},
)
HOSTILE_IDS = ("%00", "x" * 5000, "%ED%A0%80", "..", "é😀", "1" + "0" * 30, "%20")


@dataclass
class Operation:
    method: str
    path: str
    body: dict[str, Any] | None
    params: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        found: dict[str, Any] = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return found
    return schema


def operations(doc: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            content = op.get("requestBody", {}).get("content", {}).get("application/json")
            body = resolve(doc, content["schema"]) if content else None
            params = [(p["in"], p["name"]) for p in op.get("parameters", [])]
            found.append(Operation(method.upper(), path, body, params))
    return found


def plain_value(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A well-formed value of a property (not necessarily one the domain accepts)."""
    schema = resolve(doc, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "string":
        return {
            "date-time": datetime.now(UTC).isoformat(),
            "date": (date.today() + timedelta(days=10)).isoformat(),
        }.get(schema.get("format", ""), "Plain words.")
    if kind == "integer":
        return 5
    if kind == "boolean":
        return True
    if kind == "array":
        return [plain_value(doc, schema.get("items", {}))]
    if kind == "object" and "properties" in schema:
        return {k: plain_value(doc, v) for k, v in schema["properties"].items()}
    return "Plain words."


def hostile_values(doc: dict[str, Any], schema: dict[str, Any]) -> list[Any]:
    """Hostile values for one property, chosen by its type, plus wrong types."""
    schema = resolve(doc, schema)
    kind = schema.get("type")
    wrong: list[Any] = [{"a": "b"}, ["x"], None, 3]
    if schema.get("format") in ("date-time", "date"):
        return [*HOSTILE_TIMES, *wrong]
    if kind == "integer":
        return [*HOSTILE_NUMBERS, *wrong]
    if kind == "array":
        return [[t] for t in HOSTILE_TEXTS] + [["x"] * 5000, *wrong]
    return [*HOSTILE_TEXTS, *wrong]


@dataclass
class Case:
    label: str
    path_ids: dict[str, str] = field(default_factory=dict)
    data: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def body_cases(doc: dict[str, Any], op: Operation) -> Iterator[Case]:
    assert op.body is not None
    base = {k: plain_value(doc, v) for k, v in op.body.get("properties", {}).items()}
    for name, prop in op.body.get("properties", {}).items():
        for value in hostile_values(doc, prop):
            data = json.dumps({**base, name: value}).encode()
            yield Case(f"{name}={str(value)[:30]!r}", data=data)
        for raw in RAW_NUMBERS:
            data = json.dumps({**base, name: "RAW"}).encode().replace(b'"RAW"', raw.encode())
            yield Case(f"{name}={raw[:20]}", data=data)
    for raw in HOSTILE_BODIES:
        yield Case(f"body {raw[:30]!r}", data=raw)
    for headers in HOSTILE_HEADERS:
        yield Case(f"headers {str(headers)[:40]}", data=json.dumps(base).encode(), headers=headers)


def query_cases(op: Operation) -> Iterator[Case]:
    names = {name for where, name in op.params if where == "query"}
    for query in HOSTILE_QUERIES:
        if set(query) <= names or "purpose" in query:
            yield Case(f"query {str(query)[:40]}", query=query)
    for headers in HOSTILE_HEADERS:
        yield Case(f"headers {str(headers)[:40]}", headers=headers)


def cases(doc: dict[str, Any], op: Operation, ids: dict[str, str]) -> list[Case]:
    """The operation's seeded sample of hostile cases, each on real ids or on hostile ones."""
    pool = list(body_cases(doc, op) if op.body is not None else query_cases(op))
    for name in ids:
        if "{" + name + "}" in op.path:
            pool += [Case(f"{name}={i[:20]}", path_ids={name: i}) for i in HOSTILE_IDS]
    rng = random.Random(f"{SEED}|{op}")
    return rng.sample(pool, min(CASES_PER_OPERATION, len(pool)))


def url(op: Operation, ids: dict[str, str], case: Case) -> str:
    path = op.path
    for name, value in {**ids, **case.path_ids}.items():
        path = path.replace("{" + name + "}", value)
    return path


def send(client: FlaskClient, world: World, op: Operation, case: Case, role: str) -> Any:
    headers = world.headers(role, **case.headers)
    if case.data is not None:
        headers.setdefault("Content-Type", "application/json")
    return client.open(
        url(op, real_ids(world), case),
        method=op.method,
        data=case.data,
        headers=headers,
        query_string=case.query,
    )


def real_ids(world: World) -> dict[str, str]:
    return {
        "eid": str(world.eid),
        "pid": world.demo.protagonists["cfo"],
        "sid": world.session_with_notes(),
        "cid": world.demo.commitments["confrontation"],
    }


def test_every_route_of_the_app_is_in_the_openapi_document(world: World) -> None:
    doc = world.flask.test_client().get("/openapi.json").json
    documented = {(op.method, op.path) for op in operations(doc)}
    for rule in world.flask.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith(("/docs", "/openapi")):
            continue
        if rule.endpoint == "console_root" or rule.endpoint.startswith("console."):
            continue  # the web console's HTML pages: tests/browser, tests/api/test_console_*
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in documented, f"{method} {path} is not walked"


@pytest.mark.parametrize("half", [0, 1], ids=["first-half-of-routes", "second-half-of-routes"])
def test_no_hostile_input_to_any_route_is_a_server_error(
    world: World, client: FlaskClient, half: int
) -> None:
    doc = client.get("/openapi.json").json
    ops = operations(doc)
    ops = ops[: len(ops) // 2] if half == 0 else ops[len(ops) // 2 :]
    failures, sent = [], 0
    for op in ops:
        for index, case in enumerate(cases(doc, op, real_ids(world))):
            role = ROLES[index % len(ROLES)]
            response = send(client, world, op, case, role)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{op} as {role}, {case.label}: {response.status_code}")
            elif response.status_code >= 400 and response.content_type != PROBLEM_JSON:
                failures.append(f"{op} as {role}, {case.label}: {response.content_type}")
    assert failures == [], "\n".join(failures)
    assert sent >= len(ops) * 10
