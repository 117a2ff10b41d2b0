"""History benchmark: a generated repository of a few thousand commits (standard-library files edited
commit by commit, on two branches with merges) with planted pairs — one only in a merge result, one
added then removed, one in a commit message. Times akscan (cold, then with its cache) against
`betterleaks git --log-opts=--all` with the Alibaba rules isolated.

    python benchmarks/bench_git.py [--commits 3000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import akscan_command, betterleaks_command, betterleaks_findings, betterleaks_pairs, have, stdlib_dir

from tests.keys import FakeKeys


def build_repo(path: Path, commits: int, seed: int) -> list[tuple[str, str, str]]:
    """Write a fast-import stream: ``commits`` commits over ~400 stdlib files, a side branch merged
    every 200 commits, and planted pairs. Returns (how, id, secret) for each planted pair."""
    rng = random.Random(seed)
    keys = FakeKeys(seed)
    sources = sorted(p for p in stdlib_dir().glob("*.py") if p.stat().st_size < 200_000)[:400]
    files = {f"lib/{p.name}": p.read_text(errors="replace") for p in sources}
    names = sorted(files)
    planted: list[tuple[str, str, str]] = []
    stream: list[bytes] = []
    mark = 0
    when = 1_600_000_000

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n%s\n" % (len(raw), raw)

    def commit(branch: str, message: str, changes: dict[str, str], parents: list[int], deletes: list[str] = ()) -> int:
        nonlocal mark, when
        mark += 1
        when += 600
        head = [
            b"commit refs/heads/%s\n" % branch.encode(),
            b"mark :%d\n" % mark,
            b"author Dev <dev@example.test> %d +0000\n" % when,
            b"committer Dev <dev@example.test> %d +0000\n" % when,
            data(message),
        ]
        if parents:
            head.append(b"from :%d\n" % parents[0])
            head.extend(b"merge :%d\n" % p for p in parents[1:])
        for name in deletes:
            head.append(b"D %s\n" % name.encode())
        for name, text in changes.items():
            head.append(b"M 100644 inline %s\n" % name.encode())
            head.append(data(text))
        stream.append(b"".join(head))
        return mark

    main = commit("main", "initial import", dict(files), [])
    side = main
    for i in range(1, commits):
        name = rng.choice(names)
        files[name] += f"\n# change {i}: {rng.random():.6f}\n"
        if i % 7 == 0:
            side = commit("side", f"side change {i}", {name: files[name]}, [side])
        elif i % 200 == 0:
            merged = dict(files)
            changes = {}
            if i == 1000:  # an evil merge: the pair exists only in the merge result
                key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
                changes["deploy/merge_only.py"] = f"auth = oss2.Auth('{key_id}', '{secret}')\n"
                planted.append(("evil merge", key_id, secret))
            main = commit("main", f"Merge side ({i})", changes, [main, side])
            files = merged
        elif i == 500:
            key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
            main = commit(
                "main",
                "add config",
                {"config/prod.ini": f"access_key_id = {key_id}\naccess_key_secret = {secret}\n"},
                [main],
            )
            planted.append(("added", key_id, secret))
        elif i == 900:
            main = commit("main", "remove secrets", {}, [main], deletes=["config/prod.ini"])
        elif i == 1500:
            key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
            main = commit("main", f"debug creds AK={key_id} SK={secret}", {name: files[name]}, [main])
            planted.append(("commit message", key_id, secret))
        elif i == 2001:
            key_id, secret = keys.alibaba_id(16), keys.alibaba_secret()
            files[name] += f"\nclient = DefaultProfile.getProfile('cn-hangzhou', '{key_id}', '{secret}')\n"
            main = commit("main", f"change {i}", {name: files[name]}, [main])
            planted.append(("positional SDK call", key_id, secret))
        else:
            main = commit("main", f"change {i}", {name: files[name]}, [main])
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True)
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)
    subprocess.run(["git", "-C", str(path), "gc", "-q"], check=True)
    return planted


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def real_history(bundle: Path, repeat: int) -> None:
    """Cold akscan against betterleaks on a clone of a real repository's bundle (same machine, one run)."""
    work = Path(tempfile.mkdtemp(prefix="akscan-git-bundle-"))
    clone = work / bundle.stem
    subprocess.run(["git", "clone", "-q", str(bundle), str(clone)], check=True)
    commits = subprocess.run(
        ["git", "-C", str(clone), "rev-list", "--all", "--count"], capture_output=True, text=True, check=True
    ).stdout.strip()
    ak = min(
        timed([*akscan_command(), "git", str(clone), "-q", "--no-cache", "-o", "/dev/null"]) for _ in range(repeat)
    )
    line = f"{bundle.stem}: {commits} commits; akscan (cold) {ak:.2f} s"
    if have("betterleaks"):
        report = work / "betterleaks.json"
        bl = min(
            timed(betterleaks_command("git", str(clone), "--log-opts=--all", report=report)) for _ in range(repeat)
        )
        line += f", betterleaks git {bl:.2f} s: {ak / bl:.2f}x"
    print(line)
    shutil.rmtree(work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--bundle",
        action="append",
        default=[],
        metavar="FILE",
        help="also time a real history: a git bundle (e.g. ../shared/bench/flask.bundle), cloned in full",
    )
    args = parser.parse_args()
    for bundle in args.bundle:
        real_history(Path(bundle), args.repeat)
    work = Path(tempfile.mkdtemp(prefix="akscan-git-bench-"))
    repo = work / "repo"
    planted = build_repo(repo, args.commits, seed=20261128)
    count = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--all", "--count"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"repository: {count} commits, {len(planted)} planted pairs")

    ak = akscan_command()
    report = work / "akscan.json"
    cold = []
    for _ in range(args.repeat):
        cold.append(
            timed([*ak, "git", str(repo), "-q", "--format", "json", "--no-redact", "--no-cache", "-o", str(report)])
        )
    found = {(f["key_id"], f["secret"]) for f in json.loads(report.read_text())["findings"]}
    ak_hits = sum((i, s) in found for _, i, s in planted)
    timed([*ak, "git", str(repo), "-q", "-o", "/dev/null"])  # fill the cache
    warm = [
        timed([*ak, "git", str(repo), "-q", "--format", "json", "--no-redact", "-o", str(report)])
        for _ in range(args.repeat)
    ]
    warm_found = {(f["key_id"], f["secret"]) for f in json.loads(report.read_text())["findings"]}
    rows = [
        ("akscan (cold)", min(cold), ak_hits),
        ("akscan (cache)", min(warm), sum((i, s) in warm_found for _, i, s in planted)),
    ]
    if have("betterleaks"):
        bl_report = work / "betterleaks.json"
        runs = [
            timed(betterleaks_command("git", str(repo), "--log-opts=--all", report=bl_report))
            for _ in range(args.repeat)
        ]
        pairs, _, _ = betterleaks_pairs(betterleaks_findings(bl_report))
        rows.append(("betterleaks git", min(runs), sum((i, s) in pairs for _, i, s in planted)))
    baseline = rows[-1][1] if rows[-1][0] == "betterleaks git" else None
    print(f"{'tool':18} {'wall s':>8} {'vs betterleaks':>15} {'planted pairs':>14}")
    for name, seconds, hits in rows:
        ratio = f"{seconds / baseline:.2f}x" if baseline else "-"
        print(f"{name:18} {seconds:8.2f} {ratio:>15} {hits:>6}/{len(planted)}")
    for how, key_id, secret in planted:
        print(f"  planted ({how}): akscan {'found' if (key_id, secret) in found else 'MISSED'}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
