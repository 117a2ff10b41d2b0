"""Suppression: inline markers on a finding's line, allowlisted values, and the baseline of known
findings (by content fingerprint, never by line number, and never holding a plaintext secret)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.model import Finding

# akscan's own marker, plus the ones teams migrating from gitleaks or detect-secrets already have.
INLINE_MARKERS = (b"akscan:allow", b"gitleaks:allow", b"pragma: allowlist secret")
NEXT_LINE_MARKER = b"pragma: allowlist nextline secret"


def _line_bytes(data: bytes, line_index: int, starts: list[int]) -> bytes:
    if line_index < 0 or line_index >= len(starts):
        return b""
    end = data.find(b"\n", starts[line_index])
    return data[starts[line_index] : end if end >= 0 else len(data)]


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    position = data.find(b"\n")
    while position >= 0:
        starts.append(position + 1)
        position = data.find(b"\n", position + 1)
    return starts


def inline_allowed(findings: list[Finding], data: bytes, line_base: int = 0) -> tuple[list[Finding], int]:
    """Drop findings whose ID or secret line carries an allow marker. Returns (kept, suppressed count)."""
    if not findings or not any(marker in data for marker in (*INLINE_MARKERS, NEXT_LINE_MARKER)):
        return findings, 0
    starts = _line_starts(data)
    kept = []
    for finding in findings:
        allowed = False
        for line in finding.lines():
            index = line - 1 - line_base
            text = _line_bytes(data, index, starts)
            previous = _line_bytes(data, index - 1, starts)
            if any(marker in text for marker in INLINE_MARKERS) or NEXT_LINE_MARKER in previous:
                allowed = True
        if not allowed:
            kept.append(finding)
    return kept, len(findings) - len(kept)


def value_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Allowlist:
    """Values the team has declared harmless (documented test keys): key IDs in clear, secrets hashed
    or in clear, as the config gives them."""

    key_ids: frozenset[str] = frozenset()
    secret_hashes: frozenset[str] = frozenset()

    def allows(self, finding: Finding) -> bool:
        if finding.key_id is not None and finding.key_id in self.key_ids:
            return True
        return finding.secret is not None and value_hash(finding.secret) in self.secret_hashes

    @classmethod
    def build(
        cls, key_ids: Iterable[str] = (), secrets: Iterable[str] = (), secret_hashes: Iterable[str] = ()
    ) -> Allowlist:
        hashes = {h.lower().removeprefix("sha256:") for h in secret_hashes}
        hashes.update(value_hash(s) for s in secrets)
        return cls(frozenset(key_ids), frozenset(hashes))
