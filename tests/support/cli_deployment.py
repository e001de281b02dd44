"""The real `trustpath` console script run as an operator would: a directory of key files
and an environment naming the store (`environment`), commands run to completion (`run`)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ORIGIN = "trustpath.example/norwind-cli"


TRUSTPATH = str(Path(sys.executable).parent / "trustpath")


@dataclass
class Deployment:
    env: dict[str, str]
    directory: Path

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [TRUSTPATH, *args],
            env=self.env,
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if ok:
            assert done.returncode == 0, done.stderr
        return done

    def file(self, name: str, text: str) -> str:
        (self.directory / name).write_text(text, encoding="utf-8")
        return str(self.directory / name)


def environment(directory: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRUSTPATH_DATABASE_URL": url,
        "TRUSTPATH_MASTER_KEY_FILE": str(directory / "keys" / "master.key"),
        "TRUSTPATH_LEDGER_KEY_FILE": str(directory / "keys" / "ledger.key"),
        "TRUSTPATH_LOG_ORIGIN": ORIGIN,
        "COLUMNS": "200",
    }
