"""Shared helpers for the benchmarks: run a command, time it, measure its peak memory, parse peers."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "scanner"), str(REPO)]  # akscan from this checkout; tests.keys for fakes

BETTERLEAKS_ALIBABA_RULES = (
    "alibaba-access-key-id,alibaba-secret-key,alibaba-sts-access-key-id,"
    "alibaba-sts-access-key-secret,alibaba-sts-security-token"
)

# Runs the command as a child and prints the largest resident set of any process it waited for.
_MEASURE = (
    "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
    "stderr=subprocess.DEVNULL); print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


@dataclass
class Timing:
    tool: str
    seconds: float
    peak_mib: float
    runs: list[float]


def measure(tool: str, command: list[str], repeat: int = 3, cwd: Path | None = None) -> Timing:
    runs = []
    peak = 0
    for _ in range(repeat):
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, cwd=cwd, check=True
        )
        runs.append(time.perf_counter() - started)
        peak = max(peak, int(out.stdout.split()[1]))
    return Timing(tool, statistics.median(runs), peak / 1024, runs)


def akscan_command() -> list[str]:
    # An installed package has its byte-code compiled by pip; a checkout run with PYTHONDONTWRITEBYTECODE
    # (set on some machines) would recompile every module on every start and time that instead.
    import compileall

    compileall.compile_dir(str(REPO / "scanner"), quiet=1)
    script = Path(sys.executable).parent / "akscan"
    return [str(script)] if script.exists() else [sys.executable, "-m", "akscan"]


def betterleaks_command(*target: str, report: Path) -> list[str]:
    """betterleaks restricted to its Alibaba rules, quiet, writing a JSON report."""
    return ["betterleaks", *target, "--no-banner", "-l", "error", "-ir", BETTERLEAKS_ALIBABA_RULES, "-o", str(report)]


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def betterleaks_findings(report: Path) -> list[dict]:
    if not report.exists() or report.stat().st_size == 0:
        return []
    return json.loads(report.read_text()).get("findings") or []


def betterleaks_pairs(findings: list[dict]) -> tuple[set[tuple[str, str]], set[str], set[str]]:
    """(id, secret) pairs, secrets and IDs that betterleaks reported."""
    pairs, secrets, ids = set(), set(), set()
    for finding in findings:
        value = finding.get("match", {}).get("value", "")
        rule = finding.get("rule_id", "")
        if "key-id" in rule:
            ids.add(value)
            continue
        secrets.add(value)
        for component_set in finding.get("component_sets") or []:
            for component in component_set.get("components") or []:
                other = component.get("match", {}).get("value", "")
                ids.add(other)
                pairs.add((other, value))
    return pairs, secrets, ids


def detect_secrets_hashes(report_text: str) -> set[str]:
    results = json.loads(report_text).get("results", {})
    return {entry["hashed_secret"] for entries in results.values() for entry in entries}


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def stdlib_dir() -> Path:
    import sysconfig

    return Path(sysconfig.get_paths()["stdlib"])


def copy_stdlib(target: Path, copies: int) -> None:
    """A corpus of ``copies`` copies of the Python standard library's own files (no site-packages,
    byte-code, static library or compiled extensions), hard-linked where the file system allows."""
    source = stdlib_dir()
    skip = {"site-packages", "__pycache__", "lib-dynload", "dist-packages"}
    for index in range(copies):
        root = target / f"stdlib-{index}"
        for folder, dirs, files in os.walk(source):
            dirs[:] = [d for d in dirs if d not in skip and not d.startswith("config-")]
            out = root / Path(folder).relative_to(source)
            out.mkdir(parents=True, exist_ok=True)
            for name in files:
                src, dst = Path(folder) / name, out / name
                if dst.exists() or src.is_symlink():
                    continue
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
