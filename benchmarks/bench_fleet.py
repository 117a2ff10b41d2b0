"""Fleet benchmark: N small generated repositories (a planted pair each, one pair shared by all).

Prints repositories per minute for `akscan fleet` with 1 and 2 local workers (the speedup of 2 over 1),
the per-repository cost against running `akscan git` in a loop, and the coordinator's peak memory
(measured inside this process, which runs the coordinator through the same API the command uses; the
workers are processes of their own).

    python benchmarks/bench_fleet.py [--repos 200] [--memory-repos 1000]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import akscan_command

from tests.gitrepo import Repo
from tests.keys import FakeKeys


def build(root: Path, count: int) -> list[str]:
    keys = FakeKeys(11)
    shared = (
        f"ALIBABA_CLOUD_ACCESS_KEY_ID={keys.alibaba_id()}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={keys.alibaba_secret()}\n"
    )
    template = Repo(root / "template")
    template.commit("config", deploy_env=shared, readme="a small service\n")
    for index in range(5):
        template.commit(f"change {index}", app_py=f"VERSION = {index}\n")
    paths = []
    for index in range(count):
        copy = root / f"repo{index:04d}"
        shutil.copytree(template.path, copy)
        repo = Repo.__new__(Repo)
        repo.path, repo.clock = copy, 1_700_100_000 + index
        repo.commit("own key", client_py=f"auth = oss2.Auth('{keys.alibaba_id()}', '{keys.alibaba_secret()}')\n")
        paths.append(str(copy))
    return paths


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def coordinator_memory(paths: list[str], cache: Path) -> tuple[float, int]:
    """Run the coordinator here; returns (seconds, VmHWM in KiB) of this process."""
    os.environ["AKSCAN_CACHE_DIR"] = str(cache)
    from akscan.engine.rules import load_ruleset
    from akscan.report import fleet as fleet_report
    from akscan.runs.fleet import FleetOptions, run_fleet

    started = time.perf_counter()
    run = run_fleet(paths, load_ruleset(), FleetOptions(workers=2, fresh=True))
    summary = fleet_report.summarise(
        __import__("akscan.runs.fleet", fromlist=["ResultStore"]).ResultStore(run.results).records()
    )
    fleet_report.write("json", summary, {"duration_seconds": run.duration}, io.StringIO())
    seconds = time.perf_counter() - started
    status = Path("/proc/self/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--memory-repos", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="akscan-fleet-bench-"))
    paths = build(work / "repos", max(args.repos, args.memory_repos))
    env = {**os.environ, "AKSCAN_CACHE_DIR": str(work / "cache")}
    ak = akscan_command()
    subset = paths[: args.repos]
    rows = []
    for workers in (1, 2):
        seconds = min(
            timed(
                [*ak, "fleet", *subset, "-q", "--fresh", "--no-config", "--workers", str(workers), "-o", os.devnull],
                {**env, "AKSCAN_CACHE_DIR": str(work / f"cache-{workers}-{attempt}")},
            )
            for attempt in range(2)
        )
        rows.append((workers, seconds))
    loop_started = time.perf_counter()
    for index, path in enumerate(subset):
        subprocess.run(
            [*ak, "git", path, "-q", "--no-config", "-o", os.devnull],
            env={**env, "AKSCAN_CACHE_DIR": str(work / f"loop-{index}")},
            stdout=subprocess.DEVNULL,
        )
    loop = time.perf_counter() - loop_started
    print(f"{args.repos} repositories (6 commits each, a pair in each, one pair shared by all)")
    for workers, seconds in rows:
        print(
            f"  akscan fleet, {workers} worker(s): {seconds:.1f} s = {60 * args.repos / seconds:.0f} repos/min"
            f" ({1000 * seconds / args.repos:.0f} ms per repository)"
        )
    print(f"  speedup of 2 workers over 1: {rows[0][1] / rows[1][1]:.2f}x")
    print(
        f"  akscan git in a loop: {loop:.1f} s = {1000 * loop / args.repos:.0f} ms per repository "
        f"(fleet with 2 workers: {loop / rows[1][1]:.2f}x faster)"
    )
    seconds, peak = coordinator_memory(paths[: args.memory_repos], work / "cache-memory")
    print(f"coordinator over {args.memory_repos} repositories: {seconds:.1f} s, peak memory {peak / 1024:.0f} MiB")
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(0)


if __name__ == "__main__":
    main()
