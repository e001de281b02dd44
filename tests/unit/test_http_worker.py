"""When has a whole HTTP/1.x request arrived, so that a thread may take it?"""

from __future__ import annotations

import pytest

from ops.http_worker import MAX_HEAD, arrived, expects_continue

pytestmark = pytest.mark.unit
HEAD = b"POST /e HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.parametrize(
    ("buffer", "whole"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n", False),
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (HEAD + b"Content-Length: 5\r\n\r\nabc", False),
        (HEAD + b"Content-Length: 5\r\n\r\nabcde", True),
        (HEAD + b"content-length:5\r\n\r\nabcde", True),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", False),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", True),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n", False),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n", True),
        (HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", True),  # malformed: gunicorn says
        (b"GET /" + b"a" * (MAX_HEAD + 1), True),  # too long to wait for: gunicorn refuses it
    ],
)
def test_request_has_arrived_only_when_head_and_body_are_whole(buffer: bytes, whole: bool) -> None:
    assert arrived(buffer) is whole


def test_expect_continue_is_seen_in_a_whole_head_only() -> None:
    assert expects_continue(HEAD + b"Expect: 100-continue\r\nContent-Length: 2\r\n\r\n")
    assert not expects_continue(HEAD + b"Expect: 100-continue\r\n")
    assert not expects_continue(HEAD + b"Content-Length: 2\r\n\r\n")
