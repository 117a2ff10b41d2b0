"""Scan a blob version as the version git stored it against, plus what changed.

Most blobs in a history are small edits of another blob (git packs them as deltas against it, and
``cat-file --batch-check=%(deltabase)`` names that base for free). Scanning every version whole reads the
same text again and again: on pallets/flask, 166 MB of blob versions for ~8 MB of changed bytes. Here a
version whose base was scanned in this task is split into the bytes it shares with the base at its start
and end (checked byte for byte: nothing is taken on trust from the pack) and the middle that differs:

    new  = prefix ─ middle ─ suffix          base = prefix ─ other middle ─ suffix

The engine reads a bounded neighbourhood around each finding (``Reach``: the pairing and decoding line
windows, and a byte floor for the context words before a secret). So a finding whose every location lies
more than one reach away from the middle sees exactly what it saw in the base: it is taken over from the
base's findings (moved by the size difference when it sits in the suffix). Everything within one reach
of the middle (the *core*) is scanned again, in a window one more reach wider on each side, so the core's
findings see their whole neighbourhood. What remains inexact is the one global step of the engine — the
one-to-one pairing, where an ID in the core may compete with an old pair just outside it for a secret —
the same trade-off chunking makes for files over 8 MiB — and the pairing of an ID and a secret far apart
by their names: a version whose findings include a lone ID or secret, or a pair further apart than the
reach, is scanned whole.

Only plain text is scanned this way (not binary, UTF-16, archives, CR-only line ends, or blobs that need
more than one chunk); anything else, or a base no longer held, is scanned whole as before.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from akscan.engine.candidates import merge_spans
from akscan.engine.decode.archives import archive_kind
from akscan.engine.decode.text import looks_binary
from akscan.engine.detect import DECODE_LINES
from akscan.engine.gate import Opening
from akscan.engine.pipeline import ContentOptions, scan_blob
from akscan.engine.rules import Ruleset
from akscan.model import Blob, Finding, Kind, Location, Origin, ScanStats
from akscan.sources.files import CHUNK_SIZE

# Versions held per task, at most (beyond it, versions are scanned whole): a version is dropped as soon
# as the last version related to it has been scanned.
HELD_BYTES = 128 * 1024 * 1024
# Context words sit up to 48 bytes before a secret, possibly across very short lines; a reach never ends
# closer than this to the change, whatever the line count.
REACH_FLOOR_BYTES = 512


@dataclass(frozen=True)
class Reach:
    """How far the engine looks around a finding: ``lines`` lines, and never less than ``floor`` bytes."""

    lines: int
    floor: int = REACH_FLOOR_BYTES

    @classmethod
    def of(cls, ruleset: Ruleset) -> Reach:
        pair_lines = [rule.pair.lines for rule in ruleset.rules if rule.pair is not None]
        return cls(max([DECODE_LINES, *pair_lines]) + 2)

    def around(self, data: bytes, lo: int, hi: int) -> tuple[int, int]:
        """``[lo, hi)`` widened by the reach on both sides, to whole lines."""
        start = min(lines_up(data, lo, self.lines), lines_up(data, max(lo - self.floor, 0), 0))
        end = max(lines_down(data, hi, self.lines), lines_down(data, min(hi + self.floor, len(data)), 0))
        return start, end


def lines_up(data: bytes, position: int, lines: int) -> int:
    """Where the line ``lines`` lines above the one holding ``position`` starts (0 at the top). One
    ``rsplit`` in C over a guessed stretch, widened until it holds enough line ends."""
    guess = (lines + 1) * 128
    while True:
        lo = max(position - guess, 0)
        parts = data[lo:position].rsplit(b"\n", lines + 1)
        if len(parts) == lines + 2:
            return lo + len(parts[0]) + 1
        if lo == 0:
            return 0
        guess *= 4


def lines_down(data: bytes, position: int, lines: int) -> int:
    """Where the line ``lines`` lines below the one holding ``position`` ends, its newline included."""
    guess = (lines + 1) * 128
    while True:
        hi = min(position + guess, len(data))
        region = data[position:hi]
        parts = region.split(b"\n", lines + 1)
        if len(parts) == lines + 2:
            return hi - len(parts[-1])
        if hi == len(data):
            return len(data)
        guess *= 4


def is_plain(data: bytes) -> bool:
    """Text the whole-blob pipeline would scan as one chunk, byte for byte (no decoding layer)."""
    if len(data) > CHUNK_SIZE or looks_binary(data) or archive_kind(data[:512]) is not None:
        return False
    return b"\n" in data or b"\r" not in data  # CR-only files are rewritten before scanning


def common_ends(
    old: bytes, new: bytes, olo: int = 0, ohi: int | None = None, nlo: int = 0, nhi: int | None = None
) -> tuple[int, int]:
    """Lengths of the longest common prefix and (not overlapping it) suffix of ``old[olo:ohi]`` and
    ``new[nlo:nhi]``, by binary search over slice comparisons. Plain ``bytes`` slices: copying them and
    comparing with memcmp is ~5x faster than comparing memoryviews, which CPython does item by item."""
    ohi = len(old) if ohi is None else ohi
    nhi = len(new) if nhi is None else nhi
    limit = min(ohi - olo, nhi - nlo)
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[olo + lo : olo + mid] == new[nlo + lo : nlo + mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, limit - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[ohi - mid : ohi - lo] == new[nhi - mid : nhi - lo]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


# A middle shorter than this is not split further: the reach around its pieces would cover it anyway.
SPLIT_MIN_BYTES = 16384
SPLIT_DEPTH = 8
ANCHOR_MIN_BYTES = 12  # anchor lines this long or longer (blank lines and braces repeat everywhere)
ANCHOR_TRIES = 4
ANCHOR_SLACK = 8192


@dataclass(frozen=True)
class Change:
    """``new[new_lo:new_hi]`` replaced ``old[old_lo:old_hi]``; everything between two changes is the same
    bytes in both versions."""

    new_lo: int
    new_hi: int
    old_lo: int
    old_hi: int


def changes(old: bytes, new: bytes) -> list[Change]:
    """Where ``new`` differs from ``old``, left to right. The common prefix and suffix are trimmed; a
    middle long enough is split at a line that occurs exactly once in both middles (the patience-diff
    anchor), and each side trimmed again — so an edit at the top and one at the bottom of a file are two
    small changes, not one that spans the file. Every byte outside the changes is compared, never assumed."""
    prefix, suffix = common_ends(old, new)
    found: list[Change] = []
    _split(old, new, prefix, len(old) - suffix, prefix, len(new) - suffix, found, 0)
    return found


def _split(old: bytes, new: bytes, olo: int, ohi: int, nlo: int, nhi: int, out: list[Change], depth: int) -> None:
    if olo >= ohi and nlo >= nhi:
        return
    if nhi - nlo >= SPLIT_MIN_BYTES and ohi - olo >= SPLIT_MIN_BYTES and depth < SPLIT_DEPTH:
        anchor = _anchor(old, new, olo, ohi, nlo, nhi)
        if anchor is not None:
            (n_start, n_end), (o_start, o_end) = anchor
            left_p, left_s = common_ends(old, new, olo, o_start, nlo, n_start)
            _split(old, new, olo + left_p, o_start - left_s, nlo + left_p, n_start - left_s, out, depth + 1)
            right_p, right_s = common_ends(old, new, o_end, ohi, n_end, nhi)
            _split(old, new, o_end + right_p, ohi - right_s, n_end + right_p, nhi - right_s, out, depth + 1)
            return
    out.append(Change(nlo, nhi, olo, ohi))


def _anchor(
    old: bytes, new: bytes, olo: int, ohi: int, nlo: int, nhi: int
) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """A whole line near the middle of ``new[nlo:nhi]`` and the same line in ``old[olo:ohi]``, looked for
    from where it would be if the edits were spread evenly: ((start, end) in new, (start, end) in old).
    A poor choice costs reuse, never correctness: every byte between changes is compared afterwards."""
    start = new.rfind(b"\n", nlo, (nlo + nhi) // 2) + 1 or nlo
    for _ in range(ANCHOR_TRIES):
        end = new.find(b"\n", start, nhi)
        if end < 0:
            return None
        line = new[start : end + 1]
        if len(line.strip()) >= ANCHOR_MIN_BYTES:
            expected = olo + (start - nlo) * (ohi - olo) // max(nhi - nlo, 1)
            found = old.find(line, max(olo, expected - ANCHOR_SLACK), ohi)
            if found < 0:
                found = old.find(line, olo, ohi)
            if found >= 0:
                return (start, end + 1), (found, found + len(line))
        start = end + 1
    return None


@dataclass
class _Held:
    data: bytes
    findings: list[Finding]
    closed: bool = False  # the engine's gate found nothing in it: no word any rule could start from


class DeltaScanner:
    """The versions held for one task's objects, and the scan of a version against a held one.

    Git's delta relation is used both ways: comparing two versions is symmetric, so whichever of a base and
    its delta is read second is scanned against the first. Objects can then be read in any order (the
    history reads them in reverse pack order, which git serves fastest); a version is held while some
    version related to it is still to come, and dropped when the last one has been scanned."""

    def __init__(self, links: Iterable[tuple[str, str | None]], ruleset: Ruleset, options: ContentOptions) -> None:
        # A base with many deltas is linked as a path (base - first delta - second delta - ...), not a star:
        # in whichever order they come, each version finds the one before or after it held, and a version
        # waits for at most two others.
        self.related: dict[str, list[str]] = {}
        last: dict[str, str] = {}  # base -> the version its next delta is linked to
        for sha, base in links:
            if base:
                previous = last.get(base, base)
                last[base] = sha
                self.related.setdefault(sha, []).append(previous)
                self.related.setdefault(previous, []).append(sha)
        self.waiting = Counter({sha: len(others) for sha, others in self.related.items()})  # related, unscanned
        self.held: dict[str, _Held] = {}
        self.held_bytes = 0
        self.ruleset = ruleset
        self.options = options
        self.reach = Reach.of(ruleset)
        self._plain: tuple[str, bool] = ("", False)
        self._closed: tuple[str, bool] = ("", False)
        self._opening: tuple[str, Opening] | None = None
        self.gate_reach = ruleset.gate.longest - 1

    def wanted(self, sha: str) -> bool:
        """Whether the object's bytes should be read whole: a related version is held, or will come."""
        return self.waiting[sha] > 0 or any(other in self.held for other in self.related.get(sha, ()))

    def scan(self, sha: str, data: bytes, path: str, stats: ScanStats) -> list[Finding] | None:
        """The findings in ``data`` worked out against a held related version, or None when it must be
        scanned whole."""
        held = next((self.held[other] for other in self.related.get(sha, ()) if other in self.held), None)
        self._plain = (sha, is_plain(data))  # done() asks the same of the same bytes
        self._closed = (sha, False)
        self._opening = None
        if not self._plain[1] or self.ruleset.file_context.rules_for(path):
            return None  # a file in a rule's context by its name (config/qiniu.yml) is read whole
        if held is None:
            opening = self.ruleset.gate.scan(data)
            if opening.open:
                self._opening = (sha, opening)
                return None  # scanned whole by the caller, with this verdict (opening_of)
            return self._closed_version(sha, data, stats, 0, opening.empty)
        edits = changes(held.data, data)
        if held.closed and not self._word_in_changes(data, edits):
            return self._closed_version(sha, data, stats, len(data), True)
        cores = merge_spans([self.reach.around(data, c.new_lo, c.new_hi) for c in edits])
        windows = merge_spans([self.reach.around(data, lo, hi) for lo, hi in cores])
        scanned = sum(hi - lo for lo, hi in windows)
        stats.files += 1
        stats.bytes += len(data)
        stats.reused_bytes += len(data) - scanned
        found: list[Finding] = []
        line_base = counted = 0
        for lo, hi in windows:
            line_base += data.count(b"\n", counted, lo)  # counted from the previous window, not from the top
            counted = lo
            window = Blob(data[lo:hi], Origin(path, "git"), line_base=line_base, offset_base=lo)
            scanned_window = scan_blob(
                window, self.ruleset, stats, self.options.line_allow, markers=self.options.inline_markers
            )
            found += [f for f in scanned_window if _touches(f, cores)]
        found += _carried(held, data, edits, cores, path)
        if self._far_reaching(held.findings) or self._far_reaching(found):
            stats.reused_bytes -= len(data) - scanned
            stats.files -= 1
            stats.bytes -= len(data)
            return None
        return found

    def opening_of(self, sha: str) -> Opening | None:
        """The gate's verdict on the version ``scan`` just declined to work out, when it has one."""
        return self._opening[1] if self._opening is not None and self._opening[0] == sha else None

    def _closed_version(self, sha: str, data: bytes, stats: ScanStats, reused: int, empty: bool) -> list[Finding]:
        """A version the gate keeps closed: no findings; held as closed for the next one when no word of
        any rule is in it at all (a key name without its value's shape is closed, not empty)."""
        self._closed = (sha, empty)
        stats.files += 1
        stats.bytes += len(data)
        stats.reused_bytes += reused
        return []

    def _word_in_changes(self, data: bytes, edits: list[Change]) -> bool:
        """Whether any word the gate looks for is in a version whose related version holds none. Every
        byte outside the changes is the related version's, so such a word lies across a change or not at
        all: the gate runs on each change widened by the longest such word, joined by newlines (no gate
        word holds one). Exact, and a few hundred bytes instead of a window of lines each side. (Not the
        gate's verdict: a key name in a change opens it only with a value-shaped run, which may lie
        anywhere in the version, so any word sends the version to the scan of its changes.)"""
        reach = self.gate_reach
        pieces = [data[max(e.new_lo - reach, 0) : e.new_hi + reach] for e in edits]
        joined = b"\n".join(pieces)
        return not self.ruleset.gate.scan(joined).empty

    def _far_reaching(self, findings: list[Finding]) -> bool:
        """Findings that may depend on more than the reach: a lone ID or secret (the engine pairs two far
        apart when their names single each other out, akscan.engine.names) and a pair already that far apart.
        Rare (they are leaks); such a version is scanned whole."""
        for finding in findings:
            if finding.kind in (Kind.KEY_ID, Kind.SECRET):
                return True
            second = finding.secret_location
            if second is not None and abs(second.line - finding.location.line) > self.reach.lines:
                return True
        return False

    def done(self, sha: str, data: bytes | None, findings: list[Finding]) -> None:
        """Note that ``sha`` has been scanned: release the versions waiting only for it, and hold it
        while related versions are still to come."""
        for other in self.related.get(sha, ()):
            self.waiting[other] -= 1
            if self.waiting[other] <= 0 and other in self.held:
                self.held_bytes -= len(self.held.pop(other).data)
        if data is None or self.held_bytes + len(data) > HELD_BYTES or self.waiting[sha] <= 0:
            return
        if self._plain[1] if self._plain[0] == sha else is_plain(data):
            self.held[sha] = _Held(data, findings, self._closed == (sha, True))
            self.held_bytes += len(data)


def _locations(finding: Finding) -> list[Location]:
    return [finding.location] + ([finding.secret_location] if finding.secret_location is not None else [])


def _touches(finding: Finding, cores: list[tuple[int, int]]) -> bool:
    return any(lo <= where.offset < hi for where in _locations(finding) for lo, hi in cores)


def _carried(held: _Held, data: bytes, edits: list[Change], cores: list[tuple[int, int]], path: str) -> list[Finding]:
    """The related version's findings whose every location lies in bytes both versions share and, in the
    new version, outside every core: moved by the size and line difference of the edits before them."""
    if not held.findings:
        return []
    old = held.data
    # The shared stretches: old [o_start, o_end) is new [n_start, n_end), with its byte and line shifts.
    gaps: list[tuple[int, int, int, int]] = []  # (o_start, o_end, shift, line shift)
    o_start = n_start = 0
    old_lines = new_lines = 0
    for edit in [*edits, Change(len(data), len(data), len(old), len(old))]:
        gaps.append((o_start, edit.old_lo, n_start - o_start, new_lines - old_lines))
        old_lines += old.count(b"\n", o_start, edit.old_hi)
        new_lines += data.count(b"\n", n_start, edit.new_hi)
        o_start, n_start = edit.old_hi, edit.new_hi
    carried: list[Finding] = []
    for finding in held.findings:
        moved: list[Location] = []
        for where in _locations(finding):
            gap = next((g for g in gaps if g[0] <= where.offset < g[1]), None)
            if gap is None:
                break
            offset, line = where.offset + gap[2], where.line + gap[3]
            if any(lo <= offset < hi for lo, hi in cores):
                break
            moved.append(dataclasses.replace(where, path=path, offset=offset, line=line))
        else:
            secret_location = moved[1] if len(moved) > 1 else None
            carried.append(dataclasses.replace(finding, location=moved[0], secret_location=secret_location))
    return carried
