"""An application on a store URL with a given master key: what every fixture and every
test that reopens a store (a cold cache, a second process) builds."""

from __future__ import annotations

from domain.ciphers import MasterKey
from domain.config import store_env
from domain.trustpath import Trustpath


def make_app(url: str, key: MasterKey) -> Trustpath:
    return Trustpath(store_env(url), master_key=key)
