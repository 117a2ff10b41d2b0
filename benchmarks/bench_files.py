"""Directory scan benchmark: akscan against betterleaks (Alibaba rules isolated) and detect-secrets on
the same tree — copies of the Python standard library with planted fake key pairs.

    python benchmarks/bench_files.py [--copies 4] [--repeat 3] [--detect-secrets]

Prints wall time (median), peak memory, ratios against betterleaks, and how many planted pairs each
tool reported as pairs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import (
    REPO,
    akscan_command,
    betterleaks_command,
    betterleaks_findings,
    betterleaks_pairs,
    copy_stdlib,
    detect_secrets_hashes,
    have,
    measure,
    sha1,
)

from tests.keys import FakeKeys
from tests.test_leak_shapes import PAIR_SHAPES


def plant(corpus: Path, seed: int) -> list[tuple[str, str, str]]:
    keys = FakeKeys(seed)
    planted = []
    folder = corpus / "planted"
    folder.mkdir(parents=True, exist_ok=True)
    for index, (name, template, _, _) in enumerate(PAIR_SHAPES):
        key_id, secret = keys.alibaba_id(16 if index % 3 == 2 else 24), keys.alibaba_secret()
        (folder / f"{index:02d}-{name}.txt").write_text(template.format(id=key_id, secret=secret))
        planted.append((name, key_id, secret))
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4, help="copies of the standard library (default 4)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--detect-secrets", action="store_true", help="also time detect-secrets (slow)")
    parser.add_argument("--keep", action="store_true", help="keep the corpus")
    parser.add_argument(
        "--no-archives",
        action="store_true",
        help="both tools without archive expansion (akscan --no-archives, betterleaks "
        "--max-archive-depth=0); by default each expands archives as it does by default",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="akscan-bench-"))
    corpus = work / "corpus"
    copy_stdlib(corpus, args.copies)
    planted = plant(corpus, seed=20261128)
    size = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file())
    files = sum(1 for p in corpus.rglob("*") if p.is_file())
    print(f"corpus: {files} files, {size / 1e6:.0f} MB ({args.copies} stdlib copies + {len(planted)} planted pairs)")

    timings = []
    ak_report = work / "akscan.json"
    timings.append(
        measure(
            "akscan",
            [
                *akscan_command(),
                "scan",
                str(corpus),
                "-q",
                "--format",
                "json",
                "-o",
                str(ak_report),
                "--no-redact",
                *(["--no-archives"] if args.no_archives else []),
            ],
            args.repeat,
        )
    )
    ak = json.loads(ak_report.read_text())["findings"]
    ak_pairs = {(f["key_id"], f["secret"]) for f in ak if f["kind"] == "pair"}
    results = {"akscan": sum((i, s) in ak_pairs for _, i, s in planted)}

    if have("betterleaks"):
        bl_report = work / "betterleaks.json"
        extra = ["--max-archive-depth=0"] if args.no_archives else []
        timings.append(measure("betterleaks", betterleaks_command(str(corpus), *extra, report=bl_report), args.repeat))
        bl_pairs, _, _ = betterleaks_pairs(betterleaks_findings(bl_report))
        results["betterleaks"] = sum((i, s) in bl_pairs for _, i, s in planted)
    if args.detect_secrets and have("detect-secrets"):
        # Run from inside the tree: from within another git repository detect-secrets skips an outside path.
        timings.append(measure("detect-secrets", ["detect-secrets", "scan", "--all-files", "."], 1, cwd=corpus))
        out = subprocess.run(
            ["detect-secrets", "scan", "--all-files", "."],
            cwd=corpus / "planted",
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        hashes = detect_secrets_hashes(out)
        results["detect-secrets"] = sum(sha1(s) in hashes for _, _, s in planted)

    baseline = next((t.seconds for t in timings if t.tool == "betterleaks"), None)
    print(f"{'tool':16} {'wall s':>8} {'peak MiB':>9} {'vs betterleaks':>15} {'planted pairs':>14}")
    for t in timings:
        ratio = f"{t.seconds / baseline:.2f}x" if baseline else "-"
        found = results.get(t.tool, 0)
        label = "secrets" if t.tool == "detect-secrets" else "pairs"
        print(f"{t.tool:16} {t.seconds:8.2f} {t.peak_mib:9.0f} {ratio:>15} {found:>6}/{len(planted)} {label}")
    if not args.keep:
        shutil.rmtree(work)
    else:
        print(f"corpus kept in {corpus}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(REPO))
    main()
