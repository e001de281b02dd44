"""gunicorn's threaded worker, but a request reaches a thread only once it has fully arrived.

    gthread (gunicorn)                         BufferingWorker (this module)
    accept ─► a thread reads the request       accept ─► the event loop reads the request,
              (a slow client holds it: 4 such            without blocking, into a buffer
              clients pinned every thread of             whole head and body ─► a thread
              a worker, and /health/live hung)           (it parses from the buffer)

A client that sends part of a request and waits costs a socket and a small buffer, never a
thread, and is dropped after REQUEST_SECONDS. Keep-alive connections go through the same
loop. The worker stays multi-process (gunicorn's workers) and multi-threaded, so
`trustpath serve` can be bound directly; a reverse proxy that buffers requests (nginx does
by default) is then optional, not required. Measured against a proxy: waitress buffers the
same way but is one process; gevent would need psycopg and the library's thread pools
patched.

What counts as arrived: the head (up to a blank line) and then Content-Length bytes of
body, or a chunked body up to its last chunk; a head or body larger than the limits goes
to a thread at once, where gunicorn and Flask refuse it (431 / 413). `Expect:
100-continue` is answered from the loop so that the client sends its body (gunicorn may
send a second 100 Continue later: clients must accept any number of 1xx answers).
"""

from __future__ import annotations

import errno
import re
import selectors
import time
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

REQUEST_SECONDS = 30.0
"""How long a client may take to send one whole request."""
MAX_HEAD = 64 * 1024
MAX_BUFFERED = 1024 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
HEAD_END = re.compile(rb"\r?\n\r?\n")
CONTENT_LENGTH = re.compile(rb"\ncontent-length[ \t]*:[ \t]*(\d+)")


class BufferingWorker(ThreadWorker):  # type: ignore[misc]
    """A gthread worker whose event loop buffers each request before a thread takes it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reading: set[Any] = set()

    def enqueue_req(self, conn: Any) -> None:
        """Called for a new or kept-alive connection: read its request in the loop first."""
        if self.cfg.is_ssl or getattr(conn, "arrived", False):
            conn.arrived = False
            super().enqueue_req(conn)
            return
        held = conn.parser.unreader.take_buffered() if conn.parser is not None else b""
        conn.buffered, conn.continued = bytearray(held), False
        conn.deadline = time.monotonic() + REQUEST_SECONDS
        if arrived(conn.buffered):
            self._dispatch(conn)
            return
        conn.sock.setblocking(False)
        self.reading.add(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))

    def handle(self, conn: Any) -> Any:
        """In a thread: parse the buffered request (the socket is only written to)."""
        buffered = bytes(getattr(conn, "buffered", b""))
        conn.buffered = bytearray()
        conn.sock.setblocking(True)
        conn.init()
        if buffered:
            conn.parser.unreader.unread(buffered)
        return super().handle(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.reading if c.deadline < now]:
            self._drop(conn)

    def _cap_keepalive(self, deadline: float) -> None:
        super()._cap_keepalive(deadline)
        for conn in list(self.reading):  # stopping: a request still arriving is not served
            self._drop(conn)

    def _readable(self, conn: Any, _sock: Any) -> None:
        try:
            data = conn.sock.recv(65536)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.buffered += data
        if arrived(conn.buffered):
            self._stop_reading(conn)
            self._dispatch(conn)
        elif not conn.continued and expects_continue(conn.buffered):
            conn.continued = True
            try:
                conn.sock.send(CONTINUE)
            except OSError:
                self._drop(conn)

    def _dispatch(self, conn: Any) -> None:
        conn.arrived = conn.data_ready = True
        super().enqueue_req(conn)

    def _stop_reading(self, conn: Any) -> None:
        self.reading.discard(conn)
        self.poller.unregister(conn.sock)

    def _drop(self, conn: Any) -> None:
        if conn in self.reading:
            self._stop_reading(conn)
        self.nr_conns -= 1
        conn.close()


def arrived(buffer: bytes | bytearray) -> bool:
    """Has a whole HTTP/1.x request arrived (or is it too large to wait for)?"""
    if len(buffer) > MAX_BUFFERED:
        return True
    end = HEAD_END.search(buffer)
    if end is None:
        return len(buffer) > MAX_HEAD
    head, body = bytes(buffer[: end.start()]).lower(), bytes(buffer[end.end() :])
    if b"\ntransfer-encoding" in head:
        return chunked_arrived(body)
    length = CONTENT_LENGTH.search(head)
    return length is None or len(body) >= int(length.group(1))


def chunked_arrived(body: bytes) -> bool:
    """Has a chunked body arrived up to its last chunk and trailers?"""
    at = 0
    while True:
        line_end = body.find(b"\r\n", at)
        if line_end < 0:
            return False
        try:
            size = int(body[at:line_end].split(b";")[0].strip(), 16)
        except ValueError:
            return True  # malformed: let gunicorn refuse it
        if size == 0:
            rest = body[line_end + 2 :]
            return rest.startswith(b"\r\n") or b"\r\n\r\n" in rest
        at = line_end + 2 + size + 2
        if at > len(body):
            return False


def expects_continue(buffer: bytes | bytearray) -> bool:
    end = HEAD_END.search(buffer)
    head = bytes(buffer[: end.start()]).lower() if end else b""
    return b"\nexpect" in head and b"100-continue" in head
