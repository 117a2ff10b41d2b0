"""Pre-commit latency: `akscan hook` on a 10-file staged change, against `betterleaks git --staged` on
the same repository (all its rules, as its hook runs). Median of N runs.

    python benchmarks/bench_hook.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import akscan_command, have, stdlib_dir


def median_time(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    repo = Path(tempfile.mkdtemp(prefix="akscan-hook-bench-")) / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.test"]
    subprocess.run([*git, "init", "-q"], check=True)
    sources = sorted(stdlib_dir().glob("*.py"))[:200]
    for source in sources:
        (repo / source.name).write_bytes(source.read_bytes())
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    staged = sources[:10]
    for source in staged:  # a typical change: ten edited files
        with (repo / source.name).open("a") as handle:
            handle.write("\n# edited\n")
    subprocess.run([*git, "add", "-A"], check=True)
    names = [s.name for s in staged]
    size = sum((repo / n).stat().st_size for n in names)
    print(f"staged: {len(names)} files, {size / 1024:.0f} KiB, in a repository of {len(sources)} files")
    ak = median_time([*akscan_command(), "hook", "-q", "--", *names], repo, args.runs)
    print(f"akscan hook              {ak * 1000:6.0f} ms")
    if have("betterleaks"):
        bl = median_time(["betterleaks", "git", "--staged", ".", "--no-banner", "-l", "error"], repo, args.runs)
        print(f"betterleaks git --staged {bl * 1000:6.0f} ms")
        print(f"ratio akscan / betterleaks: {ak / bl:.2f}x")
    python = median_time(["python3", "-c", "pass"], repo, args.runs)
    print(f"(bare python3 startup here: {python * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
