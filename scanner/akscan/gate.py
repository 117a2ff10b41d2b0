"""A whole-blob gate in front of the Aho-Corasick prefilter, derived from the ruleset.

pyahocorasick walks every byte through Python's unicode machinery (~270 MB/s here); CPython's
``bytes.find`` and ``bytes.translate`` run at gigabytes per second. The gate answers "can any anchor
occur in this blob?" with those, so the automaton runs only on blobs that may match. It never says no
when an anchor is present, so findings are exactly those of the automaton alone:

* case-insensitive anchors and context words: each contains one of a few "cover" substrings
  (e.g. ``secret``), looked for in the lowercased bytes with ``bytes.find``;
* case-sensitive anchors (``LTAI``, ``STS.``, ``AKIA`` …): every byte that appears in no such anchor is
  deleted with ``bytes.translate``; an anchor in the blob is still contiguous in what remains, which is
  a few percent of the blob, and a small automaton searches that. Deleting bytes can make false
  adjacencies, so an anchor seen in the reduced bytes is confirmed in the blob with ``bytes.find``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import ahocorasick

COVER_MIN = 5  # cover substrings this long or longer make bytes.find skip fast


def cover_words(words: Iterable[str]) -> tuple[bytes, ...]:
    """A small set of substrings such that every word contains one of them (greedy set cover)."""
    remaining = {w.lower() for w in words}
    chosen: list[str] = []
    while remaining:
        counts: dict[str, int] = {}
        for word in remaining:
            size = min(COVER_MIN, len(word))
            subs = {word[i : i + n] for n in range(size, len(word) + 1) for i in range(len(word) - n + 1)}
            for sub in subs:
                counts[sub] = counts.get(sub, 0) + 1
        best = max(counts, key=lambda s: (counts[s], len(s), s))
        chosen.append(best)
        remaining = {w for w in remaining if best not in w}
    return tuple(sorted(w.encode("latin-1") for w in chosen))


@dataclass(frozen=True)
class Spotter:
    """Where in a blob the prefilter's automaton needs to look. Every automaton word either contains one
    of ``covers`` (case-insensitive words) or is a case-sensitive anchor, so each hit lies within
    ``reach`` bytes of a cover found with ``bytes.find`` in the lowercased blob, or of an anchor found in
    the blob itself. Which anchors occur at all is found as the gate does — ``bytes.translate`` down to
    their alphabet, a small automaton, confirmed with ``in`` — so only those few are searched for. The
    big automaton (~270 MB/s through Python's unicode layer) then walks only the windows: in a file that
    says ``SECRET_KEY`` a few times, a few hundred bytes instead of the whole blob."""

    covers: tuple[bytes, ...]
    delete: bytes  # bytes in no case-sensitive anchor
    exact: Any  # ahocorasick.Automaton over the case-sensitive anchors, or None
    reach: int

    @classmethod
    def build(cls, insensitive: Iterable[str], exact: Iterable[bytes]) -> Spotter:
        words = sorted({w.lower() for w in insensitive})
        anchors = sorted({a.decode("latin-1") for a in exact})
        keep = {b for anchor in anchors for b in anchor.encode("latin-1")}
        automaton = None
        if anchors:
            automaton = ahocorasick.Automaton()
            for anchor in anchors:
                automaton.add_word(anchor, anchor)
            automaton.make_automaton()
        reach = max([len(w) for w in words] + [len(a) for a in anchors] + [1])
        return cls(cover_words(words), bytes(b for b in range(256) if b not in keep), automaton, reach)

    def _present_anchors(self, data: bytes) -> list[bytes]:
        if self.exact is None:
            return []
        seen = {anchor for _, anchor in self.exact.iter(data.translate(None, self.delete).decode("latin-1"))}
        return [word for word in (anchor.encode("latin-1") for anchor in seen) if word in data]

    def windows(self, data: bytes, lowered: bytes, most: int = 4096) -> list[tuple[int, int]] | None:
        """Sorted, disjoint windows holding every possible hit; None when they would cover so much of the
        blob (or be so many) that walking it whole is cheaper."""
        spans: list[tuple[int, int]] = []
        for haystack, needles in ((lowered, self.covers), (data, self._present_anchors(data))):
            for needle in needles:
                position = haystack.find(needle)
                while position >= 0:
                    spans.append((max(0, position - self.reach), position + len(needle) + self.reach))
                    if len(spans) > most:
                        return None
                    position = haystack.find(needle, position + 1)
        spans.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, min(hi, len(data))))
        if sum(hi - lo for lo, hi in merged) > len(data) // 2:
            return None
        return merged


@dataclass
class Gate:
    covers: tuple[bytes, ...]
    delete: bytes  # the bytes that appear in no case-sensitive anchor
    exact: Any  # ahocorasick.Automaton over the case-sensitive anchors, or None

    @classmethod
    def build(cls, insensitive: Iterable[str], sensitive: Iterable[str]) -> Gate:
        exact_words = sorted(set(sensitive))
        keep = {b for word in exact_words for b in word.encode("latin-1")}
        automaton = None
        if exact_words:
            automaton = ahocorasick.Automaton()
            for word in exact_words:
                automaton.add_word(word, word)
            automaton.make_automaton()
        return cls(cover_words(insensitive), bytes(b for b in range(256) if b not in keep), automaton)

    def may_match(self, data: bytes, lowered: bytes) -> bool:
        for cover in self.covers:
            if cover in lowered:
                return True
        if self.exact is None:
            return False
        reduced = data.translate(None, self.delete)
        tried: set[str] = set()
        for _, anchor in self.exact.iter(reduced.decode("latin-1")):
            if anchor not in tried:
                tried.add(anchor)
                if anchor.encode("latin-1") in data:
                    return True
        return False
