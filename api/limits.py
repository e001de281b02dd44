"""Rate limits, shared by every worker of one server (`api.shared`).

    principal bucket     every authenticated request, per principal: RATE_LIMIT / RATE_BURST;
                         an expensive view (a replay "as of") costs more than one token
    anonymous bucket     every request without a valid token to a protected route, per
                         client address: ANONYMOUS_RATE_LIMIT / ANONYMOUS_RATE_BURST, taken
                         before anything is looked up or written
    refusal bucket       refused confidential reads, per principal: the same small budget;
                         once spent, confidential routes answer 429 before any work
    sign-in buckets      the console's failed sign-ins, per typed name and per client
                         address (api.console.security.Throttle)

A request is let through while at least one token is left; its cost is then taken, so a
costly request can leave the bucket in debt and the next ones wait for it to refill.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from api.shared import SharedTable


class TokenBucket:
    """`rate` tokens a second per key, up to `burst`, in a table the workers share."""

    def __init__(self, rate: float, burst: float, table: SharedTable | None = None) -> None:
        self.rate, self.burst = rate, burst
        self.table = table or SharedTable()

    def take(self, who: str, cost: float = 1.0) -> bool:
        """Let `who` through if a token is left, and take `cost` tokens."""
        with self.table.slot(who, self._refilled) as slot:
            if slot is None:  # a full table never refuses a request
                return True
            tokens = self._tokens(slot.a, slot.b) if not slot.fresh else self.burst
            allowed = tokens >= 1
            slot.set(tokens - cost if allowed else tokens, time.monotonic())
        return allowed

    def has_tokens(self, who: str) -> bool:
        """Would `who` be let through now (nothing taken)?"""
        with self.table.slot(who, self._refilled, create=False) as slot:
            return slot is None or self._tokens(slot.a, slot.b) >= 1

    def retry_after(self, who: str) -> int:
        """Whole seconds until `who` has a token again (at least 1)."""
        with self.table.slot(who, self._refilled, create=False) as slot:
            missing = 0.0 if slot is None else 1 - self._tokens(slot.a, slot.b)
        return max(1, math.ceil(missing / self.rate)) if self.rate > 0 else 60

    def _tokens(self, tokens: float, last: float) -> float:
        return min(self.burst, tokens + (time.monotonic() - last) * self.rate)

    def _refilled(self, tokens: float, last: float, _stamp: float) -> bool:
        """A bucket back to full is as good as none: its slot may serve another key."""
        return self._tokens(tokens, last) >= self.burst


@dataclass(frozen=True)
class ServerLimits:
    """The tables of one server, made before its workers fork (or by one app in tests)."""

    principals: SharedTable
    anonymous: SharedTable
    refusals: SharedTable
    windows: SharedTable
    signin_names: SharedTable = field(default_factory=SharedTable)
    signin_addresses: SharedTable = field(default_factory=SharedTable)

    @classmethod
    def make(cls) -> ServerLimits:
        return cls(SharedTable(), SharedTable(), SharedTable(), SharedTable())

    def buckets(self, config: Mapping[str, Any]) -> dict[str, TokenBucket]:
        anonymous = (config["ANONYMOUS_RATE_LIMIT"], config["ANONYMOUS_RATE_BURST"])
        return {
            "trustpath.bucket": TokenBucket(
                config["RATE_LIMIT"], config["RATE_BURST"], self.principals
            ),
            "trustpath.anonymous_bucket": TokenBucket(*anonymous, self.anonymous),
            "trustpath.refusal_bucket": TokenBucket(*anonymous, self.refusals),
            "trustpath.signin_name_bucket": TokenBucket(
                *_per_window(config, "NAME"), self.signin_names
            ),
            "trustpath.signin_address_bucket": TokenBucket(
                *_per_window(config, "ADDRESS"), self.signin_addresses
            ),
        }


def _per_window(config: Mapping[str, Any], kind: str) -> tuple[float, float]:
    """SIGNIN_FAILURES_PER_<kind> failed sign-ins per SIGNIN_WINDOW_SECONDS, as a bucket."""
    failures = float(config.get(f"SIGNIN_FAILURES_PER_{kind}", 5 if kind == "NAME" else 20))
    return failures / float(config.get("SIGNIN_WINDOW_SECONDS", 900)), failures
