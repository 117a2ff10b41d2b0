"""Orchestration: sources → detect → suppress, over both cores for large trees, with progress.

Verification and reporting happen after this, in the CLI, on the findings it returns.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from akscan.detect import detect
from akscan.model import Blob, Finding, Kind, Location, ScanStats
from akscan.rules import Ruleset
from akscan.sources.archives import archive_kind, expand
from akscan.sources.files import Piece, Target, WalkOptions, column_at, pieces, read_chunks, read_piece, walk
from akscan.suppress import Allowlist, inline_allowed

if TYPE_CHECKING:
    import multiprocessing.context

# Below this much work a process pool costs more than it saves (fork, pipes, result pickling).
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
PARALLEL_MIN_FILES = 16
# Files travel to workers in batches: one pickled message per batch, not per file.
BATCH_FILES = 256
BATCH_BYTES = 4 * 1024 * 1024
_KIND_RANK = {Kind.PAIR: 2, Kind.STS: 2, Kind.SECRET: 1, Kind.KEY_ID: 0}


@dataclass(frozen=True)
class ScanOptions:
    walk: WalkOptions = field(default_factory=WalkOptions)
    jobs: int = 0  # 0: one per core
    progress: bool = False
    allowlist: Allowlist = field(default_factory=Allowlist)


@dataclass
class ScanResult:
    findings: list[Finding]
    stats: ScanStats
    duration: float = 0.0


def scan_blob(blob: Blob, ruleset: Ruleset, stats: ScanStats) -> list[Finding]:
    """Detect in one blob and apply its inline allow markers."""
    found = detect(blob, ruleset)
    if found:
        found, suppressed = inline_allowed(found, blob.data, blob.line_base)
        for _ in range(suppressed):
            stats.suppress("inline-marker")
    return found


def scan_chunks(blobs: Iterable[Blob], ruleset: Ruleset, stats: ScanStats) -> list[Finding]:
    """Scan the chunks of one file; a finding seen in the overlap of two chunks is kept once (the
    better-paired version wins, since the later chunk may see the secret the earlier one did not)."""
    best: dict[tuple[str, int], Finding] = {}
    for blob in blobs:
        for finding in scan_blob(blob, ruleset, stats):
            _keep_best(best, finding)
    return list(best.values())


def _keep_best(best: dict[tuple[str, int], Finding], finding: Finding) -> None:
    """One finding per rule and byte offset; a paired one beats a lone one seen in another chunk."""
    key = (finding.rule_id, finding.location.offset)
    current = best.get(key)
    if current is None or _KIND_RANK[finding.kind] > _KIND_RANK[current.kind]:
        best[key] = finding


@dataclass
class PieceResult:
    piece: Piece
    findings: list[Finding]
    stats: ScanStats
    overlap_newlines: int = 0
    own_newlines: int = 0
    members: list[Finding] = field(default_factory=list)  # findings in archive members (their own paths)


def scan_piece(piece: Piece, ruleset: Ruleset) -> PieceResult:
    stats = ScanStats()
    target = piece.target
    if piece.count == 1:
        heads: list[bytes] = []
        findings = scan_chunks(_tap_head(read_chunks(target.path, target.display, stats), heads), ruleset, stats)
        if target.expand and heads and archive_kind(heads[0]) is not None:
            findings = prefer_members(findings, scan_archive(target, ruleset, stats))
        return PieceResult(piece, findings, stats)
    read = read_piece(piece, stats)
    if read is None:
        return PieceResult(piece, [], stats)
    # Lines are relative to the piece here; join_pieces makes them absolute once all pieces are in.
    result = PieceResult(piece, scan_blob(read.blob, ruleset, stats), stats, read.overlap_newlines, read.own_newlines)
    if piece.index == 0 and target.expand and archive_kind(read.blob.data[:512]) is not None:
        result.members = scan_archive(target, ruleset, stats)  # own paths and lines: not joined
    return result


def _tap_head(blobs: Iterable[Blob], heads: list[bytes]) -> Iterator[Blob]:
    for blob in blobs:
        if not heads and blob.offset_base == 0:
            heads.append(blob.data[:512])
        yield blob


def prefer_members(container: list[Finding], members: list[Finding]) -> list[Finding]:
    """A key found both in an archive's raw bytes (an uncompressed tar) and in one of its members is
    reported once, at the member: its path and line say where it really is."""
    inside = {f.fingerprint for f in members}
    return [f for f in container if f.fingerprint not in inside] + members


def scan_archive(target: Target, ruleset: Ruleset, stats: ScanStats) -> list[Finding]:
    """The members of an archive file, each scanned as its own blob."""
    findings: list[Finding] = []
    try:
        with open(target.path, "rb") as handle:
            for member in expand(handle, target.display, stats):
                findings.extend(scan_chunks([member], ruleset, stats))
    except OSError as error:
        stats.skip("unreadable", target.display, f"{target.display}: {error.strerror or error}")
    return findings


def join_pieces(results: list[PieceResult]) -> list[Finding]:
    """Make piece-relative line numbers absolute and drop findings seen twice in an overlap."""
    best: dict[tuple[str, int], Finding] = {}
    lines_before = 0
    for result in sorted(results, key=lambda r: r.piece.index):
        shift = lines_before - result.overlap_newlines
        for finding in result.findings:
            moved = _shift_lines(finding, shift)
            if result.piece.index > 0:
                moved = _fix_columns(moved, finding, result.piece.target.path)
            _keep_best(best, moved)
        lines_before += result.own_newlines
    return list(best.values())


def _fix_columns(moved: Finding, relative: Finding, path: str) -> Finding:
    """A finding on the first line of a piece's bytes sits on a line that began in an earlier piece:
    its column counts from the piece start, so count it again from the real start of the line."""

    def fixed(original: Location, current: Location) -> Location:
        if original.line != 1:
            return current
        try:
            return dataclasses.replace(current, column=column_at(path, current.offset))
        except OSError:
            return current

    secret = moved.secret_location
    if secret is not None and relative.secret_location is not None:
        secret = fixed(relative.secret_location, secret)
    return dataclasses.replace(moved, location=fixed(relative.location, moved.location), secret_location=secret)


def _shift_lines(finding: Finding, shift: int) -> Finding:
    if shift == 0:
        return finding
    secret_location = finding.secret_location
    if secret_location is not None:
        secret_location = dataclasses.replace(secret_location, line=secret_location.line + shift)
    return dataclasses.replace(
        finding,
        location=dataclasses.replace(finding.location, line=finding.location.line + shift),
        secret_location=secret_location,
    )


@dataclass
class BatchResult:
    """What a worker sends back for a batch of pieces: one message, not one per file."""

    findings: list[Finding]
    stats: ScanStats
    split: list[PieceResult]  # pieces of files split across tasks, joined by the parent
    scanned_bytes: int


def scan_batch(batch: list[Piece], ruleset: Ruleset) -> BatchResult:
    findings: list[Finding] = []
    stats = ScanStats()
    split: list[PieceResult] = []
    for piece in batch:
        result = scan_piece(piece, ruleset)
        stats.merge(result.stats)
        if piece.count == 1:
            findings.extend(result.findings)
        else:
            result.stats = ScanStats()
            split.append(result)
    return BatchResult(findings, stats, split, sum(p.stop - p.start for p in batch))


def batches(
    targets: Iterable[Target], max_files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES
) -> Iterator[list[Piece]]:
    batch: list[Piece] = []
    size = 0
    for target in targets:
        for piece in pieces(target):
            batch.append(piece)
            size += piece.stop - piece.start
            if len(batch) >= max_files or size >= max_bytes:
                yield batch
                batch, size = [], 0
    if batch:
        yield batch


_worker_ruleset: Ruleset | None = None


def _init_worker(ruleset: Ruleset) -> None:
    global _worker_ruleset
    _worker_ruleset = ruleset


def _scan_in_worker(batch: list[Piece]) -> BatchResult:
    assert _worker_ruleset is not None
    return scan_batch(batch, _worker_ruleset)


def pool_context() -> multiprocessing.context.BaseContext:
    # fork shares the compiled ruleset with the workers for free; spawn where fork is unavailable.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods and sys.platform != "darwin" else "spawn")


def _batch_results(targets: Iterable[Target], ruleset: Ruleset, jobs: int) -> Iterator[BatchResult]:
    """Scan in a process pool when there is enough work. The walk is consumed lazily, so the pool
    scans while the rest of the tree is still being listed."""
    workers = jobs or os.cpu_count() or 1
    pending = iter(targets)
    head: list[Target] = []
    head_bytes = 0
    for target in pending:
        head.append(target)
        head_bytes += target.size
        if len(head) >= PARALLEL_MIN_FILES and head_bytes >= PARALLEL_MIN_BYTES:
            break
    work = batches(itertools.chain(head, pending))
    if workers <= 1 or len(head) < PARALLEL_MIN_FILES or head_bytes < PARALLEL_MIN_BYTES:
        for batch in work:
            yield scan_batch(batch, ruleset)
        return
    with pool_context().Pool(workers, initializer=_init_worker, initargs=(ruleset,)) as pool:
        yield from pool.imap_unordered(_scan_in_worker, work)


def run_targets(
    targets: Iterable[Target], ruleset: Ruleset, jobs: int, on_done: Callable[[int], None] | None = None
) -> Iterator[tuple[list[Finding], ScanStats]]:
    """Yield (findings, stats) as batches finish; a file split in pieces is yielded once all are in."""
    waiting: dict[str, list[PieceResult]] = {}
    for result in _batch_results(targets, ruleset, jobs):
        if on_done:
            on_done(result.scanned_bytes)
        yield result.findings, result.stats
        for part in result.split:
            parts = waiting.setdefault(part.piece.target.path, [])
            parts.append(part)
            if len(parts) == part.piece.count:
                del waiting[part.piece.target.path]
                yield prefer_members(join_pieces(parts), [f for p in parts for f in p.members]), ScanStats()


def scan_paths(paths: list[str], ruleset: Ruleset, options: ScanOptions) -> ScanResult:
    started = time.monotonic()
    stats = ScanStats()
    targets: Iterable[Target] = walk(paths, options.walk, stats)
    bar = None
    if options.progress:
        targets = list(targets)  # the bar needs the total up front
        bar = _progress(targets)
    findings: list[Finding] = []
    on_done = bar.update if bar is not None else None
    try:
        for found, file_stats in run_targets(targets, ruleset, options.jobs, on_done):
            stats.merge(file_stats)
            findings.extend(found)
    finally:
        if bar is not None:
            bar.close()
    findings = apply_allowlist(findings, options.allowlist, stats)
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started)


def scan_stream(data_chunks: Iterable[Blob], ruleset: Ruleset, options: ScanOptions) -> ScanResult:
    started = time.monotonic()
    stats = ScanStats()
    findings = scan_chunks(data_chunks, ruleset, stats)
    findings = apply_allowlist(findings, options.allowlist, stats)
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started)


def apply_allowlist(findings: list[Finding], allowlist: Allowlist, stats: ScanStats) -> list[Finding]:
    kept = []
    for finding in findings:
        if allowlist.allows(finding):
            stats.suppress("allowlist")
        else:
            kept.append(finding)
    return kept


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.location.path, f.location.line, f.location.column, f.rule_id))


def _progress(targets: list[Target]):  # type: ignore[no-untyped-def]
    from tqdm import tqdm  # lazy: tqdm costs import time the hook path must not pay

    return tqdm(
        total=sum(t.size for t in targets), unit="B", unit_scale=True, desc="scanning", file=sys.stderr, leave=False
    )
