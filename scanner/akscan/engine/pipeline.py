"""The one content pipeline: every source's bytes go through the same stages, in the same order.

    source bytes ─> decode (UTF-16, archives and compressed members) ─> detect (incl. base64 layers)
                 ─> suppress inline markers ─> findings for this blob

A file from the walk, stdin, a git object from history and a staged index entry all call
``scan_content``: what one command finds, the others find. Path excludes and allowlists are applied to
the whole run's findings (``akscan.config.suppress.suppress_findings``), the baseline and verification after
that (``akscan.runs.conclude``).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO, cast

from akscan.config.rule_settings import RuleAllowlist
from akscan.config.suppress import inline_allowed
from akscan.engine.candidates import MATCH_TIMEOUT
from akscan.engine.decode.archives import ArchiveBudget, ArchiveLimits, archive_kind, expand
from akscan.engine.decode.text import looks_binary, utf16_encoding
from akscan.engine.detect import detect
from akscan.engine.gate import Opening
from akscan.engine.rules import Ruleset
from akscan.model import Blob, Finding, Kind, Origin, ScanStats
from akscan.sources.files import CHUNK_SIZE, stream_chunks

_KIND_RANK = {Kind.PAIR: 2, Kind.STS: 2, Kind.SECRET: 1, Kind.KEY_ID: 0}
# A stream that is an archive is kept (in memory up to this, then on disk) to expand after its raw scan.
SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass(frozen=True)
class ContentOptions:
    """What the decode stage does with every blob, whatever its source."""

    archives: bool = True  # expand zip/tar/gz/bz2/xz content
    limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    # Per-rule allowlists with line regexes: judged here, where the line is at hand.
    line_allow: tuple[RuleAllowlist, ...] = ()
    # akscan:allow and the other inline markers silence the finding on their line; off (--no-inline-markers)
    # for audits of trees whose authors are not trusted: a marker is then only counted.
    inline_markers: bool = True
    # What all archives of the scan may still expand to. Mutable by design, one per worker process:
    # each worker gets its own copy with the options.
    budget: ArchiveBudget = field(default_factory=lambda: ArchiveBudget(ArchiveLimits().scan_total), compare=False)


def scan_blob(
    blob: Blob,
    ruleset: Ruleset,
    stats: ScanStats,
    line_allow: tuple[RuleAllowlist, ...] = (),
    opening: Opening | None = None,
    markers: bool = True,
) -> list[Finding]:
    """Detect in one blob and apply its inline allow markers and line allowlists."""
    slow: set[str] = set()
    found = detect(blob, ruleset, slow_rules=slow, opening=opening)
    if found and blob.origin.decoded:  # the layers, outermost first: "utf-16", "utf-16>base64"
        layer = blob.origin.decoded
        found = [dataclasses.replace(f, encoding=f"{layer}>{f.encoding}" if f.encoding else layer) for f in found]
    for rule_id in sorted(slow):
        where = blob.origin.path
        if rule_id.startswith("off:"):  # a rule switched off earlier in the scan did not read this blob
            stats.skip("rule-off")
            continue
        stats.skip(
            "rule-timeout",
            where,
            f"{where}: rule {rule_id} took over {MATCH_TIMEOUT:g} s (catastrophic backtracking?) and is switched "
            "off for the rest of the scan (every file it would have read is counted as rule-off); fix its pattern",
        )
    if found:
        kept, suppressed = inline_allowed(found, blob.data, blob.line_base)
        for _ in range(suppressed):
            stats.suppress("inline-marker" if markers else "inline-marker-ignored")
        if markers:
            found = kept
    if found and blob.offset_base == 0 and own_report(blob.data):
        # akscan's own earlier report (JSON, SARIF, GitLab, HTML…) lists the key IDs it found, secrets
        # redacted: those are not new leaks. A secret in full (a --no-redact report) still is: only findings
        # without a secret are dropped, so dressing a file up as a report hides no pair.
        kept = [f for f in found if f.secret is not None]
        for _ in range(len(found) - len(kept)):
            stats.suppress("akscan-report")
        found = kept
    if found and line_allow:
        kept = [f for f in found if not any(a.allows_line(f.rule_id, _line_of(blob, f)) for a in line_allow)]
        for _ in range(len(found) - len(kept)):
            stats.suppress("rule-allowlist")
        found = kept
        _report_timeouts(line_allow, stats)
    return found


_reported_timeouts: set[str] = set()  # per process: a dead allowlist regex is named once


def _report_timeouts(line_allow: tuple[RuleAllowlist, ...], stats: ScanStats) -> None:
    from akscan.config.rule_settings import RuleSettings

    dead = {p for a in line_allow for p in a.timed_out()} - _reported_timeouts
    if dead:
        _reported_timeouts.update(dead)
        RuleSettings(allowlists=line_allow).report_timeouts(stats)


# How each of akscan's report formats begins (what its writer puts in the first bytes).
_OWN_REPORT_HEADS = (
    (b'"tool": "akscan"', 200),  # json, fleet json
    (b'{"type": "finding", "rule_id": ', 40),  # jsonl
    (b'{"type": "summary", ', 40),  # jsonl without findings
    (b'"name": "akscan",\n          "informationUri"', 400),  # sarif
    (b'"id": "akscan",\n      "name": "akscan"', 200),  # gitlab
    (b"<title>akscan audit:", 1200),  # html
    (b"## akscan: ", 16),  # markdown
    (b"severity,kind,rule_id,provider,key_id,secret,path,line,column,confidence,fingerprint", 90),  # csv
    (b'<testsuites name="akscan"', 120),  # junit
)


def own_report(data: bytes) -> bool:
    """Whether ``data`` begins as one of akscan's reports does."""
    return any(data.find(head, 0, within) >= 0 for head, within in _OWN_REPORT_HEADS)


def _line_of(blob: Blob, finding: Finding) -> bytes:
    offset = finding.location.offset - blob.offset_base
    start = blob.data.rfind(b"\n", 0, offset) + 1
    end = blob.data.find(b"\n", offset)
    return blob.data[start : end if end >= 0 else len(blob.data)]


def scan_chunks(
    blobs: Iterable[Blob],
    ruleset: Ruleset,
    stats: ScanStats,
    line_allow: tuple[RuleAllowlist, ...] = (),
    markers: bool = True,
) -> list[Finding]:
    """Scan the chunks of one stream; a finding seen in the overlap of two chunks is kept once (the
    better-paired version wins, since the later chunk may see the secret the earlier one did not)."""
    best: dict[tuple[str, int], Finding] = {}
    for blob in blobs:
        for finding in scan_blob(blob, ruleset, stats, line_allow, markers=markers):
            keep_best(best, finding)
    return list(best.values())


def keep_best(best: dict[tuple[str, int], Finding], finding: Finding) -> None:
    """One finding per rule and byte offset; a paired one beats a lone one seen in another chunk."""
    key = (finding.rule_id, finding.location.offset)
    current = best.get(key)
    if current is None or _KIND_RANK[finding.kind] > _KIND_RANK[current.kind]:
        best[key] = finding


def prefer_members(container: list[Finding], members: list[Finding]) -> list[Finding]:
    """A key found both in an archive's raw bytes (an uncompressed tar) and in one of its members is
    reported once, at the member: its path and line say where it really is."""
    inside = {f.fingerprint for f in members}
    return [f for f in container if f.fingerprint not in inside] + members


def scan_members(
    handle: IO[bytes],
    display: str,
    ruleset: Ruleset,
    stats: ScanStats,
    options: ContentOptions,
    compressed_size: int | None = None,
) -> list[Finding]:
    """The members of the archive open as ``handle``, each scanned as its own blob."""
    findings: list[Finding] = []
    for member in expand(handle, display, stats, options.limits, compressed_size, options.budget):
        findings.extend(scan_chunks([member], ruleset, stats, options.line_allow, options.inline_markers))
    return findings


def scan_content(
    handle: BinaryIO,
    display: str,
    source: str,
    ruleset: Ruleset,
    stats: ScanStats,
    options: ContentOptions,
    reopen: Callable[[], BinaryIO] | None = None,
    size: int | None = None,
    folder: str | None = None,
) -> list[Finding]:
    """Every stage for one blob's bytes, read from ``handle`` in bounded chunks. An archive is scanned
    raw and then member by member; its members are read again from ``reopen()`` when given (a file on
    disk), else from a spool kept while the raw scan streamed by (stdin, a git object)."""
    spool = _Spool(handle, options.limits.total_limit) if options.archives and reopen is None else None
    heads: list[bytes] = []
    reader = cast(BinaryIO, spool) if spool is not None else handle
    chunks = _tap_head(stream_chunks(reader, display, stats, source, folder=folder), heads)
    findings = scan_chunks(chunks, ruleset, stats, options.line_allow, options.inline_markers)
    if not options.archives or not heads or archive_kind(heads[0]) is None:
        if spool is not None:
            spool.close()
        return findings
    try:
        if reopen is not None:
            with reopen() as again:
                members = scan_members(again, display, ruleset, stats, options, size)
        else:
            assert spool is not None
            if spool.overflowed:  # its raw bytes were scanned; expanding needs the whole archive kept
                stats.skip(
                    "archive-budget",
                    display,
                    f"{display}: an archive stream larger than the limit; its members were not expanded",
                )
                stats.incomplete = True
                members = []
            else:
                members = scan_members(spool.replay(), display, ruleset, stats, options, size or spool.size)
    except OSError as error:
        stats.skip("unreadable", display, f"{display}: {error.strerror or error}")
        members = []
    finally:
        if spool is not None:
            spool.close()
    return prefer_members(findings, members)


def scan_bytes(
    data: bytes,
    display: str,
    source: str,
    ruleset: Ruleset,
    stats: ScanStats,
    options: ContentOptions,
    opening: Opening | None = None,
    folder: str | None = None,
) -> list[Finding] | None:
    """``scan_content`` for bytes already held whole that fit one chunk — nearly every file and git blob —
    without its layers of streams and generators (~15 µs a file: a tenth of a directory scan's CPU). None
    when they need the streaming path: UTF-16 text, or CR-only line ends, which it rewrites."""
    if len(data) > CHUNK_SIZE:
        return None
    binary = looks_binary(data)
    if (binary and utf16_encoding(data) is not None) or (b"\n" not in data and b"\r" in data):
        return None
    stats.files += 1
    stats.bytes += len(data)
    if binary:
        stats.binary_files += 1
    archive = options.archives and archive_kind(data[:512]) is not None
    if opening is None:  # the caller's verdict on these same bytes, when it has one
        opening = ruleset.gate.scan(data)
    if not opening.open and not archive and not ruleset.file_context.rules_for(display, folder):
        return []  # what detect would say, without building a blob for it: most blobs stop here
    best: dict[tuple[str, int], Finding] = {}
    blob = Blob(data, Origin(display, source, folder=folder))
    for finding in scan_blob(blob, ruleset, stats, options.line_allow, opening, options.inline_markers):
        keep_best(best, finding)
    findings = list(best.values())
    if not archive:
        return findings
    try:
        members = scan_members(io.BytesIO(data), display, ruleset, stats, options, len(data))
    except OSError as error:
        stats.skip("unreadable", display, f"{display}: {error.strerror or error}")
        members = []
    return prefer_members(findings, members)


def _tap_head(blobs: Iterable[Blob], heads: list[bytes]) -> Iterator[Blob]:
    for blob in blobs:
        if not heads and blob.offset_base == 0 and blob.origin.decoded is None:
            heads.append(blob.data[:512])
        yield blob


class _Spool:
    """Reads through to a stream; if its first bytes are an archive's, keeps a copy (memory, then a
    temporary file, at most ``cap`` bytes: a stream that is larger is not kept) so the members can be
    expanded after the raw scan. Anything else is not kept."""

    def __init__(self, inner: BinaryIO, cap: int) -> None:
        self.inner = inner
        self.cap = cap
        self.copy: IO[bytes] | None = None
        self.first = True
        self.size = 0
        self.kept = 0
        self.overflowed = False

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        if self.first:
            self.first = False
            if archive_kind(data[:512]) is not None:
                import tempfile  # lazy: the hook's start-up pays for it only when it meets an archive

                self.copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - see close()
        if self.copy is not None and data:
            self.kept += len(data)
            if self.kept > self.cap:  # never fill the disk with a stranger's stream
                self.overflowed = True
                self.copy.close()
                self.copy = None
            else:
                self.copy.write(data)
        return data

    def replay(self) -> IO[bytes]:
        assert self.copy is not None
        self.size = self.copy.tell()
        self.copy.seek(0)
        return self.copy

    def close(self) -> None:
        if self.copy is not None:
            self.copy.close()
            self.copy = None


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))
