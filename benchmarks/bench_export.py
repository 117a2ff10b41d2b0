"""A credentials export: one CSV of N generated AccessKey pairs (the shape a console download or a leaked
spreadsheet has), scanned by `akscan scan` and by `betterleaks` (Alibaba rules isolated). Pairing must
stay linear: the time per row should not grow with N. Prints time, peak memory and exact pairs found.

    python benchmarks/bench_export.py [--rows 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from common import akscan_command, betterleaks_command, betterleaks_findings, betterleaks_pairs, have, measure

from tests.keys import FakeKeys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    keys = FakeKeys(seed=2026)
    for rows in args.rows:
        folder = Path(tempfile.mkdtemp(prefix="akscan-export-bench-"))
        pairs = [(keys.alibaba_id(), keys.alibaba_secret()) for _ in range(rows)]
        text = "UserName,AccessKeyId,AccessKeySecret,CreateTime\n" + "".join(
            f"user{i},{key_id},{secret},2026-01-01T00:00:00Z\n" for i, (key_id, secret) in enumerate(pairs)
        )
        export = folder / "AccessKey.csv"
        export.write_text(text)
        command = [
            *akscan_command(),
            "scan",
            str(export),
            "--format",
            "json",
            "--no-redact",
            "-o",
            str(folder / "akscan.json"),
        ]
        ak = measure("akscan", command, args.repeat)
        found = json.loads((folder / "akscan.json").read_text())["findings"]
        exact = {(f["key_id"], f.get("secret")) for f in found} & set(pairs)
        print(
            f"{rows:>7} rows: akscan {ak.seconds:6.2f} s ({ak.seconds / rows * 1e6:5.1f} us/row), "
            f"{ak.peak_mib:4.0f} MiB, {len(exact)}/{rows} exact pairs"
        )
        if have("betterleaks"):
            report = folder / "betterleaks.json"
            bl = measure("betterleaks", betterleaks_command(str(export), report=report), args.repeat)
            bl_pairs, _, _ = betterleaks_pairs(betterleaks_findings(report))
            print(
                f"{'':>7}       betterleaks {bl.seconds:6.2f} s, {bl.peak_mib:4.0f} MiB, "
                f"{len(bl_pairs & set(pairs))}/{rows} exact pairs; ratio {ak.seconds / bl.seconds:.2f}x"
            )
        subprocess.run(["rm", "-rf", str(folder)], check=False)


if __name__ == "__main__":
    main()
