"""Files only their owner may read: the SQLite store and its -wal/-shm, the key files, the
exports; and links planted where trustpath writes are never followed.

Every test runs under umask 022 (the usual shell default), where a plain open() gives 0644.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.ciphers import MasterKey
from domain.errors import ConfigurationError
from domain.trustpath import Trustpath
from ops.config import Settings, load_master_key, store_env
from ops.demo import play
from projections.engine import make_engine
from projections.export import export
from projections.ledger.checkpoints import load_signer, write_jsonl
from projections.read_side import ReadSide
from projections.wiring import attach

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    before = os.umask(0o022)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def played(tmp_path: Path) -> Iterator[tuple[ReadSide, Path]]:
    """The demo engagement played into a fresh SQLite file, the read side attached."""
    database = tmp_path / "var" / "trustpath.db"
    url = f"sqlite:///{database}"
    app = Trustpath(store_env(url), master_key=MasterKey.generate())
    engine = make_engine(url)
    read_side = attach(app, engine)
    play(app)
    yield read_side, database
    read_side.close()
    engine.dispose()
    app.close()


def test_sqlite_store_and_its_wal_and_shm_are_owner_only_when_umask_is_022(
    played: tuple[ReadSide, Path],
) -> None:
    _, database = played
    companions = [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")]
    assert all(path.exists() for path in companions)  # the library runs SQLite in WAL mode
    assert {path.name: mode(path) for path in companions} == {
        path.name: 0o600 for path in companions
    }


def test_an_existing_store_readable_by_others_is_narrowed_to_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    os.chmod(database, 0o644)  # as a store written before files were made owner-only
    app = Trustpath(store_env(f"sqlite:///{database}"), master_key=MasterKey.generate())
    app.close()
    assert mode(database) == 0o600


def test_export_files_are_owner_only_and_in_an_owner_only_directory_when_umask_is_022(
    played: tuple[ReadSide, Path], tmp_path: Path
) -> None:
    read_side, _ = played
    out = tmp_path / "report"
    export(read_side, out, "csv", b"pseudonym key")
    written = sorted(out.iterdir())
    assert [p.name for p in written] == [
        "commitment_rates.csv",
        "commitments.csv",
        "engagements.csv",
        "manifest.json",
        "trust_moves.csv",
    ]
    assert {p.name: mode(p) for p in written} == {p.name: 0o600 for p in written}
    assert mode(out) == 0o700


def test_export_replaces_a_planted_link_and_leaves_its_target_unchanged(
    played: tuple[ReadSide, Path], tmp_path: Path
) -> None:
    read_side, _ = played
    out, outside = tmp_path / "report", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    victim = outside / "precious.txt"
    victim.write_text("not yours to overwrite\n")
    (out / "manifest.json").symlink_to(victim)
    (out / "engagements.csv").symlink_to(outside / "created-through-a-link.csv")
    os.link(victim, out / "trust_moves.csv")  # a hard link is an entry too: replaced

    exported = export(read_side, out, "csv", b"pseudonym key")

    assert victim.read_text() == "not yours to overwrite\n"
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    for name in ("manifest.json", "engagements.csv", "trust_moves.csv"):
        assert stat.S_ISREG(os.lstat(out / name).st_mode), name
    assert exported.manifest["files"][0]["file"] == "engagements.csv"
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_exported_checkpoints_replace_a_planted_link_and_are_owner_only(tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep\n")
    target = tmp_path / "checkpoints.jsonl"
    target.symlink_to(victim)
    assert write_jsonl([], target) == 0
    assert victim.read_text() == "keep\n"
    assert stat.S_ISREG(os.lstat(target).st_mode)
    assert mode(target) == 0o600


def test_generated_master_and_ledger_keys_are_owner_only_when_umask_is_022(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the embedded defaults live under ./var/
    key = load_master_key(Settings())
    signer = load_signer(production=False, environ={})
    var = tmp_path / "var"
    assert (mode(var / "master.key"), mode(var / "ledger.key")) == (0o600, 0o600)
    assert load_master_key(Settings()).id == key.id
    assert load_signer(production=False, environ={}).key_id == signer.key_id


def test_master_key_generation_never_writes_through_a_planted_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    stolen = tmp_path / "somewhere-else" / "stolen.key"
    stolen.parent.mkdir()
    (tmp_path / "var" / "master.key").symlink_to(stolen)  # dangling: "no key yet"
    with pytest.raises(ConfigurationError, match=r"master\.key"):
        load_master_key(Settings())
    assert not stolen.exists()


def test_ledger_key_generation_never_writes_through_a_planted_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    stolen = tmp_path / "stolen.pem"
    (tmp_path / "var" / "ledger.key").symlink_to(stolen)
    with pytest.raises(ConfigurationError, match=r"ledger\.key"):
        load_signer(production=False, environ={})
    assert not stolen.exists()


def test_a_new_key_file_never_replaces_one_written_meanwhile(tmp_path: Path) -> None:
    from domain.adapters.private_files import write_new

    key = tmp_path / "var" / "master.key"
    write_new(key, b"the first process's key\n")
    with pytest.raises(FileExistsError):
        write_new(key, b"a second process's key\n")
    assert key.read_bytes() == b"the first process's key\n"
    assert sorted(p.name for p in key.parent.iterdir()) == ["master.key"]  # no temporaries
