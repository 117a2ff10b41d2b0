"""What each rule's floor and filters reject of random values of its own shape (tests/rule_shapes.py), and
how the real corpus fares: the table in benchmarks/README.md ("Floors").

    python benchmarks/floors.py [--draws 10000]

Random values: N per shape, drawn as the cloud draws them; a rejected one is a real key the rule would
miss. Real values: every credential of fixtures/realworld (and the held-out set) run through the engine —
found whole or not; near misses: files of those sources with findings (known ones excepted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scanner"), str(ROOT)]

from akscan.engine.rules import load_ruleset  # noqa: E402
from tests.rule_shapes import SHAPES, rejected  # noqa: E402


def corpus(root: Path) -> tuple[int, int, int, int]:
    """(credentials, found whole, near-miss files, near-miss files with unexpected findings)."""
    from tests.test_realworld import matches, negatives, positives, scan

    ruleset = load_ruleset()
    total = found = 0
    for case in positives(root):
        findings = scan(case.file, ruleset, case.scanned_as)
        for credential in case.credentials:
            total += 1
            found += any(matches(credential, f) for f in findings)
    files = false = 0
    for case in negatives(root):
        files += 1
        findings = scan(case.file, ruleset, case.scanned_as)
        own = [f for f in findings if case.other_provider is None or f.provider == case.provider]
        false += sorted(f.rule_id for f in own) != sorted(case.known_false if case.other_provider is None else ())
    return total, found, files, false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000, help="random values per shape")
    args = parser.parse_args()
    rules = {r.id: r for r in load_ruleset().rules}
    print("| rule | floor (entropy) | shapes | random values | rejected | rate |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for rule_id in sorted(SHAPES):
        turned_away, drawn = rejected(rule_id, args.draws)
        rate = turned_away / drawn
        worst = max(worst, rate)
        rule = rules[rule_id]
        floor = f"{rule.min_entropy:g}" + "".join(f" ({n}: {f:g})" for n, f in rule.min_entropy_by_length)
        print(f"| {rule_id} | {floor} | {len(SHAPES[rule_id])} | {drawn:,} | {turned_away} | {rate:.2%} |")
    print(f"\nworst rate: {worst:.2%} (limit 1%)")
    for name in ("realworld", "realworld-holdout"):
        total, found, files, false = corpus(ROOT / "fixtures" / name)
        print(f"{name}: {found}/{total} real credentials found whole; near-miss files with findings: {false}/{files}")


if __name__ == "__main__":
    main()
