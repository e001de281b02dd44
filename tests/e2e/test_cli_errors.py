"""Clean errors: every expected failure of the real `trustpath` console script is one line
on stderr, `trustpath: <reason>`, and a non-zero exit; `--debug` shows the traceback.

Each case runs the installed script in a subprocess, in a scratch directory (so the
embedded defaults under ./var/ are its own), against a real SQLite store where the demo
engagement was played under another master key.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from domain.ciphers import MasterKey
from domain.trustpath import Trustpath
from ops.config import store_env
from ops.demo import play
from tests.support.served import free_port

pytestmark = pytest.mark.e2e

TRUSTPATH = Path(sys.executable).with_name("trustpath")
PASSWORD = "s3cret-pw"


@dataclass
class Scratch:
    directory: Path
    engagement_id: str

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTPATH_")}
        clean |= {"TRUSTPATH_MASTER_KEY_FILE": "good.key", **env}
        return subprocess.run(
            [str(TRUSTPATH), *args],
            cwd=self.directory,
            env=clean,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    directory = tmp_path_factory.mktemp("cli")
    good = MasterKey.generate()
    (directory / "good.key").write_text(good.as_text() + "\n")
    (directory / "wrong.key").write_text(MasterKey.generate().as_text() + "\n")
    (directory / "corrupt.key").write_text("this is not a key\n")
    (directory / "a-file").write_text("a regular file, not a directory\n")
    (directory / "not-checkpoints.jsonl").write_text('{"tree_size": 1}\n')
    app = Trustpath(store_env(f"sqlite:///{directory}/var/trustpath.db"), master_key=good)
    run = play(app)  # seals content: the key store now holds data keys under `good`
    app.close()
    made = Scratch(directory, str(run.engagement_id))
    assert made.run("ledger", "checkpoint").returncode == 0  # builds the read side too
    return made


def assert_one_clean_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.splitlines()
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("trustpath: "), lines[0]
    return lines[0]


WITH_THE_MASTER_KEY = [
    ["serve", "--bind", "127.0.0.1:0"],
    ["projections", "follow"],
    ["projections", "status"],
    ["projections", "rebuild"],
    ["demo"],
    ["timeline", "{eid}"],
    ["export", "--to", "report"],
    ["ledger", "checkpoint"],
]


@pytest.mark.parametrize("command", WITH_THE_MASTER_KEY, ids=" ".join)
def test_command_fails_in_one_line_when_the_master_key_is_wrong(
    scratch: Scratch, command: list[str]
) -> None:
    args = [a.format(eid=scratch.engagement_id) for a in command]
    result = scratch.run(*args, TRUSTPATH_MASTER_KEY_FILE="wrong.key")
    line = assert_one_clean_line(result)
    assert "which this process was not given" in line
    assert "TRUSTPATH_MASTER_KEY_FILE" in line
    assert "Booting worker" not in result.stdout + result.stderr  # refused before gunicorn


@pytest.mark.parametrize(
    "command",
    [["projections", "status"], ["principals", "list"], ["audit", "who-read", "p"], ["serve"]],
    ids=" ".join,
)
def test_command_fails_in_one_line_when_postgresql_is_not_listening(
    scratch: Scratch, command: list[str]
) -> None:
    url = f"postgresql://trustpath:{PASSWORD}@127.0.0.1:{free_port()}/trustpath"
    result = scratch.run(*command, TRUSTPATH_DATABASE_URL=url)
    line = assert_one_clean_line(result)
    assert "127.0.0.1" in line
    assert PASSWORD not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "command",
    [["projections", "status"], ["principals", "list"], ["audit", "who-read", "p"]],
    ids=" ".join,
)
def test_command_fails_in_one_line_when_the_sqlite_directory_cannot_exist(
    scratch: Scratch, command: list[str]
) -> None:
    result = scratch.run(*command, TRUSTPATH_DATABASE_URL="sqlite:///a-file/trustpath.db")
    assert "a-file" in assert_one_clean_line(result)


@pytest.mark.parametrize("command", [["projections", "status"], ["demo"]], ids=" ".join)
def test_command_fails_in_one_line_when_the_master_key_file_is_corrupt(
    scratch: Scratch, command: list[str]
) -> None:
    result = scratch.run(*command, TRUSTPATH_MASTER_KEY_FILE="corrupt.key")
    assert "corrupt.key" in assert_one_clean_line(result)


@pytest.mark.parametrize("command", [["ledger", "public-key"], ["ledger", "checkpoint"]])
def test_ledger_fails_in_one_line_when_production_has_no_ledger_key(
    scratch: Scratch, command: list[str]
) -> None:
    result = scratch.run(
        *command, TRUSTPATH_ENV="production", TRUSTPATH_LEDGER_KEY_FILE="missing.pem"
    )
    assert "no ledger key" in assert_one_clean_line(result)


def test_export_fails_in_one_line_when_its_directory_is_a_file(scratch: Scratch) -> None:
    result = scratch.run("export", "--to", "a-file")
    assert "a-file" in assert_one_clean_line(result)
    assert (scratch.directory / "a-file").read_text() == "a regular file, not a directory\n"


@pytest.mark.parametrize(
    ("command", "named"),
    [
        (["ledger", "verify", "--checkpoints", "not-checkpoints.jsonl"], "line 1"),
        (["ledger", "verify", "--public-key", "a-file"], "public key"),
        (["ledger", "verify-proof", "a-file"], "Expecting value"),
        (["ledger", "export-checkpoints", "missing/checkpoints.jsonl"], "missing"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else v,
)
def test_ledger_fails_in_one_line_when_a_file_it_is_given_is_wrong(
    scratch: Scratch, command: list[str], named: str
) -> None:
    assert named in assert_one_clean_line(scratch.run(*command))
    assert not (scratch.directory / "missing").exists()


def test_command_fails_in_one_line_when_the_postgresql_url_is_malformed(scratch: Scratch) -> None:
    url = f"postgresql://trustpath:{PASSWORD}@localhost:port/trustpath"
    result = scratch.run("projections", "status", TRUSTPATH_DATABASE_URL=url)
    assert "malformed PostgreSQL URL" in assert_one_clean_line(result)
    assert PASSWORD not in result.stderr


def test_principals_revoke_fails_in_one_line_when_there_is_no_such_principal(
    scratch: Scratch,
) -> None:
    assert "nobody" in assert_one_clean_line(scratch.run("principals", "revoke", "nobody"))


def test_serve_fails_in_one_line_when_its_address_is_taken(scratch: Scratch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = scratch.run("serve", "--bind", f"127.0.0.1:{port}")
    assert f"127.0.0.1:{port}" in assert_one_clean_line(result)


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--debug", "projections", "status"], {}),
        (["projections", "status"], {"TRUSTPATH_DEBUG": "1"}),
    ],
    ids=["--debug", "TRUSTPATH_DEBUG=1"],
)
def test_debug_shows_the_traceback_of_an_expected_failure(
    scratch: Scratch, args: list[str], env: dict[str, str]
) -> None:
    result = scratch.run(*args, TRUSTPATH_MASTER_KEY_FILE="wrong.key", **env)
    assert result.returncode != 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "MasterKeyError" in result.stderr
