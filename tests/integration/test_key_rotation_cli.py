"""Both key rotations through the real `trustpath` console script, on SQLite and PostgreSQL.

rotate-master with the service's configuration (new key current, old key retired), then
the old key removed; rotate-ledger with a new key file, the signers pointed at it, and the
auditors' key set exported and used to verify every checkpoint.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.config import Settings, build_app
from ops.demo import play
from tests.support.cli_deployment import Deployment, environment

pytestmark = [pytest.mark.integration]


@pytest.fixture
def deployment(store_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """Keys made by `keys init`, the demo played with them."""
    made = Deployment(environment(tmp_path, store_url), tmp_path)
    made.run("keys", "init")
    app = build_app(Settings.from_environ(made.env))
    try:
        play(app)
    finally:
        app.close()
    return made


def test_rotate_master_rewraps_every_key_and_the_old_key_can_then_be_removed(
    deployment: Deployment,
) -> None:
    keys = deployment.directory / "keys"
    deployment.run("export", "--to", str(deployment.directory / "before"))
    new = str(keys / "master-2.key")
    deployment.run("keys", "init", "--only", "master", "--master-key-file", new)
    old = deployment.env["TRUSTPATH_MASTER_KEY_FILE"]
    deployment.env["TRUSTPATH_MASTER_KEY_FILE"] = new
    refused = deployment.run("keys", "rotate-master", ok=False)
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "TRUSTPATH_RETIRED_MASTER_KEY_FILES" in refused.stderr
    deployment.env["TRUSTPATH_RETIRED_MASTER_KEY_FILES"] = old
    done = deployment.run("keys", "rotate-master").stdout
    assert "rewrapped" in done
    assert "all " in done
    assert "0 changed meanwhile" in done
    again = deployment.run("keys", "rotate-master").stdout
    assert "rewrapped 0 key store rows" in again
    del deployment.env["TRUSTPATH_RETIRED_MASTER_KEY_FILES"]
    deployment.run("export", "--to", str(deployment.directory / "after"))
    assert _pseudonyms(deployment, "after") == _pseudonyms(deployment, "before")
    deployment.env["TRUSTPATH_MASTER_KEY_FILE"] = old
    stale = deployment.run("export", "--to", str(deployment.directory / "stale"), ok=False)
    assert stale.returncode == 1
    assert len(stale.stderr.strip().splitlines()) == 1


def _pseudonyms(deployment: Deployment, name: str) -> list[str]:
    """The engagement pseudonyms of an export: the same across a master-key rotation."""
    rows = (deployment.directory / name / "engagements.csv").read_text().splitlines()[1:]
    return sorted(row.split(",")[0] for row in rows)


def test_rotate_ledger_adds_a_key_earlier_checkpoints_verify_and_auditors_get_the_set(
    deployment: Deployment,
) -> None:
    deployment.run("ledger", "checkpoint")
    new = deployment.directory / "keys" / "ledger-2.key"
    rotated = deployment.run("keys", "rotate-ledger", "--new-key-file", str(new))
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert "successor of" in rotated.stdout
    assert "-----BEGIN PUBLIC KEY-----" in rotated.stdout
    again = deployment.run("keys", "rotate-ledger", "--new-key-file", str(new), ok=False)
    assert again.returncode == 1
    assert "never overwritten" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    deployment.env["TRUSTPATH_LEDGER_KEY_FILE"] = str(new)
    app = build_app(Settings.from_environ(deployment.env))
    try:
        play(app)
    finally:
        app.close()
    deployment.run("ledger", "checkpoint")
    listed = deployment.run("ledger", "public-keys").stdout.splitlines()
    assert [line.split()[1] for line in listed] == ["retired", "current"]
    key_set = deployment.file("keys.json", deployment.run("ledger", "public-keys", "--json").stdout)
    assert [k["status"] for k in json.loads(Path(key_set).read_text())["keys"]] == [
        "retired",
        "current",
    ]
    assert "ledger verified" in deployment.run("ledger", "verify").stdout
    exported = str(deployment.directory / "checkpoints.jsonl")
    deployment.run("ledger", "export-checkpoints", exported)
    offline = deployment.run("ledger", "verify", "--checkpoints", exported, "--public-key", key_set)
    assert "2 checkpoints" in offline.stdout


def test_rotate_ledger_refuses_a_symlink_and_writes_nothing(deployment: Deployment) -> None:
    link = deployment.directory / "keys" / "ledger-link.key"
    link.symlink_to(deployment.directory / "elsewhere.key")
    refused = deployment.run("keys", "rotate-ledger", "--new-key-file", str(link), ok=False)
    assert refused.returncode == 1
    assert "symlink" in refused.stderr
    assert not (deployment.directory / "elsewhere.key").exists()
