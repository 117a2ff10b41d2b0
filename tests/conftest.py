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


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """akscan's caches for this test session go to a folder of its own, never the user's."""
    os.environ["AKSCAN_CACHE_DIR"] = str(tmp_path_factory.mktemp("akscan-cache"))


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
    process: bool = False,
) -> Run:
    """Run the akscan command line: in this process by default (fast: no interpreter start-up), or as a
    real process with ``process=True`` (install, signals, start-up imports, hangs bounded by
    ``timeout``). Either way it is the checkout's own code, never a stale installed copy."""
    if not process:
        return _run_in_process(list(args), input, cwd, env)
    full_env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO / "scanner"), **(env or {})}
    proc = subprocess.run(
        [*akscan_command(), *args], input=input, capture_output=True, cwd=cwd, env=full_env, timeout=timeout
    )
    return Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))


def _run_in_process(args: list[str], input: bytes | None, cwd: Path | None, env: dict[str, str] | None) -> Run:
    import io

    from akscan.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    streams = (
        io.TextIOWrapper(io.BytesIO(input or b""), encoding="utf-8"),
        io.TextIOWrapper(out, encoding="utf-8", write_through=True),
        io.TextIOWrapper(err, encoding="utf-8", write_through=True),
    )
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    try:
        os.environ.update({"NO_COLOR": "1", **(env or {})})
        if cwd is not None:
            os.chdir(cwd)
        sys.stdin, sys.stdout, sys.stderr = streams
        code = main(args)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Run(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))
