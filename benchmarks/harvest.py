"""Tools for a blind harvest round of real files (benchmarks/README.md, the sittings' sections).

    python benchmarks/harvest.py fake VALUE [VALUE ...]   # a random fake of each value's shape
    python benchmarks/harvest.py measure DIR [--alone]     # a staged round, laid out like fixtures/realworld

``fake`` keeps what scanners rely on: a provider prefix, AWS IDs in base32 (A-Z, 2-7), AWS session tokens'
fixed heads, lower-case hex staying hex; every other character is replaced by a random one of its class.
``measure`` runs every staged file through the engine exactly as tests/test_realworld.py does and prints each
credential not found whole, each wrong pair, each value reported that no record names, each near-miss file
with a finding, then the totals; with
``--alone``, also every ID the manifest holds alone but the engine reports paired.
"""

from __future__ import annotations

import argparse
import secrets
import string
from pathlib import Path

from common import REPO  # noqa: F401 - puts the checkout's scanner/ and tests/ on sys.path

PREFIXES = ("FwoGZXIvYXdzE", "IQoJb3JpZ2luX2Vj", "FQoGZXIvYXdzE", "bce-v3/ALTAK-", "ALTAK", "LTAI", "STS.", "TMP.")
PREFIXES += ("AKID", "AKIA", "ASIA", "AKLT", "AKTP", "JDC_", "GOOG1", "TOKEN_", "CAIS")
# Families an ID's head marks (Alibaba's LTAI5t… and LTAI4… of today, GCS HMAC's GOOG1E…): kept as they are.
PREFIXES += ("LTAI5t", "LTAI4", "GOOG1E", "ucloud")  # UCloud's classic public keys: ucloud + an e-mail + digits
BASE32 = string.ascii_uppercase + "234567"
HEX = "0123456789abcdef"


def fake(value: str) -> str:
    # An SES SMTP password (44 base64 characters) keeps its version head, B[A-P] (A[g-v] for the old one).
    ses_head = (value[0] == "B" and "A" <= value[1] <= "P") or (value[0] == "A" and "g" <= value[1] <= "v")
    if len(value) == 44 and ses_head:
        return value[:2] + fake("~" + value[2:])[1:]  # ("~": no prefix, no hex; kept as it is)
    prefix = max((p for p in PREFIXES if value.startswith(p)), key=len, default="")
    body = value[len(prefix) :]
    if prefix in ("AKIA", "ASIA") and len(body) == 16:
        return prefix + "".join(secrets.choice(BASE32) for _ in body)
    # Hex stays hex, UUIDs too (TOKEN_<uuid>): its dashes are kept where they are.
    lower_hex = all(c in HEX + "-" for c in body) and any(c.isalpha() for c in body)
    upper_hex = all(c in HEX.upper() + "-" for c in body) and any(c.isalpha() for c in body)
    out = []
    for c in body:
        if c == "-":
            out.append(c)
        elif lower_hex:
            out.append(secrets.choice(HEX))
        elif upper_hex:
            out.append(secrets.choice(HEX.upper()))
        elif c.isascii() and c.isupper():
            out.append(secrets.choice(string.ascii_uppercase))
        elif c.isascii() and c.islower():
            out.append(secrets.choice(string.ascii_lowercase))
        elif c.isascii() and c.isdigit():
            out.append(secrets.choice(string.digits))
        else:
            out.append(c)
    return prefix + "".join(out)


def measure(root: Path, alone: bool) -> None:
    from tests.conftest import load_ruleset
    from tests.test_realworld import matches, negatives, positives, scan, unnamed, wrong_pairs

    ruleset = load_ruleset()
    total = found = wrong = 0
    for case in positives(root):
        findings = scan(case.file, ruleset, case.scanned_as)
        shown = [(f.rule_id, str(f.kind), f.key_id, (f.secret or "")[:8]) for f in findings]
        for credential in case.credentials:
            total += 1
            if any(matches(credential, f) for f in findings):
                found += 1
            else:
                print("MISS", f"{case.provider}/{case.file.name}", credential["kind"], credential.get("key_id"), shown)
        for finding in wrong_pairs(case.credentials, findings):
            wrong += 1
            print("WRONG", f"{case.provider}/{case.file.name}", finding.rule_id, finding.key_id)
        for finding in unnamed(case.credentials, findings):
            if finding.rule_id not in case.known_extra:  # a credential the harvest missed, or a false finding
                print("EXTRA", f"{case.provider}/{case.file.name}", finding.rule_id, finding.key_id or "(secret)")
        if alone:
            held_alone = {c["key_id"] for c in case.credentials if c.get("key_id") and not c.get("secret")}
            for finding in findings:
                if finding.key_id in held_alone and finding.secret:
                    print("ALONE-PAIRED", f"{case.provider}/{case.file.name}", finding.rule_id, finding.key_id)
    near = false = 0
    for case in negatives(root):
        near += 1
        findings = scan(case.file, ruleset)
        if case.other_provider is None:
            bad = [f.rule_id for f in findings if f.rule_id not in case.known_false]
        else:
            bad = [f.rule_id for f in findings if f.provider == case.provider]
        if bad:
            false += 1
            print("FALSE", f"{case.provider}/{case.file.name}", bad)
    share = 100 * found / max(total, 1)
    print(f"credentials {total}, found whole {found} ({share:.1f}%), wrong pairs {wrong}", end="; ")
    print(f"near-miss files {near}, false {false}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    fake_parser = sub.add_parser("fake")
    fake_parser.add_argument("values", nargs="+")
    measure_parser = sub.add_parser("measure")
    measure_parser.add_argument("root", type=Path)
    measure_parser.add_argument("--alone", action="store_true")
    args = parser.parse_args()
    if args.command == "fake":
        for value in args.values:
            print(fake(value))
    else:
        measure(args.root, args.alone)


if __name__ == "__main__":
    main()
