from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from akscan.detect import detect
from akscan.model import Blob, Finding, Origin
from akscan.rules import Ruleset, load_ruleset
from tests.keys import FakeKeys

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def ruleset() -> Ruleset:
    return load_ruleset()


@pytest.fixture
def keys(request: pytest.FixtureRequest) -> FakeKeys:
    # crc32, not hash(): str hashes are salted per process, and a failing test must replay its keys.
    return FakeKeys(seed=zlib.crc32(request.node.nodeid.encode()))


def scan_text(text: str | bytes, ruleset: Ruleset, path: str = "sample.txt") -> list[Finding]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return detect(Blob(data, Origin(path)), ruleset)


def akscan_command() -> list[str]:
    script = Path(sys.executable).parent / "akscan"
    if script.exists():
        return [str(script)]
    found = shutil.which("akscan")
    if found:
        return [found]
    return [sys.executable, "-m", "akscan"]


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_akscan(
    *args: str,
    input: bytes | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Run:
    # The checkout's own code, never a stale installed copy.
    full_env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO / "scanner"), **(env or {})}
    proc = subprocess.run(
        [*akscan_command(), *args], input=input, capture_output=True, cwd=cwd, env=full_env, timeout=timeout
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
