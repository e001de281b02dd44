"""Files a real `trustpath` run creates are readable by their owner only, under the usual
umask 022: the SQLite store (whichever command creates it first), the generated keys, the
exports and the exported checkpoints, and the directories that hold them."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TRUSTPATH = Path(sys.executable).with_name("trustpath")


@pytest.fixture
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)  # the subprocesses inherit it
    yield
    os.umask(before)


def run(directory: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPATH_")}
    subprocess.run(
        [str(TRUSTPATH), *args],
        cwd=directory,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.mark.usefixtures("umask_022")
def test_every_file_of_a_real_run_is_owner_only_when_umask_is_022(tmp_path: Path) -> None:
    run(tmp_path, "principals", "add", "--role", "auditor", "--name", "first, creates the store")
    run(tmp_path, "demo")
    run(tmp_path, "export", "--to", "report")
    run(tmp_path, "ledger", "checkpoint")
    run(tmp_path, "ledger", "export-checkpoints", "checkpoints.jsonl")

    found = {
        str(p.relative_to(tmp_path)): stat.S_IMODE(p.lstat().st_mode) for p in tmp_path.rglob("*")
    }
    assert {"var/trustpath.db", "var/master.key", "var/ledger.key"} <= set(found)
    assert {"report/manifest.json", "checkpoints.jsonl"} <= set(found)
    expected = {name: 0o700 if (tmp_path / name).is_dir() else 0o600 for name in found}
    assert found == expected
