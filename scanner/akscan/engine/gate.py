"""A whole-blob gate in front of the Aho-Corasick prefilter, derived from the ruleset.

pyahocorasick walks every byte through Python's unicode machinery (~270 MB/s here). The gate answers
"can any anchor occur in this blob?" far faster, so the automaton runs only on blobs that may match, and
the spotter says where in them. It never says no when an anchor is present, so findings are exactly those
of the automaton alone. On Hyperscan (``akscan.engine.fastgate``) both are one pass over the raw bytes; the pure
engine below gives the same verdicts with CPython's ``bytes.find`` and ``bytes.translate``:

* case-insensitive anchors and context words: each contains one of a few "cover" substrings
  (e.g. ``secret``), looked for in the lowercased bytes with ``bytes.find``;
* case-sensitive anchors (``LTAI``, ``STS.``, ``AKIA`` …): every byte that appears in no such anchor is
  deleted with ``bytes.translate``; an anchor in the blob is still contiguous in what remains, which is
  a few percent of the blob, and a small automaton searches that. Deleting bytes can make false
  adjacencies, so an anchor seen in the reduced bytes is confirmed in the blob with ``bytes.find``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import ahocorasick

from akscan.engine import fastgate

COVER_MIN = 5  # cover substrings this long or longer make bytes.find skip fast
# Words in every file of code, never a cover of two longer words (``token`` for ``securitytoken`` and
# ``upload_token``, ``credentials`` for ``basiccredentials`` and ``globalcredentials``): one such cover
# doubled the spotter's hits over 26 real histories (+10% of detection) to save a pattern or two.
NO_COVER = frozenset(["token", "client", "credential", "credentials", "speech", "upload", "global", "config"])
_NO_COVER_PARTS = frozenset(w[i : i + n] for w in NO_COVER for n in range(1, len(w) + 1) for i in range(len(w) - n + 1))


def cover_words(words: Iterable[str]) -> tuple[bytes, ...]:
    """A small set of substrings such that every word contains one of them (greedy set cover: the
    substring in most remaining words, then the longest). Each word's substrings are counted once, kept in
    buckets by count, and moved down a bucket when a chosen substring covers the word: recounting and
    scanning every substring each round cost a third of the ruleset's compile at every start."""
    remaining = {w.lower() for w in words}
    subs_of: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for word in remaining:
        size = min(COVER_MIN, len(word))
        subs = {word[i : i + n] for n in range(size, len(word) + 1) for i in range(len(word) - n + 1)}
        subs -= _NO_COVER_PARTS  # (a set difference: the per-start build stays as fast as before)
        subs.add(word)
        subs_of[word] = subs
        for sub in subs_of[word]:
            counts[sub] = counts.get(sub, 0) + 1
    buckets: dict[int, set[str]] = {}
    for sub, count in counts.items():
        buckets.setdefault(count, set()).add(sub)
    top = max(buckets, default=0)
    chosen: list[str] = []
    while remaining:
        while not buckets.get(top):
            top -= 1
        if top == 1:
            # No substring is shared any more: the longest one left is a remaining word itself, which covers
            # only itself, and so on down — the words left are their own covers (picking them one by one
            # scanned every unshared substring for each: ~40% of the build).
            chosen.extend(remaining)
            break
        best = max(buckets[top], key=lambda s: (len(s), s))
        chosen.append(best)
        for word in [w for w in remaining if best in w]:
            remaining.discard(word)
            for sub in subs_of[word]:
                count = counts[sub]
                buckets[count].discard(sub)
                counts[sub] = count - 1
                if count > 1:
                    buckets.setdefault(count - 1, set()).add(sub)
    return tuple(sorted(w.encode("latin-1") for w in chosen))


def _names(words: Iterable[str]) -> tuple[bytes, ...]:
    """Words as they are (lower case), not a cover; but none that holds another of them, which is found
    wherever it is (``getuptoken`` and ``uptoken``: one search of the blob, not two)."""
    lowered = sorted({w.lower().encode("latin-1") for w in words})
    return tuple(w for w in lowered if not any(other != w and other in w for other in lowered))


@dataclass(frozen=True)
class ExactWords:
    """Case-sensitive words found fast: ``bytes.translate`` deletes every byte that is in none of them
    (what remains is a few percent of a blob), a small automaton searches that, and each word seen there
    is confirmed in the blob itself (deleting bytes can make false adjacencies)."""

    delete: bytes
    automaton: Any  # ahocorasick.Automaton over the words, or None when there are none

    @classmethod
    def build(cls, words: Iterable[str]) -> ExactWords:
        ordered = sorted(set(words))
        keep = {b for word in ordered for b in word.encode("latin-1")}
        automaton = None
        if ordered:
            automaton = ahocorasick.Automaton()
            for word in ordered:
                automaton.add_word(word, word.encode("latin-1"))
            automaton.make_automaton()
        return cls(bytes(b for b in range(256) if b not in keep), automaton)

    def found(self, data: bytes) -> list[bytes]:
        """Each word that occurs in ``data``, once. A plain function, not a generator: it runs on every
        blob and window of a history (15k calls on flask), where a generator's set-up is a third of it."""
        if self.automaton is None:
            return []
        seen = {word for _, word in self.automaton.iter(data.translate(None, self.delete).decode("latin-1"))}
        return [word for word in seen if word in data] if seen else []


_BASE64_CLASS = bytes(
    1 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/") else 0 for b in range(256)
)  # bytes.translate table: 1 for a base64 character, 0 for anything else


@dataclass(frozen=True)
class EncodedWords:
    """Base64 forms of anchors, looked for only inside runs of base64 characters long enough to decode
    (the decoding layer decodes runs of ``run_min`` or more, akscan.engine.decode.base64_layer): the runs are
    found in C (``translate`` to a 0/1 class string, ``find`` of ``run_min`` ones), joined and searched
    as ``ExactWords``. The forms of many anchors together use most of the base64 alphabet, so reducing
    the whole blob to their alphabet keeps ~20% of it; the runs are a few percent (flask: 2.8 -> ~1.5 ms
    per MB of the blobs the gate lets in)."""

    words: ExactWords
    run_min: int

    def found(self, data: bytes) -> list[bytes]:
        if self.words.automaton is None:
            return []
        classes = data.translate(_BASE64_CLASS)
        needle = b"\x01" * self.run_min
        runs: list[bytes] = []
        position = classes.find(needle)
        while position >= 0:
            end = classes.find(b"\x00", position + self.run_min)
            end = len(data) if end < 0 else end
            runs.append(data[position:end])
            position = classes.find(needle, end)
        # A word seen in the joined runs lies inside one run (no word holds a newline): it is in the blob.
        return self.words.found(b"\n".join(runs)) if runs else []


class Opening(NamedTuple):
    """What the gate saw in a blob: the case-sensitive words it found there (confirmed byte for byte) and
    whether a case-insensitive cover occurs (a secret's key name counts only with a run of bytes shaped
    like its value somewhere in the blob). The spotter starts from it instead of searching again."""

    exact: list[bytes]
    covered: bool
    lowered: bytes | None = None  # the lowercased blob, when the engine made it (the pure one does)
    named: bool = False  # a secret's key name occurs, though no value-shaped run does (still closed)

    @property
    def open(self) -> bool:
        return self.covered or bool(self.exact)

    @property
    def empty(self) -> bool:
        """No word of any rule at all: then a word in a changed version lies across a change
        (akscan.engine.delta). A key name without a value-shaped run keeps the gate closed, not empty: the run
        can come from anywhere in the next version."""
        return not (self.covered or self.exact or self.named)


@dataclass(frozen=True)
class ValueRun:
    """At least ``least`` consecutive bytes of one class: the shape every value of a secret rule has
    (``[A-Za-z0-9]{30}`` for an Alibaba AccessKey secret). Found in C: ``translate`` to a 0/1 string,
    ``find`` of ``least`` ones (~0.3 ms/MB)."""

    table: bytes  # bytes.translate table: 1 for a byte of the class, 0 for any other
    least: int

    @classmethod
    def of(cls, members: Iterable[int], least: int) -> ValueRun:
        chosen = set(members)
        return cls(bytes(1 if b in chosen else 0 for b in range(256)), least)

    def found(self, data: bytes) -> bool:
        return len(data) >= self.least and data.translate(self.table).find(b"\x01" * self.least) >= 0

    def expression(self) -> bytes:
        """The same run as a Hyperscan expression: ``[\\x30-…]{least}``, every member spelled out."""
        members = b"".join(b"\\x%02x" % b for b in range(256) if self.table[b])
        return b"[" + members + b"]{%d}" % self.least


@dataclass(frozen=True)
class NamedSecrets:
    """The key names of lone-secret rules whose values share one shape: a blob opens the gate through
    them only when one of the names and a run of that shape both occur in it. Flask's files say
    ``SECRET_KEY`` everywhere, but almost none holds 30 letters and digits in a row: its history's blobs
    the gate lets in went from 108 MB to 5 MB."""

    covers: tuple[bytes, ...]
    run: ValueRun
    searches: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if not self.searches:
            object.__setattr__(self, "searches", _grouped(self.covers))

    def named_in(self, lowered: bytes) -> bool:
        return any(
            search in lowered if isinstance(search, bytes) else search.search(lowered) is not None
            for search in self.searches
        )


_SHAPE = re.compile(rb"\[((?:[^\]\\]|\\.)+)\]\{(\d+)(?:,\d*)?\}")
_CLASS_ITEM = re.compile(rb"(\\[^A-Za-z0-9]|[^\\])(?:-(\\[^A-Za-z0-9]|[^\\]))?")


def value_run(pattern: bytes) -> ValueRun | None:
    """The run every match of a rule's value must contain, read off its pattern when the value's group
    starts with a plain character class and a minimum count (``([A-Za-z0-9]{30})``,
    ``([A-Za-z0-9+/]{40,64}={0,2})``) and every match goes through it: the first capturing group, at the
    top level, in a pattern with no top-level alternative. Anything else (``\\w``, a negated class, ``+``,
    verbose mode): None, and the rule's key names open the gate by themselves. Letters count in both
    cases, whatever the pattern's flags."""
    # Verbose mode (spaces in a class mean nothing), named groups (numbered among the plain ones, which
    # this reader does not follow) and branch resets: not read here.
    if re.search(rb"\(\?[a-zA-Z]*x|\(\?P?<[A-Za-z_]|\(\?'|\(\?\|", pattern):
        return None
    depth = 0
    group: tuple[int, int] | None = None
    opened: list[tuple[int, bool]] = []  # (where, capturing) of each open group
    i = 0
    in_class = False
    while i < len(pattern):
        char = pattern[i : i + 1]
        if char == b"\\":
            i += 2
            continue
        if in_class:
            in_class = char != b"]"
        elif char == b"[":
            in_class = True
            if pattern[i + 1 : i + 2] == b"]":  # a literal ] first in a class
                i += 1
        elif char == b"(":
            capturing = pattern[i + 1 : i + 2] != b"?"
            opened.append((i, capturing))
            depth += 1
        elif char == b")":
            if not opened:
                return None
            start, capturing = opened.pop()
            depth -= 1
            if capturing and group is None:
                if depth != 0 or pattern[i + 1 : i + 2] in (b"?", b"*") or pattern[i + 1 : i + 3] == b"{0":
                    return None  # inside another group, or optional itself: it might be skipped
                group = (start + 1, i)
        elif char == b"|" and depth == 0:
            return None
        i += 1
    if group is None:
        return None
    value = pattern[group[0] : group[1]]
    # A value of several shapes (``[0-9a-f]{32}|[A-Z0-9]{20}``): every match holds a run of their joined
    # classes as long as the shortest. Read only when the alternatives are flat (no group, no | in a class).
    if b"|" in value and (b"(" in value or b"\\|" in value or re.search(rb"\[[^\]]*\|", value)):
        return None
    runs = [_run_of(alternative) for alternative in value.split(b"|")]
    if any(run is None for run in runs):
        return None
    members = set().union(*(run[0] for run in runs if run is not None))
    least = min(run[1] for run in runs if run is not None)
    return ValueRun.of(members, least) if least >= 8 else None


def _run_of(value: bytes) -> tuple[set[int], int] | None:
    """The class and minimum count a value's pattern starts with (``[A-Za-z0-9]{30}``), both cases of
    every letter; None when it starts with anything else."""
    shape = _SHAPE.match(value)  # what follows the run in the group only adds to a match
    if shape is None or shape.group(1).startswith(b"^"):
        return None
    members: set[int] = set()
    position = 0
    body = shape.group(1)
    while position < len(body):
        item = _CLASS_ITEM.match(body, position)
        if item is None:
            return None  # an escape like \d or \p{...}: not read here
        low = item.group(1)[-1]
        high = item.group(2)[-1] if item.group(2) else low
        if low > high or high > 127:
            return None
        members.update(range(low, high + 1))
        position = item.end()
    members |= {ord(chr(b).swapcase()) for b in members if chr(b).isalpha()}
    return members, int(shape.group(2))


@dataclass
class Gate:
    """``covers`` for the case-insensitive words of every rule that can report on its own, ``exact`` for
    their case-sensitive anchors (and the base64 forms of the anchors that open the gate encoded too).

    Two engines give the same verdict (``tests/test_gate.py`` checks them against each other):

    * Hyperscan (``akscan.engine.fastgate``), where its wheel exists (Linux x86-64, macOS, Windows): every cover
      (caseless) and every exact word in one pass over the raw bytes, ~0.35 ms/MB — no lowercasing, no
      reduced copy. It is started only once this process has gated ``fastgate.AFTER_BYTES`` (its import
      and compilation cost ~12 ms: the pre-commit hook, which gates a few KB, never pays it).
    * Pure Python otherwise: each cover a pass over the lowercased blob (~0.5 ms/MB; covers sharing their
      first three letters are one ``re`` pattern with that literal prefix, ``ali(?:baba|yun)``), and the
      exact words by ``ExactWords``. ``AKSCAN_GATE=python`` forces it."""

    covers: tuple[bytes, ...]
    exact: ExactWords
    searches: tuple[Any, ...] = ()  # bytes for ``in``, or a compiled pattern for covers sharing a prefix
    longest: int = 1  # the longest cover or exact word: no match of the gate is longer
    words: tuple[bytes, ...] = ()  # the exact words, for the Hyperscan engine
    named: tuple[NamedSecrets, ...] = ()  # lone-secret key names, each group with its value's shape
    engine_named: fastgate.Named = field(default=(), init=False)  # the same, as Hyperscan takes them
    # Newline-led anchors without their newline (lowered, and their exact bytes when case-sensitive): a
    # blob that starts with one is open, as if a newline preceded it (``akscan.engine.rules.Ruleset``).
    starts: tuple[tuple[bytes, bytes | None], ...] = ()
    # Their first bytes in either case, and their longest length: most closed blobs fail the first test.
    start_bytes: frozenset[bytes] = field(default=frozenset(), init=False)
    start_length: int = field(default=0, init=False)

    @classmethod
    def build(
        cls,
        insensitive: Iterable[str],
        sensitive: Iterable[str],
        named: Iterable[tuple[Iterable[str], ValueRun, bool]] = (),
        starts: Iterable[tuple[bytes, bytes | None]] = (),
        whole: Iterable[str] = (),
    ) -> Gate:
        """``whole``: words that open the gate as they are, never covered by a substring they share."""
        exact = sorted(set(sensitive))
        covers = tuple(sorted({*cover_words(insensitive), *(w.lower().encode("latin-1") for w in whole)}))
        # One group per shape. A secret's key names are covered as other words are ("secret" for
        # accesskeysecret and secret_key); a key-ID rule's words are kept as they are: a cover as short as
        # "access" (access_key, accesskey) would send every blob saying it to the run check.
        runs: dict[tuple[bytes, int, bool], set[str]] = {}
        for names, run, as_they_are in named:
            runs.setdefault((run.table, run.least, as_they_are), set()).update(names)
        groups = tuple(
            NamedSecrets(_names(names) if as_they_are else cover_words(names), ValueRun(table, least))
            for (table, least, as_they_are), names in runs.items()
        )
        every = [
            *exact,
            *(c.decode("latin-1") for c in covers),
            *(c.decode("latin-1") for g in groups for c in g.covers),
        ]
        longest = max([len(w) for w in every] + [1])
        words = tuple(w.encode("latin-1") for w in exact)
        return cls(covers, ExactWords.build(exact), longest=longest, words=words, named=groups, starts=tuple(starts))

    def __post_init__(self) -> None:
        if not self.searches:
            self.searches = _grouped(self.covers)
        self.engine_named = tuple((group.covers, group.run.expression()) for group in self.named)
        firsts = {word[:1] for word, _ in self.starts}
        self.start_bytes = frozenset(firsts | {b.upper() for b in firsts})
        self.start_length = max((len(word) for word, _ in self.starts), default=0)

    def scan(self, data: bytes, lowered: bytes | None = None) -> Opening:
        engine = fastgate.engine_for_gate(self.covers, self.words, len(data), self.engine_named)
        if engine is not None:
            exact, covered, named = engine.scan(data)
            if covered or exact or not named:
                opening = Opening(exact, covered, None, bool(named))
            else:
                opening = Opening(exact, engine.run_in(data, named), None, True)
        else:
            opening = self.scan_python(data, data.lower() if lowered is None else lowered)
        if not opening.open and data[:1] in self.start_bytes and self.starts_with_anchor(data):
            return opening._replace(covered=True)
        return opening

    def starts_with_anchor(self, data: bytes) -> bool:
        """Whether the blob begins with a newline-led anchor's word (its newline being the blob's start)."""
        head = data[: self.start_length]
        lowered = head.lower()
        return any(
            head.startswith(exact) if exact is not None else lowered.startswith(word) for word, exact in self.starts
        )

    def scan_python(self, data: bytes, lowered: bytes) -> Opening:
        covered = False
        for search in self.searches:
            if search in lowered if isinstance(search, bytes) else search.search(lowered) is not None:
                covered = True
                break
        exact = self.exact.found(data)
        named = False
        if not covered and not exact:
            for group in self.named:
                if group.named_in(lowered):
                    named = True
                    if group.run.found(data):
                        covered = True
                        break
        return Opening(exact, covered, lowered, named)

    def may_match(self, data: bytes, lowered: bytes | None = None) -> bool:
        return self.scan(data, lowered).open


PREFIX = 3


class _OutsideAscii:
    """Covers outside ASCII (a provider's name in Chinese, as its UTF-8 bytes), searched together: most
    blobs of code are pure ASCII, which ``bytes.isascii`` tells ~25x faster than one ``find`` pass, and
    hold none of them; only the others pay a pass per word (a regex alternation of them is slower still)."""

    __slots__ = ("words",)

    def __init__(self, words: list[bytes]) -> None:
        self.words = tuple(words)

    def search(self, haystack: bytes) -> bytes | None:
        if haystack.isascii():
            return None
        return next((word for word in self.words if word in haystack), None)


def _occurrences(haystack: bytes, needle: Any) -> Iterator[tuple[int, int]]:
    """(start, length) of each occurrence of a substring, or of each match of a cover pattern."""
    if isinstance(needle, _OutsideAscii):
        if not haystack.isascii():
            for word in needle.words:
                yield from _occurrences(haystack, word)
    elif isinstance(needle, bytes):
        position = haystack.find(needle)
        while position >= 0:
            yield position, len(needle)
            position = haystack.find(needle, position + 1)
    else:
        for match in needle.finditer(haystack):
            yield match.start(), match.end() - match.start()


def _grouped(covers: tuple[bytes, ...]) -> tuple[Any, ...]:
    import re

    groups: dict[bytes, list[bytes]] = {}
    outside = [cover for cover in covers if not cover.isascii()]
    for cover in covers:
        if cover.isascii():
            groups.setdefault(cover[:PREFIX], []).append(cover)
    searches: list[Any] = [_OutsideAscii(outside)] if outside else []
    for prefix, members in groups.items():
        if len(members) == 1 or len(prefix) < PREFIX:
            searches.extend(members)
        else:
            rests = b"|".join(re.escape(m[PREFIX:]) for m in sorted(members, key=len, reverse=True))
            searches.append(re.compile(re.escape(prefix) + b"(?:" + rests + b")"))
    # Plain substrings first: the gate stops at the first cover found, and ``in`` is the cheaper pass.
    return tuple(sorted(searches, key=lambda search: not isinstance(search, bytes)))


@dataclass(frozen=True)
class Spotter:
    """Where in a blob the prefilter's automaton needs to look. Every automaton word either contains one
    of ``covers`` (case-insensitive words) or is a case-sensitive word, so each hit lies within ``reach``
    bytes of a cover found with ``bytes.find`` in the lowercased blob, or of a case-sensitive word found in
    the blob itself. The big automaton (~270 MB/s through Python's unicode layer) then walks only the
    windows: in a file that says ``SECRET_KEY`` a few times, a few hundred bytes instead of the whole blob.

    The case-sensitive words come in two groups, each searched like the gate's (``bytes.translate``
    down to its alphabet, a small automaton, confirmed with ``in``): the gate's own (found already, handed
    over in its ``Opening``); and ``extra``, the other base64 forms of key-ID anchors, inside base64 runs
    only (``EncodedWords``: only blobs the gate let in pay for it). Session-token anchors are not here: a
    token matters only beside its key ID, and the matcher looks for them there."""

    covers: tuple[bytes, ...]
    extra: EncodedWords
    reach: int
    searches: tuple[Any, ...] = ()  # the covers, those sharing a prefix as one pattern (as the gate's)
    words: tuple[bytes, ...] = ()  # every case-sensitive word, for the Hyperscan engine

    def __post_init__(self) -> None:
        if not self.searches:
            object.__setattr__(self, "searches", _grouped(self.covers))

    @classmethod
    def build(
        cls,
        insensitive: Iterable[str],
        gated: Iterable[bytes],
        extra: Iterable[bytes],
        run_min: int,
        whole: Iterable[str] = (),
    ) -> Spotter:
        """``whole``: words looked for as they are, never covered by a substring they share (an anchor's
        character codes share ``,73,6`` with every column of numbers)."""
        whole_words = sorted({w.lower() for w in whole})
        words = sorted({w.lower() for w in insensitive})
        gated_set = set(gated)
        extra_words = sorted({w.decode("latin-1") for w in extra if w not in gated_set})
        lengths = [len(w) for w in (*words, *whole_words)] + [len(w) for w in (*gated_set, *extra_words)]
        every = tuple(sorted({*gated_set, *(w.encode("latin-1") for w in extra_words)}))
        return cls(
            tuple(sorted({*cover_words(words), *(w.encode("latin-1") for w in whole_words)})),
            EncodedWords(ExactWords.build(extra_words), run_min),
            max([*lengths, 1]),
            words=every,
        )

    def windows(self, data: bytes, lowered: bytes, opening: Opening, most: int = 4096) -> list[tuple[int, int]] | None:
        """Sorted, disjoint windows holding every hit that can matter; None when they would cover so much
        of the blob (or be so many) that walking it whole is cheaper. On Hyperscan, one pass finds every
        cover and every case-sensitive word (encoded forms anywhere: a few more windows, never fewer)."""
        engine = fastgate.engine(self.covers, self.words, once=False)
        if engine is not None:
            found = engine.spans(data, self.reach, most)
            return None if found is None else self._merged(found, len(data))
        exact = opening.exact + self.extra.found(data)
        spans: list[tuple[int, int]] = []
        for haystack, needles in ((lowered, self.searches), (data, exact)):
            for needle in needles:
                for position, length in _occurrences(haystack, needle):
                    spans.append((max(0, position - self.reach), position + length + self.reach))
                    if len(spans) > most:
                        return None
        return self._merged(spans, len(data))

    @staticmethod
    def _merged(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]] | None:
        spans.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, min(hi, size)))
        if sum(hi - lo for lo, hi in merged) > size // 2:
            return None
        return merged
