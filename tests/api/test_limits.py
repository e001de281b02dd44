"""Rate limits hold per server: processes forked after a bucket was made share it."""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest

from api.auth import TokenBucket

pytestmark = pytest.mark.api
FORK = multiprocessing.get_context("fork")


def passed_in_children(bucket: TokenBucket, children: int, tries: int) -> list[int]:
    """How many of `tries` takes each forked child got through."""
    results: Any = FORK.Queue()

    def child() -> None:
        results.put(sum(bucket.take("one-principal") for _ in range(tries)))

    processes = [FORK.Process(target=child) for _ in range(children)]
    for p in processes:
        p.start()
    found = [results.get(timeout=60) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    return found


def test_bucket_made_before_a_fork_is_shared_by_the_forked_workers() -> None:
    bucket = TokenBucket(rate=0.001, burst=10)
    assert sum(passed_in_children(bucket, children=3, tries=20)) == 10


def test_bucket_lets_a_costly_request_through_then_waits_for_its_debt() -> None:
    bucket = TokenBucket(rate=0.001, burst=10)
    assert bucket.take("p", cost=25)
    assert not bucket.take("p")
    assert bucket.retry_after("p") > 1000
