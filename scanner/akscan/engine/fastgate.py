"""The whole-file gate's fast engine: Hyperscan (Intel's multi-pattern matcher, from its PyPI wheels)
finds every cover (caseless) and every case-sensitive word of the gate, or of the spotter, in one pass
over the raw bytes — ~0.35 ms/MB, against ~2 ms/MB for the pure engine in ``akscan.engine.gate``, whose verdicts
it must equal (``tests/test_gate.py``). Where Hyperscan is not installed, or ``AKSCAN_GATE=python``, the
pure engine runs.

A process switches to it once it has gated ``AFTER_BYTES`` with the pure engine: the import and the
compilation cost ~12 ms, which the pre-commit hook (a few KB) should never pay."""

from __future__ import annotations

import os
import sys
from typing import Any

AFTER_BYTES = 1 << 20


_gated_bytes = 0  # by the pure engine in this process, until Hyperscan takes over
# A group of lone-secret key names (their covers) and the expression of the run its values all contain.
Named = tuple[tuple[tuple[bytes, ...], bytes], ...]
_EngineKey = tuple[tuple[bytes, ...], tuple[bytes, ...], bool, Named]
_engines: dict[_EngineKey, Any] = {}  # -> Hyperscan, or False
_forced_python = os.environ.get("AKSCAN_GATE") == "python"


def choose() -> bool:
    """Read ``AKSCAN_GATE`` (at the start of each scan, not per blob: an environment lookup costs more
    than a small blob's gate) and say whether the gate will run on Hyperscan, once past its first MiB."""
    import importlib.machinery  # (already loaded with the interpreter; importlib.util costs ~2 ms)

    global _forced_python
    _forced_python = os.environ.get("AKSCAN_GATE") == "python"
    if _forced_python:
        return False
    return "hyperscan" in sys.modules or importlib.machinery.PathFinder.find_spec("hyperscan") is not None


def engine_for_gate(
    covers: tuple[bytes, ...], words: tuple[bytes, ...], size: int, named: Named = ()
) -> Hyperscan | None:
    """The engine for a gate once this process has gated enough bytes; None for the pure one (not yet,
    not installed, or ``AKSCAN_GATE=python``)."""
    global _gated_bytes
    if _gated_bytes < AFTER_BYTES:
        _gated_bytes += size  # a race between threads only moves the switch by a blob
        return None
    return engine(covers, words, once=True, named=named)


def engine(covers: tuple[bytes, ...], words: tuple[bytes, ...], once: bool, named: Named = ()) -> Hyperscan | None:
    """The compiled engine for these words (cached per process), or None where the gate is pure."""
    if _gated_bytes < AFTER_BYTES or _forced_python:
        return None
    key = (covers, words, once, named)
    if key not in _engines:
        _engines[key] = Hyperscan.build(covers, words, once, named) or False
    engine = _engines[key]
    return engine if isinstance(engine, Hyperscan) else None


def _collect(pattern: int, start: int, end: int, flags: int, found: list[int]) -> None:
    found.append(pattern)


def _literal(word: bytes) -> bytes:
    """A literal as a Hyperscan expression: ASCII letters and digits as they are (so CASELESS applies to
    them), every other byte as ``\\xHH`` (punctuation, NUL, non-ASCII bytes of a user's rule)."""
    return b"".join(bytes([b]) if chr(b).isascii() and chr(b).isalnum() else b"\\x%02x" % b for b in word)


class Hyperscan:
    """Covers (caseless, ASCII like ``bytes.lower``), exact words and the covers of each group of
    lone-secret key names (``akscan.engine.gate.NamedSecrets``) as one Hyperscan database; with
    ``once``, each pattern reports at most once per blob (the gate), else every occurrence (the spotter).
    All are literals, so a match's start is its end minus the pattern's length. The database is shared; a
    scratch space is per thread."""

    def __init__(self, database: Any, words: tuple[bytes, ...], lengths: list[int], groups: list[int]) -> None:
        import threading

        self.database = database
        self.words = words
        self.lengths = lengths
        self.groups = groups  # for each pattern past the words and covers: its named-secret group
        self.runs: list[bytes] = []  # each named group's value run (an expression)
        self.run_databases: dict[tuple[int, ...], Any] = {}  # the runs of a set of groups, compiled on first use
        self.local = threading.local()

    @classmethod
    def build(
        cls,
        covers: tuple[bytes, ...],
        words: tuple[bytes, ...],
        once: bool = True,
        named: Named = (),
    ) -> Hyperscan | None:
        try:
            import hyperscan
        except ImportError:
            return None
        groups = [index for index, (names, _) in enumerate(named) for _ in names]
        patterns = [*words, *covers, *(cover for names, _ in named for cover in names)]
        expressions = [_literal(pattern) for pattern in patterns]
        single = hyperscan.HS_FLAG_SINGLEMATCH if once else 0
        caseless = len(patterns) - len(words)
        flags = [single] * len(words) + [single | hyperscan.HS_FLAG_CASELESS] * caseless
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            database.compile(expressions=expressions, ids=list(range(len(expressions))), flags=flags)
            # The runs are scanned only when key names are all a blob has, and only those of the groups
            # whose names it holds, in a database of their own (the run patterns in the first database
            # cost every blob ~0.25 ms/MB more; all eight runs in one, every blob saying "secret" ~2 ms/MB).
            runs = [run for _, run in named]
            every_run = None
            if runs:  # compiled together once here, so a run Hyperscan cannot take means the pure engine
                every_run = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
                flags = [hyperscan.HS_FLAG_SINGLEMATCH] * len(runs)
                every_run.compile(expressions=runs, ids=list(range(len(runs))), flags=flags)
        except hyperscan.error:  # a user's rule Hyperscan cannot take: the pure engine, same verdicts
            return None
        engine = cls(database, words, [len(pattern) for pattern in patterns], groups)
        engine.runs = runs
        if every_run is not None:
            engine.run_databases[tuple(range(len(runs)))] = every_run
        return engine

    def _scratch(self, groups: tuple[int, ...] | None = None) -> Any:
        name = "scratch" if groups is None else "run_scratch_" + "_".join(map(str, groups))
        scratch = getattr(self.local, name, None)
        if scratch is None:
            import hyperscan

            scratch = hyperscan.Scratch(self.database if groups is None else self.run_databases[groups])
            setattr(self.local, name, scratch)
        return scratch

    def run_in(self, data: bytes, groups: list[int]) -> bool:
        """Whether the value run of one of the named ``groups`` occurs in ``data``."""
        import hyperscan

        key = tuple(groups)
        if key not in self.run_databases:  # a handful of combinations in a run (compiling one: ~1 ms)
            database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            expressions = [self.runs[group] for group in key]
            flags = [hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions)
            database.compile(expressions=expressions, ids=list(range(len(expressions))), flags=flags)
            self.run_databases[key] = database
        found: list[int] = []
        self.run_databases[key].scan(data, match_event_handler=_collect, context=found, scratch=self._scratch(key))
        return bool(found)

    def scan(self, data: bytes) -> tuple[list[bytes], bool, list[int]]:
        """(the exact words found, whether a cover was, the named-secret groups whose key names were)."""
        found: list[int] = []
        scratch = getattr(self.local, "scratch", None) or self._scratch()
        # The found list is the callback's context: no closure made per blob (most blobs match nothing,
        # and the call's own overhead is what they cost).
        self.database.scan(data, match_event_handler=_collect, context=found, scratch=scratch)
        if not found:
            return [], False, []
        count = len(self.words)
        named_from = len(self.lengths) - len(self.groups)
        exact = [self.words[i] for i in found if i < count]
        covered = any(count <= i < named_from for i in found)
        return exact, covered, sorted({self.groups[i - named_from] for i in found if i >= named_from})

    def spans(self, data: bytes, reach: int, most: int) -> list[tuple[int, int]] | None:
        """(start - reach, end + reach) of every match; None past ``most`` matches."""
        import hyperscan

        spans: list[tuple[int, int]] = []
        lengths = self.lengths

        def on_match(pattern: int, start: int, end: int, flags: int, context: Any) -> bool:
            spans.append((max(0, end - lengths[pattern] - reach), end + reach))
            return len(spans) > most  # True stops the scan

        try:
            self.database.scan(data, match_event_handler=on_match, scratch=self._scratch())
        except hyperscan.ScanTerminated:
            return None
        return spans
