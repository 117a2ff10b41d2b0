"""The engine: bytes in, findings out. Pure: no I/O, no globals, no printing.

1. Prefilter: lowercase once, run the Aho-Corasick automaton of every rule's anchor words.
2. Match: run each triggered rule's regex only in a small window around its anchor hits.
3. Filter: entropy, character classes and placeholders, only on the candidates.
4. Pair: around each key ID, look for secret-shaped strings by proximity and structure (same line
   first, then nearby lines) and assign IDs to secrets globally, best pairs first.
"""

from __future__ import annotations

import bisect
import dataclasses
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from akscan.engine.decode.base64_layer import LAYER, MAX_DEPTH, rewrite
from akscan.engine.decode.escapes import MARKERS as ESCAPE_MARKERS
from akscan.engine.decode.escapes import unescape
from akscan.engine.filters import VALIDATORS, character_classes, is_hex, looks_random, placeholder_reason
from akscan.engine.gate import Opening
from akscan.engine.names import agreement, binding_name, names_a_secret, names_an_id
from akscan.engine.pairing import Candidate, assign, pair_cost
from akscan.engine.rules import AnchorTarget, LazyPattern, Rule, Ruleset
from akscan.model import Blob, Finding, Kind, Location, Severity

# Seconds one regex call may take. Built-in rules run in microseconds on their small windows; a
# user's rule that backtracks catastrophically is cut off here and reported.
MATCH_TIMEOUT = 1.0
EDGES_PER_ID = 6
MATCH_BYTES_PER_SECOND = 1024 * 1024  # plus a second per MiB of window: far below any sane rule's speed

_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
_COMMENT_STARTS = (b"//", b"#", b";", b"*", b"/*", b"<!--", b"REM ")
_BASE64_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
# A key ID with this much unbroken base64 on a side of it is inside a blob, not a key (see _inside_base64).
BASE64_SURROUND = 64
# A hinted rule's regex runs from this many bytes before a hint word (the "with" of withAK) to this many
# after it: a name, its assignment and a value fit with room to spare (spaces padding "ak =" to the value
# past 512 bytes are not how anyone writes a key).
HINT_BEFORE = 16
HINT_AFTER = 512
# A secret with its key name right before it (``AccessKeySecret: …``) ranks above a bare string.
CONTEXT_LOOKBEHIND = 48
# Lines around a base64-encoded anchor that are decoded together (an encoded ID and its encoded secret
# are usually separate values on neighbouring lines).
DECODE_LINES = 8
# Key names that mark the secret half of a pair in any provider's config or call (``sk=``, ``secret``).
_SECRET_HINT = LazyPattern(rb"secret|(?<![a-z0-9])(?:sk|ak_secret|aksecret)(?![a-z0-9])")
# ``"Expiration": "2026-11-29T12:00:00Z"``, ``expiration = 2026-11-29 12:00:00+00:00``, ``<Expiration>…``.
# Or as seconds since the epoch, as Tencent's STS answers write it: ``"ExpiredTime": 1735531292``.
_EXPIRATION = LazyPattern(
    rb"""(?i)expir(?:ation|es?_?at|y|ed_?time)["'>]?\s*[:=]?\s*["']?"""
    rb"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?|1\d{9}(?![\d.]))"
)
# What to do about temporary credentials, when the rule says nothing of its own.
TEMPORARY_REMEDIATION = (
    "Temporary credentials (an ID with its session token) cannot be disabled: they expire on their own. Until "
    "then, revoke the role's sessions or restrict the role that issued them, and find what leaked them (a log, "
    "a debug print, a committed STS answer); keep STS lifetimes short."
)


@dataclass
class _Hits:
    anchors: dict[int, list[int]]
    context: dict[int, list[int]]
    encoded: list[int]  # where a key-ID anchor shows through base64


def detect(
    blob: Blob, ruleset: Ruleset, depth: int = 0, slow_rules: set[str] | None = None, opening: Opening | None = None
) -> list[Finding]:
    """Findings in one blob. A rule whose regex runs past ``MATCH_TIMEOUT`` is abandoned for the rest of
    the blob and its id added to ``slow_rules``: one bad rule costs a second, never the scan. ``opening``:
    the gate's verdict on these bytes when the caller has it already."""
    data = blob.data
    if not data:
        return []
    if opening is None:
        opening = ruleset.gate.scan(data)
    # Decoded layers skip the gate: their text was made by decoding around an anchor already seen.
    if depth == 0 and not opening.open:
        return []
    lowered = opening.lowered if opening.lowered is not None else data.lower()
    hits = _prefilter(data, lowered, ruleset, opening)
    found: list[Finding] = []
    if hits.anchors or hits.context:
        matcher = _Matcher(data, lowered, ruleset, hits)
        found = matcher.run(blob)
        if slow_rules is not None:
            slow_rules.update(matcher.slow)
            slow_rules.update(f"off:{rule_id}" for rule_id in matcher.skipped_off)
    if hits.encoded and depth < MAX_DEPTH:
        found = _merge(found, _decoded_findings(blob, hits.encoded, ruleset, depth, slow_rules))
    if hits.anchors and depth < MAX_DEPTH:
        # Around key-ID anchors only (rare): a secret stored escaped next to a plain ID (%2B in a URL,
        # \u002b in JSON-in-JSON, &#43; in HTML, a quoted-printable soft break in an email).
        # Around an ID's own prefix (LTAI, AKID…) only: a context word (an SDK name, an endpoint) is no key,
        # and decoding the lines around every mention of "bce" in Baidu's own SDK cost seconds a repository.
        positions = [
            p
            for index, ps in hits.anchors.items()
            if ruleset.rules[index].kind == "key-id" and ruleset.rules[index].anchors_case_sensitive
            for p in ps
        ]
        if positions and any(marker in data for marker in ESCAPE_MARKERS):
            found = _merge(found, _decoded_findings(blob, positions, ruleset, depth, slow_rules, escapes=True))
    return found


def _prefilter(data: bytes, lowered: bytes, ruleset: Ruleset, opening: Opening | None = None) -> _Hits:
    anchors: dict[int, list[int]] = {}
    context: dict[int, list[int]] = {}
    encoded: list[int] = []
    if opening is None:
        opening = ruleset.gate.scan(data, lowered)
    windows = ruleset.spotter.windows(data, lowered, opening)
    for start, length, targets in _automaton_hits(ruleset, lowered, windows):
        for target in targets:
            if target.exact is not None and data[start : start + length] != target.exact:
                continue
            if target.layer is not None:
                encoded.append(start)
                continue
            bucket = context if target.is_context else anchors
            bucket.setdefault(target.rule_index, []).append(start)
    return _Hits(anchors, context, encoded)


def _automaton_hits(
    ruleset: Ruleset, lowered: bytes, windows: list[tuple[int, int]] | None
) -> Iterator[tuple[int, int, tuple[AnchorTarget, ...]]]:
    """(start, length, targets) of every automaton word in the blob, walking only ``windows`` of it (the
    whole blob when None). latin-1 maps every byte to one code point: text offsets are byte offsets."""
    for lo, hi in windows if windows is not None else [(0, len(lowered))]:
        for end, (length, targets) in ruleset.automaton.iter(lowered[lo:hi].decode("latin-1")):
            yield lo + end - length + 1, length, targets


def _line_window(
    data: bytes, start: int, end: int, lines: int, floor: int = 0, ceiling: int | None = None
) -> tuple[int, int]:
    """From ``lines`` lines above ``start`` to ``lines`` lines below ``end``, never past ``floor`` and
    ``ceiling`` (so a long line costs a bounded search, not one back to the start of the blob)."""
    top = len(data) if ceiling is None else min(ceiling, len(data))
    lo = start
    for _ in range(lines + 1):
        if lo <= floor:
            break
        lo = max(data.rfind(b"\n", floor, max(lo - 1, floor)) + 1, floor)
    hi = end
    for _ in range(lines + 1):
        found = data.find(b"\n", hi + 1, top)
        if found < 0:
            return lo, top
        hi = found
    return lo, hi


def _decoded_findings(
    blob: Blob,
    positions: list[int],
    ruleset: Ruleset,
    depth: int,
    slow_rules: set[str] | None,
    escapes: bool = False,
) -> list[Finding]:
    """Rewrite the lines around each hit with their base64 values (or, with ``escapes``, their text
    escapes: akscan.engine.decode.escapes) decoded, and scan that text: lines keep their numbers, so findings
    point at the encoded value's line. Each finding records the chain of layers, outermost first
    (``"base64>percent"``)."""
    data = blob.data
    windows: list[tuple[int, int]] = []
    for position in sorted(positions):
        start, end = _line_window(data, position, position, DECODE_LINES)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    found: list[Finding] = []
    for start, end in windows:
        if escapes:
            decoded = unescape(data[start:end])
            if decoded is None:
                continue
            text, layer = decoded
        else:
            rewritten = rewrite(data[start:end])
            if rewritten is None:
                continue
            text, layer = rewritten, LAYER
        child = Blob(
            text,
            dataclasses.replace(blob.origin, decoded=layer),
            line_base=blob.line_base + data.count(b"\n", 0, start),
            offset_base=blob.offset_base + start,
            column_base=0,
        )
        for finding in detect(child, ruleset, depth + 1, slow_rules):
            chain = f"{layer}>{finding.encoding}" if finding.encoding else layer
            found.append(dataclasses.replace(finding, encoding=chain))
    return found


def _merge(plain: list[Finding], decoded: list[Finding]) -> list[Finding]:
    """The findings of a blob and of its decoded layers. A key the raw text showed alone (an ID next to a
    secret escaped as ``%2F…``) and a decoded layer showed whole is reported once, as the whole."""
    whole_ids = {f.key_id for f in decoded if f.key_id and f.secret}
    whole_secrets = {f.secret for f in decoded if f.key_id and f.secret}
    plain = [
        f
        for f in plain
        if not (f.kind == Kind.KEY_ID and f.key_id in whole_ids)
        and not (f.kind == Kind.SECRET and f.secret in whole_secrets)
    ]
    seen = {(f.fingerprint, f.location.line) for f in plain}
    merged = plain + [f for f in decoded if (f.fingerprint, f.location.line) not in seen]
    merged.sort(key=lambda f: (f.location.offset, f.rule_id))
    return merged


def valid_value(rule: Rule, value: str) -> bool:
    """The floor and filters a matched value must pass to be this rule's: entropy, character classes,
    placeholders (benchmarks/floors.py measures what they reject of random values of each rule's shape)."""
    if rule.kind == "token":  # long: judge by its head, where a placeholder would show
        if placeholder_reason(value[:64]) is not None:
            return False
        if rule.validator is not None:
            return VALIDATORS[rule.validator](value)
        return looks_random(value[:256], rule.min_entropy, 1)
    if rule.kind == "secret":
        return (rule.allow_hex or not is_hex(value)) and looks_random(value, rule.min_entropy, 2)
    return looks_random(value, rule.min_entropy, 1)


def _iso(stamp: str) -> str:
    """An expiry as ISO 8601: seconds since the epoch (``1735531292``) become ``2024-12-30T04:01:32Z``."""
    if stamp.isdigit():
        import datetime as dt

        moment = dt.datetime.fromtimestamp(int(stamp), tz=dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return stamp


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _windows(positions: list[int], before: int, after: int, limit: int) -> list[tuple[int, int]]:
    return merge_spans([(max(0, pos - before), min(limit, pos + after)) for pos in positions])


class _Matcher:
    def __init__(self, data: bytes, lowered: bytes, ruleset: Ruleset, hits: _Hits) -> None:
        self.data = data
        self.lowered = lowered
        self.ruleset = ruleset
        self.hits = hits
        self.slow: set[str] = set()  # rules abandoned in this blob: their regex ran past the time limit
        self.skipped_off: set[str] = set()  # rules not run on this blob: switched off after an earlier timeout
        self._known_lines: list[tuple[int, int]] = []  # (offset, line) pairs already counted
        self._known_columns: dict[int, list[tuple[int, int]]] = {}  # line start -> (offset, column) pairs

    def _matches(self, rule: Rule, pattern: LazyPattern, lo: int, hi: int, **options: Any) -> Iterator[Any]:
        """``pattern``'s matches in ``data[lo:hi]``, each call bounded in time (catastrophic backtracking
        in a user's rule must not hang the scan)."""
        if rule.id in self.slow:
            return
        if rule.id in self.ruleset.switched_off:  # timed out on an earlier blob: not asked again
            self.skipped_off.add(rule.id)
            return
        try:
            limit = MATCH_TIMEOUT + (hi - lo) / MATCH_BYTES_PER_SECOND  # a merged window can be large
            yield from pattern.finditer(self.data, lo, hi, timeout=limit, **options)
        except TimeoutError:
            self.slow.add(rule.id)
            self.ruleset.switched_off.add(rule.id)

    # -- candidates -------------------------------------------------------------------------------
    def _anchored(self, index: int, positions: list[int] | None = None) -> list[Candidate]:
        rule = self.ruleset.rules[index]
        found: dict[int, Candidate] = {}
        anchors = self.hits.anchors.get(index, []) if positions is None else positions
        windows = _windows(anchors, rule.window, rule.window, len(self.data))
        if rule.hints:
            windows = self._around_hints(rule.hints, windows)
        for lo, hi in windows:
            for match in self._matches(rule, rule.pattern, lo, hi):
                value = match.group(1).decode("latin-1")
                start = match.start(1)
                if start in found or not self._valid(rule, value) or self._in_escape(start):
                    continue
                if rule.kind == "key-id" and self._inside_base64(start, match.end(1)):
                    continue
                name = binding_name(self.data, start) if rule.kind == "key-id" else ""
                found[start] = Candidate(index, value, start, match.end(1), name=name, commented=self._commented(start))
        return list(found.values())

    def _around_hints(self, hints: tuple[str, ...], windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The parts of ``windows`` where a match can be: from ``HINT_BEFORE`` bytes before each hint word
        to ``HINT_AFTER`` after it (``bytes.find`` runs at memory speed; the rule's regex at a few dozen
        MB/s)."""
        narrowed: list[tuple[int, int]] = []
        lowered = self.lowered
        for lo, hi in windows:
            for hint in hints:
                word = hint.encode("utf-8")
                at = lowered.find(word, lo, hi)
                while at >= 0:
                    narrowed.append((max(lo, at - HINT_BEFORE), min(hi, at + len(word) + HINT_AFTER)))
                    at = lowered.find(word, at + 1, hi)
        return merge_spans(narrowed)

    def _inside_base64(self, start: int, end: int) -> bool:
        """Whether a key ID sits deep inside a long base64 run (an embedded font, an image, a data: URI):
        there its anchor is chance (four letters turn up in every few kilobytes of base64), not a key. A
        key encoded in base64 is found by the decoding layer instead, which decodes the run."""
        data = self.data
        left = start
        while left > 0 and start - left <= BASE64_SURROUND and data[left - 1] in _BASE64_BYTES:
            left -= 1
        right = end
        while right < len(data) and right - end <= BASE64_SURROUND and data[right] in _BASE64_BYTES:
            right += 1
        return start - left > BASE64_SURROUND or right - end > BASE64_SURROUND

    def _by_nearest_context(self, ids: list[Candidate]) -> list[Candidate]:
        """One ID per value position: where several providers' rules read the same value (a 20-character
        upper-case AK, a 32-hex key: shapes with no prefix of their own), the provider whose anchor — its
        SDK call, import, endpoint or config block — is nearest decides; on a tie, the rule listed first."""
        if len(ids) < 2:
            return ids
        best: dict[int, tuple[int, int, Candidate]] = {}
        ordered = {rule: sorted(self.hits.anchors.get(rule, [])) for rule in {c.rule for c in ids}}
        for candidate in ids:
            positions = ordered[candidate.rule]
            at = bisect.bisect_left(positions, candidate.start)
            near = [abs(positions[i] - candidate.start) for i in (at - 1, at) if 0 <= i < len(positions)]
            score = (min(near) if near else 0, candidate.rule)
            current = best.get(candidate.start)
            if current is None or score < current[:2]:
                best[candidate.start] = (*score, candidate)
        if len(best) == len(ids):
            return ids
        return sorted((entry[2] for entry in best.values()), key=lambda c: c.start)

    def _commented(self, start: int) -> bool:
        """Whether the value's line is a comment: it starts (after indentation) with a comment marker."""
        line_start = self.data.rfind(b"\n", max(0, start - 4096), start) + 1
        return self.data[line_start:start].lstrip(b" \t").startswith(_COMMENT_STARTS)

    def _in_escape(self, start: int) -> bool:
        """Whether a value begins inside an escape sequence: the ``2F…`` of ``%2F…``, the ``u002b…`` of
        ``\\u002b…``. Such a value is a fragment of escaped text, never a key (read raw, it would pair an
        ID with a wrong secret); the escape layer decodes the real one around key-ID anchors."""
        if start == 0:
            return False
        before, data = self.data[start - 1], self.data
        if before == 0x25:  # %XX
            return all(b in _HEX_DIGITS for b in data[start : start + 2])
        if before != 0x5C:
            return False
        # After a backslash, only a real escape: \uXXXX, \xXX, \UXXXXXXXX or a one-letter one (\n, \t …).
        # Anything else is the value itself once a shell or JavaScript drops the backslash
        # (KEY=\LTAI… in a .env is the key: a backslash must not hide it).
        letter = data[start]
        digits = {0x75: 4, 0x78: 2, 0x55: 8}.get(letter)  # u, x, U
        if digits is not None:
            hex_run = data[start + 1 : start + 1 + digits]
            return len(hex_run) == digits and all(b in _HEX_DIGITS for b in hex_run)
        return letter in b"nrtbfv0"

    def _valid(self, rule: Rule, value: str) -> bool:
        return valid_value(rule, value)

    def _contextual_secrets(self, index: int) -> list[Candidate]:
        rule = self.ruleset.rules[index]
        if rule.context_pattern is None or index not in self.hits.context:
            return []
        found: list[Candidate] = []
        for lo, hi in _windows(self.hits.context[index], 0, 160, len(self.data)):
            for match in self._matches(rule, rule.context_pattern, lo, hi, overlapped=False):
                value = match.group(1).decode("latin-1")
                # A lone secret has only its key name to vouch for it: it is reported alone only with all
                # three classes (see run); two do for a pair by names, where an ID's name vouches too.
                start = match.start(1)
                if self._valid(rule, value) and not self._in_escape(start):
                    name = binding_name(self.data, start)
                    commented = self._commented(start)
                    found.append(
                        Candidate(index, value, start, match.end(1), context=True, name=name, commented=commented)
                    )
        return found

    def _secrets_in(self, index: int, windows: list[tuple[int, int]]) -> list[Candidate]:
        """Every valid secret of rule ``index`` in the union of ``windows``, in order: each is matched
        and judged once, however many IDs look at it."""
        rule = self.ruleset.rules[index]
        found = []
        for lo, hi in merge_spans(windows):
            for match in self._matches(rule, rule.pattern, lo, hi):
                value = match.group(1).decode("latin-1")
                start = match.start(1)
                if self._valid(rule, value) and not self._in_escape(start):
                    context = self._has_context(rule, start)
                    name = binding_name(self.data, start)
                    commented = self._commented(start)
                    found.append(
                        Candidate(index, value, start, match.end(1), context=context, name=name, commented=commented)
                    )
        return found

    def _has_context(self, rule: Rule, start: int) -> bool:
        before = self.lowered[max(0, start - CONTEXT_LOOKBEHIND) : start]
        if _SECRET_HINT.get().search(before):
            return True
        return any(word.encode() in before for word in rule.context_words)

    def _tokens_near(self, ids: list[Candidate]) -> dict[int, list[Candidate]]:
        """Session tokens, looked for (their anchors with ``bytes.find``, not the automaton) only near a
        key ID: a token matters beside an ID (it goes with the ID's pair, and a secret-shaped run inside it
        is no secret), and "token" is everywhere in code: walking every hit of it, and a window of a few
        KB around each, cost more than all other rules together on a large history. Near means within the
        ID's reach (pairing bytes or token bytes, whichever is larger) plus the token rule's own window."""
        if not ids:
            return {}
        rules = self.ruleset.rules
        reaches = []
        for candidate in ids:
            pair = rules[candidate.rule].pair
            reach = max(pair.bytes, pair.token_bytes) if pair is not None else 0
            reaches.append((candidate.start - reach, candidate.end + reach))
        tokens: dict[int, list[Candidate]] = {}
        for index in self.ruleset.token_rules:
            rule = rules[index]
            haystack = self.data if rule.anchors_case_sensitive else self.lowered
            words = [(a if rule.anchors_case_sensitive else a.lower()).encode("latin-1") for a in rule.anchors]
            near: list[int] = []
            for lo, hi in merge_spans([(max(0, lo - rule.window), hi + rule.window) for lo, hi in reaches]):
                for word in words:
                    at = haystack.find(word, lo, hi)
                    while at >= 0:
                        near.append(at)
                        at = haystack.find(word, at + 1, hi)
            if near:
                tokens[index] = self._anchored(index, sorted(near))
        return tokens

    def _pair_window(self, start: int, end: int, lines: int, max_bytes: int) -> tuple[int, int]:
        return _line_window(self.data, start, end, lines, max(0, start - max_bytes), end + max_bytes)

    # -- main -------------------------------------------------------------------------------------
    def run(self, blob: Blob) -> list[Finding]:
        rules = self.ruleset.rules
        ids: list[Candidate] = []
        for index in self.hits.anchors:
            if rules[index].kind == "key-id":
                ids.extend(self._anchored(index))
        ids = self._by_nearest_context(ids)
        tokens = self._tokens_near(ids)
        lone_secrets: list[Candidate] = []
        # In rule order, not the order the context words occur: when two rules read the same value as a
        # lone secret, the one listed first (the more specific, alibaba-access-key-secret before
        # alibaba-named-secret) reports it.
        for index in sorted(self.hits.context):
            if rules[index].kind == "secret":
                lone_secrets.extend(self._contextual_secrets(index))

        taken = _Spans([(c.start, c.end) for c in ids] + [(t.start, t.end) for ts in tokens.values() for t in ts])
        looking: dict[int, list[tuple[Candidate, int, int]]] = {}  # secret rule -> (ID, its window)
        for id_candidate in ids:
            pair = rules[id_candidate.rule].pair
            if pair is not None:
                lo, hi = self._pair_window(id_candidate.start, id_candidate.end, pair.lines, pair.bytes)
                looking.setdefault(self.ruleset.by_id[pair.secret], []).append((id_candidate, lo, hi))
        edges = []
        for secret_index, wanted in looking.items():
            secrets = [
                s
                for s in self._secrets_in(secret_index, [(lo, hi) for _, lo, hi in wanted])
                if not taken.overlaps(s.start, s.end)
            ]
            starts = [s.start for s in secrets]
            for id_candidate, lo, hi in wanted:
                near = []
                named = bool(id_candidate.name)  # only a named ID can be contradicted by a secret's name
                for position in range(bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi)):
                    secret = secrets[position]
                    if secret.end <= hi and not (named and _contradict(id_candidate, secret)):
                        near.append((id_candidate, secret, self._cost(id_candidate, secret)))
                # Only an ID's few nearest secrets compete for it: a far one it could only get once its
                # neighbours are taken is a likelier mispairing than a lone ID (and a dense export would
                # otherwise feed the assignment a dozen edges per row).
                edges.extend(heapq.nsmallest(EDGES_PER_ID, near, key=lambda edge: edge[2]))
        pairs = assign(edges)
        ambiguous = _ambiguous(edges, pairs)
        pairs += self._far_pairs(ids, lone_secrets, pairs)

        findings: list[Finding] = []
        paired_ids = {c.value for c, _ in pairs}
        paired_secrets = {s.value for _, s in pairs}
        tokens_of = self._tokens_for(pairs, tokens)
        for id_candidate, secret in pairs:
            rule = rules[id_candidate.rule]
            assert rule.pair is not None
            token = tokens_of.get(id_candidate.start)
            confidence = "high" if secret.context or self._same_line(id_candidate, secret) else "medium"
            if (id_candidate.start, secret.start) in ambiguous:
                confidence = "low"  # another free secret was as good a match: said, not guessed
            sts_rule = rule.pair.kind == "sts-credentials"
            # A pair with its session token is a temporary credential whatever rule found it (AWS session
            # keys, a Tencent STS answer with a 36-character ID), as is an ID temporary by its prefix (ASIA…,
            # its token cut from a write-up): its own kind, severity and remediation.
            temporary = sts_rule or token is not None or id_candidate.value.startswith(rule.temporary_prefixes)
            expires_at = self._expiration(id_candidate, rule.pair.lines) if temporary else None
            kind = Kind.STS if temporary else Kind.PAIR
            severity = rule.pair.severity if sts_rule or not temporary else rule.pair.temporary_severity
            finding = self._finding(blob, rule, kind, severity, confidence, id_candidate, secret, token)
            if temporary and not sts_rule:
                finding = dataclasses.replace(finding, remediation=rule.temporary_remediation or TEMPORARY_REMEDIATION)
            findings.append(dataclasses.replace(finding, expires_at=expires_at) if expires_at else finding)
        for id_candidate in ids:
            rule = rules[id_candidate.rule]
            if id_candidate.value in paired_ids or rule.lone_severity is None:
                continue
            paired_ids.add(id_candidate.value)  # one lone finding per ID value and blob
            findings.append(self._finding(blob, rule, Kind.KEY_ID, rule.lone_severity, "medium", id_candidate))
        for secret in lone_secrets:
            rule = rules[secret.rule]
            if secret.value in paired_secrets or rule.lone_severity is None or character_classes(secret.value) < 3:
                continue
            paired_secrets.add(secret.value)
            findings.append(self._finding(blob, rule, Kind.SECRET, rule.lone_severity, "medium", None, secret))
        findings.sort(key=lambda f: (f.location.offset, f.rule_id))
        return findings

    def _far_pairs(
        self, ids: list[Candidate], secrets: list[Candidate], pairs: list[tuple[Candidate, Candidate]]
    ) -> list[tuple[Candidate, Candidate]]:
        """An ID and a secret too far apart to pair by distance (a long settings file), both bound to
        names that say what they are: paired when the blob has exactly one of each left for the rule, or
        when their names' qualifiers single each other out (``OSS_ACCESS_KEY_ID`` … ``OSS_ACCESS_KEY_SECRET``)."""
        rules = self.ruleset.rules
        paired = {c.value for pair in pairs for c in pair}
        found: list[tuple[Candidate, Candidate]] = []
        for rule_index in sorted({c.rule for c in ids}):
            pair = rules[rule_index].pair
            if pair is None:
                continue
            secret_rule = self.ruleset.by_id[pair.secret]
            lone_ids = _first_by_value(c for c in ids if c.rule == rule_index and c.value not in paired)
            lone_secrets = _first_by_value(s for s in secrets if s.rule == secret_rule and s.value not in paired)
            lone_ids = [c for c in lone_ids if c.name and names_an_id(c.name)]
            lone_secrets = [s for s in lone_secrets if s.name and names_a_secret(s.name)]
            if len(lone_ids) == 1 and len(lone_secrets) == 1:
                if agreement(lone_ids[0].name, lone_secrets[0].name) >= 0:
                    found.append((lone_ids[0], lone_secrets[0]))
                continue
            for id_candidate in lone_ids:
                matching = [s for s in lone_secrets if agreement(id_candidate.name, s.name) > 0]
                rivals = [c for c in lone_ids if matching and agreement(c.name, matching[0].name) > 0]
                if len(matching) == 1 and len(rivals) == 1:
                    found.append((id_candidate, matching[0]))
        return found

    def _expiration(self, id_candidate: Candidate, lines: int) -> str | None:
        """The ``Expiration`` written with temporary credentials (an AssumeRole answer, a credentials file,
        a log line), nearest to the key ID within the pairing window."""
        lo, hi = _line_window(self.data, id_candidate.start, id_candidate.end, lines)
        best: tuple[int, str] | None = None
        for match in _EXPIRATION.get().finditer(self.data, lo, hi):
            distance = abs(match.start() - id_candidate.start)
            if best is None or distance < best[0]:
                best = (distance, _iso(match.group(1).decode("ascii")))
        return best[1] if best else None

    def _cost(self, id_candidate: Candidate, secret: Candidate) -> float:
        lines = self.data.count(b"\n", min(id_candidate.end, secret.start), max(id_candidate.start, secret.end))
        return pair_cost(id_candidate, secret, lines)

    def _same_line(self, a: Candidate, b: Candidate) -> bool:
        lo, hi = min(a.end, b.end), max(a.start, b.start)
        return self.data.find(b"\n", lo, hi) < 0

    def _tokens_for(
        self, pairs: list[tuple[Candidate, Candidate]], tokens: dict[int, list[Candidate]]
    ) -> dict[int, Candidate]:
        """Each session token to the paired ID nearest to it (within the rule's ``token_bytes``), nearest
        first: a long-lived pair a few lines further down must not take the token of the temporary ID
        right above it."""
        edges: list[tuple[int, int, int, Candidate]] = []
        for id_candidate, _ in pairs:
            pair = self.ruleset.rules[id_candidate.rule].pair
            if pair is None or pair.token is None:
                continue
            for token in tokens.get(self.ruleset.by_id[pair.token], []):
                distance = abs(token.start - id_candidate.start)
                if distance <= pair.token_bytes:
                    edges.append((distance, id_candidate.start, token.start, token))
        chosen: dict[int, Candidate] = {}
        used: set[int] = set()
        for _, id_start, token_start, token in sorted(edges, key=lambda edge: edge[:3]):
            if id_start not in chosen and token_start not in used:
                chosen[id_start] = token
                used.add(token_start)
        return chosen

    # -- output -----------------------------------------------------------------------------------
    def _line_of(self, offset: int) -> int:
        """1-based line of ``offset``, counted from the nearest offset already placed: findings in a big
        blob cost the bytes between them, not a count from the start of the blob each."""
        known = self._known_lines
        index = bisect.bisect_right(known, (offset, float("inf"))) - 1
        base_offset, base_line = known[index] if index >= 0 else (0, 1)
        line = base_line + self.data.count(b"\n", base_offset, offset)
        bisect.insort(known, (offset, line))
        return line

    def _location(self, blob: Blob, offset: int) -> Location:
        line_start = self.data.rfind(b"\n", 0, offset) + 1
        line = self._line_of(offset) + blob.line_base
        column = self._column(line_start, offset)
        if line_start == 0:
            column += blob.column_base
        return Location(blob.origin.path, line, column, offset + blob.offset_base)

    def _column(self, line_start: int, offset: int) -> int:
        """1-based column (in characters) of ``offset``, counted from the nearest offset already placed on
        the same line: 100,000 findings on one minified line cost the line once, not once per finding."""
        known = self._known_columns.setdefault(line_start, [(line_start, 1)])
        index = bisect.bisect_right(known, (offset, float("inf"))) - 1
        base_offset, base_column = known[index]
        column = base_column + len(self.data[base_offset:offset].decode("utf-8", "replace"))
        bisect.insort(known, (offset, column))
        return column

    def _finding(
        self,
        blob: Blob,
        rule: Rule,
        kind: Kind,
        severity: Severity,
        confidence: str,
        id_candidate: Candidate | None,
        secret: Candidate | None = None,
        token: Candidate | None = None,
    ) -> Finding:
        anchor = id_candidate if id_candidate is not None else secret
        assert anchor is not None
        return Finding(
            rule_id=rule.id,
            provider=rule.provider,
            kind=kind,
            severity=severity,
            confidence=confidence,
            key_id=id_candidate.value if id_candidate is not None else None,
            location=self._location(blob, anchor.start),
            secret=secret.value if secret is not None else None,
            security_token=token.value if token is not None else None,
            secret_location=self._location(blob, secret.start) if secret is not None else None,
            title=rule.title,
            remediation=rule.remediation,
        )


# Two secrets closer in cost than this (a dozen bytes on one line) are equally good matches for an ID.
AMBIGUOUS_COST = 12.0


def _ambiguous(
    edges: list[tuple[Candidate, Candidate, float]], pairs: list[tuple[Candidate, Candidate]]
) -> set[tuple[int, int]]:
    """Chosen pairs whose ID had another secret, on the same side of it, that nothing else took and that
    matched it as well (``Client(ID, S1, S2)``): the assignment had to guess, and the finding says so."""
    taken = {secret.start for _, secret in pairs}
    chosen = {id_candidate.start: secret for id_candidate, secret in pairs}
    cost = {(i.start, s.start): c for i, s, c in edges}
    flagged: set[tuple[int, int]] = set()
    for id_candidate, other, other_cost in edges:
        secret = chosen.get(id_candidate.start)
        if secret is None or other.start == secret.start or other.start in taken:
            continue
        if (other.start < id_candidate.start) != (secret.start < id_candidate.start):
            continue  # the other side of the ID: the layout's direction decides, not a guess
        if abs(other_cost - cost[(id_candidate.start, secret.start)]) <= AMBIGUOUS_COST:
            flagged.add((id_candidate.start, secret.start))
    return flagged


def _contradict(id_candidate: Candidate, secret: Candidate) -> bool:
    """Names that say the two belong to different pairs (``OSS_…_ID`` and ``SMS_…_SECRET``): never paired,
    however close — a wrong pair verified live is a wrong answer, worse than two lone findings."""
    return bool(id_candidate.name and secret.name) and agreement(id_candidate.name, secret.name) < 0


def _first_by_value(candidates: Iterator[Candidate]) -> list[Candidate]:
    """One candidate per distinct value (its first occurrence): the same key written twice is one key."""
    first: dict[str, Candidate] = {}
    for candidate in candidates:
        first.setdefault(candidate.value, candidate)
    return list(first.values())


class _Spans:
    """Byte ranges taken by IDs and tokens; ``overlaps`` in O(log n), so a credentials export with
    100,000 pairs costs a logarithm per secret, not a scan of every ID."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans.sort()
        self.starts = [start for start, _ in spans]
        self.reach: list[int] = []  # the furthest end among the spans up to each index
        furthest = -1
        for _, end in spans:
            furthest = max(furthest, end)
            self.reach.append(furthest)

    def overlaps(self, start: int, end: int) -> bool:
        before = bisect.bisect_left(self.starts, end)  # spans that start before ``end``
        return before > 0 and self.reach[before - 1] > start
