"""Recall per leak shape: every shape of the test suite, filled with fresh fake pairs from N seeds (16- and
24-character IDs), written one file each, scanned by akscan and by betterleaks (Alibaba rules
isolated). A shape counts as found when the tool reports the exact (ID, secret) pair.

    python benchmarks/recall.py [--seeds 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from common import akscan_command, betterleaks_command, betterleaks_findings, betterleaks_pairs, have

from tests.keys import FakeKeys
from tests.test_leak_shapes import PAIR_SHAPES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=40)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="akscan-recall-"))
    root = work / "corpus"  # reports go beside it, never inside the tree being scanned
    root.mkdir()
    planted: dict[str, list[tuple[str, str]]] = {}
    for seed in range(args.seeds):
        keys = FakeKeys(seed)
        for name, template, _, _ in PAIR_SHAPES:
            key_id, secret = keys.alibaba_id(16 if seed % 2 else 24), keys.alibaba_secret()
            (root / f"{name}-{seed}.txt").write_text(template.format(id=key_id, secret=secret))
            planted.setdefault(name, []).append((key_id, secret))
    report = work / "akscan.json"
    subprocess.run(
        [*akscan_command(), "scan", str(root), "-q", "--format", "json", "--no-redact", "-o", str(report)], check=False
    )
    ak = {(f["key_id"], f["secret"]) for f in json.loads(report.read_text())["findings"] if f["kind"] == "pair"}
    bl: set[tuple[str, str]] = set()
    if have("betterleaks"):
        bl_report = work / "bl.json"
        subprocess.run(
            betterleaks_command(str(root), report=bl_report),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        bl, _, _ = betterleaks_pairs(betterleaks_findings(bl_report))
    print(f"{'shape':28} {'akscan':>8} {'betterleaks':>12}")
    total_ak = total_bl = total = 0
    for name, pairs in planted.items():
        found_ak = sum(p in ak for p in pairs)
        found_bl = sum(p in bl for p in pairs)
        total_ak, total_bl, total = total_ak + found_ak, total_bl + found_bl, total + len(pairs)
        print(f"{name:28} {found_ak:>4}/{len(pairs):<3} {found_bl:>8}/{len(pairs)}")
    print(
        f"{'all shapes':28} {total_ak:>4}/{total:<3} {total_bl:>8}/{total}  "
        f"(recall {total_ak / total:.1%} vs {total_bl / total:.1%})"
    )


if __name__ == "__main__":
    main()
