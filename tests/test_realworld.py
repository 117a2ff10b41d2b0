"""Real code decides: files harvested from public repositories (fixtures/realworld/<provider>/, each with its
origin in the manifest), every credential value replaced by a generated fake of the same shape, run
through the real engine. Every credential must be found with the right partner, provider and kind, no ID
may be paired with a wrong secret, and the near-miss files of the same sources (placeholders, masked keys,
env readers, SDK method names, signatures, base64 blobs and fonts) must give nothing.

``fixtures/realworld-holdout/`` is kept apart: rules are not tuned on it, and ``benchmarks/floors.py`` (or
``benchmarks/harvest.py measure``) measures it separately.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from akscan.engine.pipeline import ContentOptions, scan_bytes
from akscan.engine.rules import Ruleset
from akscan.model import Finding, Kind, ScanStats
from tests.conftest import REPO

CORPUS = REPO / "fixtures" / "realworld"


@dataclass(frozen=True)
class Case:
    provider: str
    file: Path
    credentials: tuple[dict[str, Any], ...]
    origin: str
    other_provider: str | None = None  # a near miss for this provider that is another provider's real key
    known_false: tuple[str, ...] = ()  # rules known to report this near miss (reviewed, listed in the manifest)
    # The path the file had in its repository, when it is what says whose keys they are (Laravel's config/aip.php):
    # a real scan reads it, so the test scans under it. Otherwise the fixture's own name.
    scanned_as: str = ""
    # Rules known to report a value the manifest does not name (reviewed, listed in the manifest as known_extra).
    known_extra: tuple[str, ...] = ()


def _manifests(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    return [(path.parent, json.loads(path.read_text())) for path in sorted(root.glob("*/manifest.json"))]


def positives(root: Path = CORPUS) -> list[Case]:
    return [
        Case(
            folder.name,
            folder / case["file"],
            tuple(case["credentials"]),
            case.get("origin", ""),
            scanned_as=case.get("scanned_as", ""),
            known_extra=tuple(case.get("known_extra", ())),
        )
        for folder, manifest in _manifests(root)
        for case in manifest.get("cases", [])
    ]


def negatives(root: Path = CORPUS) -> list[Case]:
    return [
        Case(
            folder.name,
            folder / entry["file"],
            (),
            entry.get("why", ""),
            entry.get("other_provider"),
            tuple(entry.get("known_false", ())),
        )
        for folder, manifest in _manifests(root)
        for entry in manifest.get("negatives", [])
    ]


def scan(path: Path, ruleset: Ruleset, scanned_as: str = "") -> list[Finding]:
    data = path.read_bytes()
    found = scan_bytes(data, scanned_as or path.name, "file", ruleset, ScanStats(), ContentOptions())
    assert found is not None, "every corpus file fits one chunk"
    return found


def matches(credential: dict[str, Any], finding: Finding) -> bool:
    """Whether ``finding`` reports ``credential`` whole: the right ID with the right partner, provider and
    kind (temporary credentials as their own kind, with their token when the file has it)."""
    key_id, secret, token = credential.get("key_id"), credential.get("secret"), credential.get("token")
    if finding.provider != credential["provider"]:
        return False
    if key_id and finding.key_id != key_id:
        return False
    if secret and finding.secret != secret:
        return False
    if key_id and secret and credential["kind"] == "temporary":
        return finding.kind == Kind.STS and (token is None or _same_token(finding.security_token, token))
    if key_id and token and not secret:  # an ID with its token and no secret: a presigned URL's
        return finding.kind == Kind.KEY_ID and _same_token(finding.security_token, token)
    return bool(key_id or secret)


def _same_token(reported: str | None, written: str) -> bool:
    """A token as the file writes it (percent-encoded in a URL's query, hard-wrapped by a renderer) and as
    akscan reports it (as sent)."""

    def as_sent(token: str) -> str:
        return unquote("".join(token.split()).replace("\\/", "/"))  # JSON's \/ too

    return reported is not None and as_sent(reported) == as_sent(written)


def wrong_pairs(credentials: tuple[dict[str, Any], ...], findings: list[Finding]) -> list[Finding]:
    """Findings that pair a known ID with a secret that is not its own (worse than a miss: verified live,
    they give a wrong answer). An ID the file holds alone has no secret to be paired with: any is wrong (a
    UFile token's public key was paired with a UUID path segment of the same URL)."""
    secrets: dict[str, str | None] = {}
    for credential in credentials:
        if credential.get("key_id"):
            secrets[credential["key_id"]] = secrets.get(credential["key_id"]) or credential.get("secret")
    return [f for f in findings if f.key_id in secrets and f.secret is not None and f.secret != secrets[f.key_id]]


def _id(case: Case) -> str:
    return f"{case.provider}/{case.file.name}"


@pytest.mark.parametrize("case", positives(), ids=_id)
def test_every_real_credential_is_found_whole(case: Case, ruleset: Ruleset) -> None:
    findings = scan(case.file, ruleset, case.scanned_as)
    for credential in case.credentials:
        shown = {k: (v[:10] + "…" if isinstance(v, str) and len(v) > 12 else v) for k, v in credential.items()}
        assert any(matches(credential, f) for f in findings), (
            shown,
            [(f.rule_id, str(f.kind), f.key_id, (f.secret or "")[:6]) for f in findings],
        )
    assert wrong_pairs(case.credentials, findings) == []
    # and nothing else: a value the manifest does not name is another credential it missed, or a false finding
    # (a voice robot's iFlytek block read as Baidu's); the reviewed ones are listed as known_extra
    assert sorted(f.rule_id for f in unnamed(case.credentials, findings)) == sorted(case.known_extra)


def unnamed(credentials: tuple[dict[str, Any], ...], findings: list[Finding]) -> list[Finding]:
    """Findings whose ID (or, alone, secret) is none of the recorded values, nor a part of one or one of them
    a part of it (a token's piece, an ID written with its encoding)."""
    values = {v for c in credentials for k in ("key_id", "secret", "token") if (v := c.get(k))}

    def named(value: str) -> bool:
        return any(value in known or known in value for known in values)

    return [
        f for f in findings if (f.key_id and not named(f.key_id)) or (not f.key_id and f.secret and not named(f.secret))
    ]


@pytest.mark.parametrize("case", negatives(), ids=_id)
def test_near_misses_give_nothing(case: Case, ruleset: Ruleset) -> None:
    """Nothing at all; or, for another cloud's real key that shares this one's prefix (Kingsoft's AKLT in
    Volcengine's corpus), nothing of this provider and the key under its own."""
    findings = scan(case.file, ruleset)
    if case.other_provider is None:
        # a known false finding stays listed until a rule stops making it (then the manifest must say so)
        assert sorted(f.rule_id for f in findings) == sorted(case.known_false), case.origin
        return
    assert [f.rule_id for f in findings if f.provider == case.provider] == [], case.origin
    assert any(f.provider == case.other_provider for f in findings), case.origin


def test_the_corpus_is_big_enough() -> None:
    """At least 30 real credentials per provider harvested, holdout included (the issue's bar)."""
    counts: dict[str, int] = {}
    for root in (CORPUS, REPO / "fixtures" / "realworld-holdout"):
        for case in positives(root):
            counts[case.provider] = counts.get(case.provider, 0) + len(case.credentials)
    assert counts and all(n >= 30 for n in counts.values()), counts


def test_no_source_file_is_counted_twice() -> None:
    """Two records of one provider's positives (or near misses) from the same search-index file are one
    source counted twice: recall would count its credentials twice."""
    import re
    from collections import Counter

    seen: Counter[tuple[str, str, str]] = Counter()
    for folder, manifest in _manifests(CORPUS):
        for role in ("cases", "negatives"):
            for entry in manifest.get(role, []):
                found = re.search(r"file id (\d+)", entry.get("origin", ""))
                if found:
                    seen[(folder.name, role, found.group(1))] += 1
    assert [key for key, count in seen.items() if count > 1] == []


def test_a_path_scanned_as_is_the_origins_own() -> None:
    """``scanned_as`` lets a case be read under the path it had: that path must be the one its origin names
    (no path invented to make a case pass)."""
    cases = [case for case in positives() if case.scanned_as]
    assert cases, "the corpus keeps at least one case its path decides (config/aip.php)"
    for case in cases:
        assert f" {case.scanned_as}@" in case.origin, (case.file.name, case.scanned_as, case.origin)


SAME_SOURCE = 0.8  # this share of a file's lines found in another: a window of one source file


def _lines(path: Path) -> list[str]:
    lines = (line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return [line for line in lines if len(line) > 3]


def test_the_held_out_set_shares_no_source_with_the_corpus() -> None:
    """A file of the held-out set harvested again into the corpus (under another search-index id) lets the
    rules be tuned on it, and the held-out measure is no longer held out (six had slipped in). Same source:
    most of a corpus file's lines in one held-out file (keys differ: each harvest drew its own fakes). Two
    projects that copied one SDK sample share fewer (their own names, their own lines around it)."""
    holdout = [
        (path, set(_lines(path)))
        for path in sorted((REPO / "fixtures" / "realworld-holdout").glob("*/**/*"))
        if path.is_file() and path.name != "manifest.json"
    ]
    shared = []
    for path in sorted(CORPUS.glob("*/**/*")):
        if not path.is_file() or path.name == "manifest.json":
            continue
        lines = _lines(path)
        for other, other_lines in holdout:
            if lines and sum(line in other_lines for line in lines) >= SAME_SOURCE * len(lines):
                shared.append((str(path.relative_to(CORPUS)), other.name))
    assert shared == []
