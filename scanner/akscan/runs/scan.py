"""The file source driven through the pipeline: the walk's files (big ones in pieces) over both cores
for large trees, with progress; stdin as one stream. Each file goes through ``pipeline.scan_content``,
the stages every source shares; the run-wide stages (excludes, allowlist, baseline, verification,
report) follow in ``akscan.runs.conclude``."""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from akscan.engine import fastgate
from akscan.engine.decode.archives import archive_kind
from akscan.engine.pipeline import (
    ContentOptions,
    keep_best,
    prefer_members,
    scan_blob,
    scan_bytes,
    scan_content,
    scan_members,
    sort_findings,
)
from akscan.engine.rules import Ruleset
from akscan.model import Finding, Location, ScanResult, ScanStats
from akscan.runs.workers import run_pooled
from akscan.sources.files import Bounded, Piece, Target, WalkOptions, column_at, pieces, read_full, read_piece, walk

# Below this much work a process pool costs more than it saves (fork, pipes, result pickling).
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
SMALL_FILE = 1024 * 1024  # read whole and scanned as one blob (scan_bytes); larger files are streamed
PARALLEL_MIN_FILES = 16
# Files travel to workers in batches: one pickled message per batch, not per file.
BATCH_FILES = 256
BATCH_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ScanOptions:
    walk: WalkOptions = field(default_factory=WalkOptions)
    jobs: int = 0  # 0: one per core
    progress: bool = False
    content: ContentOptions = field(default_factory=ContentOptions)


@dataclass
class PieceResult:
    piece: Piece
    findings: list[Finding]
    stats: ScanStats
    overlap_newlines: int = 0
    own_newlines: int = 0
    members: list[Finding] = field(default_factory=list)  # findings in archive members (their own paths)


def scan_piece(piece: Piece, ruleset: Ruleset, content: ContentOptions) -> PieceResult:
    stats = ScanStats()
    target = piece.target
    options = content if target.expand else dataclasses.replace(content, archives=False)
    if piece.count == 1:
        try:
            handle = open(target.path, "rb", buffering=0)  # noqa: SIM115 - closed by the with below
        except OSError as exc:
            stats.skip("unreadable", target.display, f"{target.display}: {exc.strerror or exc}")
            return PieceResult(piece, [], stats)
        with handle:
            if 0 < target.size <= SMALL_FILE:  # read at once; never past the size the walk saw
                try:
                    data = read_full(handle, target.size)
                except OSError as exc:
                    stats.skip("read-error", target.display, f"{target.display}: read failed ({exc.strerror or exc})")
                    return PieceResult(piece, [], stats)
                found = scan_bytes(data, target.display, "file", ruleset, stats, options, folder=target.folder)
                if found is not None:
                    return PieceResult(piece, found, stats)
                handle.seek(0)
            reopen = _opener(target.path)
            # Never past the size the walk saw (a log being written); a size of 0 is what /proc and /sys
            # report for files that do have content, so those are read to their end.
            reader = cast(BinaryIO, Bounded(handle, target.size)) if target.size else handle
            findings = scan_content(
                reader,
                target.display,
                "file",
                ruleset,
                stats,
                options,
                reopen=reopen,
                size=target.size,
                folder=target.folder,
            )
        return PieceResult(piece, findings, stats)
    read = read_piece(piece, stats)
    if read is None:
        return PieceResult(piece, [], stats)
    # Lines are relative to the piece here; join_pieces makes them absolute once all pieces are in.
    found = scan_blob(read.blob, ruleset, stats, options.line_allow, markers=options.inline_markers)
    result = PieceResult(piece, found, stats, read.overlap_newlines, read.own_newlines)
    if piece.index == 0 and options.archives and archive_kind(read.blob.data[:512]) is not None:
        try:
            with open(target.path, "rb") as again:  # members have their own paths and lines: not joined
                result.members = scan_members(again, target.display, ruleset, stats, options, target.size)
        except OSError as error:
            stats.skip("unreadable", target.display, f"{target.display}: {error.strerror or error}")
    return result


def _opener(path: str) -> Callable[[], BinaryIO]:
    """Opens the file again, for its members when it turns out to be an archive."""

    def reopen() -> BinaryIO:
        return open(path, "rb")

    return reopen


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
            keep_best(best, moved)
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


def scan_batch(batch: list[Piece], ruleset: Ruleset, content: ContentOptions) -> BatchResult:
    findings: list[Finding] = []
    stats = ScanStats()
    split: list[PieceResult] = []
    for piece in batch:
        result = scan_piece(piece, ruleset, content)
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


_worker_setup: tuple[Ruleset, ContentOptions] | None = None


def _init_worker(ruleset: Ruleset, content: ContentOptions) -> None:
    global _worker_setup
    _worker_setup = (ruleset, content)


def _scan_in_worker(batch: list[Piece]) -> BatchResult:
    assert _worker_setup is not None
    return scan_batch(batch, *_worker_setup)


def _batch_results(
    targets: Iterable[Target], ruleset: Ruleset, jobs: int, content: ContentOptions
) -> Iterator[BatchResult]:
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
            yield scan_batch(batch, ruleset, content)
        return

    def here(batch: list[Piece]) -> BatchResult:
        return scan_batch(batch, ruleset, content)

    yield from run_pooled(work, _scan_in_worker, workers, _init_worker, (ruleset, content), here)


def run_targets(
    targets: Iterable[Target],
    ruleset: Ruleset,
    jobs: int,
    content: ContentOptions,
    on_done: Callable[[int], None] | None = None,
) -> Iterator[tuple[list[Finding], ScanStats]]:
    """Yield (findings, stats) as batches finish; a file split in pieces is yielded once all are in."""
    waiting: dict[str, list[PieceResult]] = {}
    for result in _batch_results(targets, ruleset, jobs, content):
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
    fastgate.choose()  # the gate's engine, for this scan (workers inherit it)
    stats = ScanStats()
    targets: Iterable[Target] = walk(paths, options.walk, stats)
    bar = None
    if options.progress:
        targets = list(targets)  # the bar needs the total up front
        bar = _progress(targets)
    findings: list[Finding] = []
    on_done = bar.update if bar is not None else None
    try:
        for found, file_stats in run_targets(targets, ruleset, options.jobs, options.content, on_done):
            stats.merge(file_stats)
            findings.extend(found)
    finally:
        if bar is not None:
            bar.close()
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started)


def scan_stream(handle: BinaryIO, display: str, ruleset: Ruleset, options: ScanOptions) -> ScanResult:
    """A stream that is not a file (stdin): the same stages as any file, archives included."""
    started = time.monotonic()
    stats = ScanStats()
    findings = scan_content(handle, display, "stdin", ruleset, stats, options.content)
    return ScanResult(sort_findings(findings), stats, time.monotonic() - started)


def _progress(targets: list[Target]):  # type: ignore[no-untyped-def]
    from tqdm import tqdm  # lazy: tqdm costs import time the hook path must not pay

    return tqdm(
        total=sum(t.size for t in targets), unit="B", unit_scale=True, desc="scanning", file=sys.stderr, leave=False
    )
