"""Suppression: inline markers on a finding's line, allowlisted values, and the baseline of known
findings (by content fingerprint, never by line number, and never holding a plaintext secret)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from akscan.config.excludes import PathExcludes as PathExcludes  # re-exported: part of the suppress stage
from akscan.model import Finding, ScanStats

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

    def unused(self, findings: Iterable[Finding]) -> int:
        """How many entries match none of ``findings`` (a key rotated away, or a typo in the hash)."""
        ids = {f.key_id for f in findings if f.key_id is not None}
        hashes = {value_hash(f.secret) for f in findings if f.secret is not None}
        return len(self.key_ids - ids) + len(self.secret_hashes - hashes)

    @classmethod
    def build(
        cls, key_ids: Iterable[str] = (), secrets: Iterable[str] = (), secret_hashes: Iterable[str] = ()
    ) -> Allowlist:
        hashes = {h.lower().removeprefix("sha256:") for h in secret_hashes}
        hashes.update(value_hash(s) for s in secrets)
        return cls(frozenset(key_ids), frozenset(hashes))


def apply_allowlist(findings: list[Finding], allowlist: Allowlist, stats: ScanStats) -> list[Finding]:
    kept = []
    for finding in findings:
        if allowlist.allows(finding):
            stats.suppress("allowlist")
        else:
            kept.append(finding)
    return kept


# -- baseline -------------------------------------------------------------------------------------------
BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class BaselineEntry:
    """A known finding. Matched by ``fingerprint`` (a hash of rule, key ID and secret) alone: moving
    code, renaming files or new commits do not break it, and a different secret on the same line is not
    hidden by it. ``key_id`` and ``path`` are there for the people who review the file."""

    fingerprint: str
    rule_id: str
    kind: str
    key_hint: str | None = None  # e.g. "LTAIGaAq…ZYTQ": enough to recognise, not a key other scanners flag
    path: str | None = None


@dataclass
class Baseline:
    path: str
    entries: dict[str, BaselineEntry]


def load_baseline(path: str) -> Baseline:
    import json

    from akscan.errors import ConfigError
    from akscan.storage import read_regular

    try:
        document = json.loads(read_regular(path, MAX_BASELINE_BYTES, "baseline"))
    except FileNotFoundError:
        raise ConfigError(f"baseline {path} does not exist: create it with `akscan baseline create`") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"baseline {path} is not readable JSON: {exc}") from None
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"baseline {path}: expected an object with an 'entries' list")
    parsed: dict[str, BaselineEntry] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            raise ConfigError(f"baseline {path}: entry {index} has no 'fingerprint'")

        def text(name: str, record: dict[str, object] = entry) -> str | None:
            value = record.get(name)
            return value if isinstance(value, str) else None

        parsed[entry["fingerprint"]] = BaselineEntry(
            fingerprint=entry["fingerprint"],
            rule_id=text("rule_id") or "",
            kind=text("kind") or "",
            key_hint=text("key_hint"),
            path=text("path"),
        )
    return Baseline(path, parsed)


def key_hint(key_id: str | None) -> str | None:
    if key_id is None:
        return None
    return key_id[:8] + "…" + key_id[-4:] if len(key_id) > 12 else key_id[:4] + "…"


def in_scope(path: str | None, scope: tuple[str, ...] | None) -> bool:
    """Whether a baseline entry recorded at ``path`` lies under one of the scanned roots (None: the whole
    tree was scanned). An entry with no path is always in scope."""
    if scope is None or path is None:
        return True
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in scope)


def baseline_document(
    findings: list[Finding], ruleset_digest: str, keep: Iterable[BaselineEntry] = ()
) -> dict[str, object]:
    entries: dict[str, BaselineEntry] = {entry.fingerprint: entry for entry in keep}
    for finding in findings:
        entries.setdefault(
            finding.fingerprint,
            BaselineEntry(
                finding.fingerprint, finding.rule_id, str(finding.kind), key_hint(finding.key_id), finding.location.path
            ),
        )
    from akscan import __version__

    return {
        "tool": "akscan",
        "baseline_version": BASELINE_VERSION,
        "akscan_version": __version__,
        "ruleset": ruleset_digest,
        "note": "Known findings, by content fingerprint (SHA-256 of rule id, key ID and secret). No secrets.",
        "entries": [dict(sorted(vars(e).items())) for e in sorted(entries.values(), key=lambda e: e.fingerprint)],
    }


MAX_REPORT_BYTES = 512 * 1024 * 1024


def _report_records(documents: list[object]) -> list[dict[str, object]]:
    """Each finding of akscan's report shapes as a flat record (fingerprint, rule_id, kind, key_id, path)."""
    records: list[dict[str, object]] = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        if document.get("type") == "finding":
            records.append(document)
        listed = document.get("findings")
        for finding in listed if isinstance(listed, list) else []:
            if isinstance(finding, dict):
                places = finding.get("places")
                place = places[0] if isinstance(places, list) and places and isinstance(places[0], dict) else {}
                records.append({**finding, "path": finding.get("path") or place.get("path")})
        runs = document.get("runs")
        for run in runs if isinstance(runs, list) else []:
            results = run.get("results") if isinstance(run, dict) else None
            for result in results if isinstance(results, list) else []:
                if not isinstance(result, dict):
                    continue
                properties = result.get("properties") or {}
                location = ((result.get("locations") or [{}])[0].get("physicalLocation") or {}).get("artifactLocation")
                records.append(
                    {
                        "fingerprint": (result.get("partialFingerprints") or {}).get("akscanFingerprint/v1"),
                        "rule_id": result.get("ruleId"),
                        "kind": properties.get("kind"),
                        "key_id": properties.get("keyId"),
                        "path": (location or {}).get("uri"),
                    }
                )
    return records


def entries_from_report(path: str) -> list[BaselineEntry]:
    """Baseline entries for every finding of an akscan report: JSON (``scan``, ``git``, ``hook``, ``fleet``),
    JSON lines, or SARIF. Only what a baseline keeps is taken (fingerprint, rule, kind, a hint of the key
    ID, a path); a report is never trusted for more."""
    import json

    from akscan.errors import ConfigError
    from akscan.storage import read_regular

    try:
        text = read_regular(path, MAX_REPORT_BYTES, "report").decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"--from {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--from {path}: cannot read it ({exc})") from None
    try:
        documents = [json.loads(text)]
    except ValueError:
        try:  # JSON lines
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            raise ConfigError(f"--from {path}: not an akscan JSON, JSON lines or SARIF report") from None
    try:
        records = _report_records(documents)
    except (AttributeError, TypeError, IndexError):  # a shape no akscan report has
        raise ConfigError(f"--from {path}: not an akscan JSON, JSON lines or SARIF report") from None
    entries: dict[str, BaselineEntry] = {}
    for record in records:
        fingerprint = record.get("fingerprint")
        if not (
            isinstance(fingerprint, str) and len(fingerprint) == 64 and set(fingerprint) <= set("0123456789abcdef")
        ):
            raise ConfigError(f"--from {path}: a finding without an akscan fingerprint (is it akscan's report?)")

        def text_of(name: str, record: dict[str, object] = record) -> str | None:
            value = record.get(name)
            return value if isinstance(value, str) else None

        entries.setdefault(
            fingerprint,
            BaselineEntry(
                fingerprint,
                text_of("rule_id") or "",
                text_of("kind") or "",
                key_hint(text_of("key_id")),
                text_of("path"),
            ),
        )
    if not records and not any(
        isinstance(d, dict) and ("findings" in d or "runs" in d or "type" in d) for d in documents
    ):
        raise ConfigError(f"--from {path}: not an akscan JSON, JSON lines or SARIF report")
    return list(entries.values())


def write_baseline(path: str, findings: list[Finding], ruleset_digest: str, keep: Iterable[BaselineEntry] = ()) -> int:
    """Write the baseline of ``findings`` plus the entries in ``keep`` (those outside what was rescanned)."""
    import json

    from akscan.storage import write_atomic

    document = baseline_document(findings, ruleset_digest, keep)
    write_atomic(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    entries = document["entries"]
    assert isinstance(entries, list)
    return len(entries)


def apply_baseline(
    findings: list[Finding], baseline: Baseline, scope: tuple[str, ...] | None = None
) -> tuple[list[Finding], int, list[BaselineEntry]]:
    """(new findings, how many the baseline suppressed, stale entries: those within ``scope`` that matched
    nothing; an entry outside what was scanned is not stale, it was not looked at)."""
    kept = []
    matched: set[str] = set()
    for finding in findings:
        if finding.fingerprint in baseline.entries:
            matched.add(finding.fingerprint)
        else:
            kept.append(finding)
    stale = [entry for fp, entry in baseline.entries.items() if fp not in matched and in_scope(entry.path, scope)]
    return kept, len(findings) - len(kept), stale
