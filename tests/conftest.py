from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from akscan.engine.detect import detect
from akscan.engine.rules import Ruleset, load_ruleset
from akscan.model import Blob, Finding, Origin
from tests.keys import FakeKeys

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """akscan's caches for this test session go to a folder of its own, never the user's."""
    os.environ["AKSCAN_CACHE_DIR"] = str(tmp_path_factory.mktemp("akscan-cache"))


@pytest.fixture(scope="session")
def dask_scheduler() -> Iterator[str]:
    """The address of one real Dask cluster (two worker processes on loopback) that fleet tests share with
    ``--scheduler``: starting a TLS LocalCluster costs each run seconds. The tests of akscan's own
    LocalCluster (its TLS, dashboard, worker count, Ctrl-C) still start their own."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    )
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


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
        return _checked(list(args), _run_in_process(list(args), input, cwd, env), cwd)
    full_env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(REPO / "scanner"), **(env or {})}
    proc = subprocess.run(
        [*akscan_command(), *args], input=input, capture_output=True, cwd=cwd, env=full_env, timeout=timeout
    )
    run = Run(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"))
    return _checked(list(args), run, cwd)


REPORT_COMMANDS = ("scan", "git", "hook", "fleet")


def _report_validator() -> object:
    import json

    import jsonschema

    schema = json.loads((REPO / "schema" / "report.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


_VALIDATOR: list[object] = []


def _checked(args: list[str], run: Run, cwd: Path | None) -> Run:
    """Every JSON (and JSON lines) report a test makes akscan write is checked against
    schema/report.schema.json: the schema is the report's contract, not documentation."""
    import json

    if not args or args[0] not in REPORT_COMMANDS:
        return run
    fmt = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "--format"), None)
    fmt = fmt or next((a.split("=", 1)[1] for a in args if a.startswith("--format=")), None)
    if fmt not in ("json", "jsonl"):
        return run
    output = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-o", "--output")), None)
    if output is not None and output != "-":
        path = Path(output) if Path(output).is_absolute() or cwd is None else cwd / output
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    else:
        text = run.out
    if not text.strip():
        return run  # nothing written (an error run): nothing to check
    if not _VALIDATOR:
        _VALIDATOR.append(_report_validator())
    validator = _VALIDATOR[0]
    documents = (
        [json.loads(line) for line in text.splitlines() if line.strip()] if fmt == "jsonl" else [json.loads(text)]
    )
    for document in documents:
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))  # type: ignore[attr-defined]
        assert not errors, f"report does not match schema/report.schema.json: {errors[0].message[:300]}"
    return run


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
