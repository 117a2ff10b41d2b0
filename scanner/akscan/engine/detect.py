"""The engine: bytes in, findings out. Pure: no I/O, no globals, no printing.

1. Prefilter: lowercase once, run the Aho-Corasick automaton of every rule's anchor words (here).
2. Match: run each triggered rule's regex only in a small window around its anchor hits, and judge each
   value by the rule's floors: entropy, character classes, placeholders (``candidates``).
3. Pair: around each key ID, look for secret-shaped strings by proximity and structure (same line
   first, then nearby lines) and assign IDs to secrets globally, best pairs first (``pairs``).
4. Report: a finding per pair, lone ID and lone secret, placed by line and column (``positions``), with
   its session token and expiry (here); decoded layers (base64, escapes) scanned the same way.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Iterable, Iterator

from akscan.engine.candidates import CandidateFinder, Hits
from akscan.engine.decode.base64_layer import LAYER, MAX_DEPTH, rewrite
from akscan.engine.decode.concat import run_end
from akscan.engine.decode.escapes import MARKERS as ESCAPE_MARKERS
from akscan.engine.decode.escapes import unescape
from akscan.engine.endpoints import EndpointSettings
from akscan.engine.filters import DOCUMENTED_IDS, character_classes, token_as_sent, volcengine_sts_document
from akscan.engine.gate import Opening
from akscan.engine.pairing import Candidate
from akscan.engine.pairs import Pair, choose_pairs, near_length, tokens_for
from akscan.engine.positions import Positions, line_window, line_windows
from akscan.engine.presigned import url_end
from akscan.engine.rules import ESCAPED, AnchorTarget, LazyPattern, Rule, Ruleset
from akscan.model import Blob, Finding, Kind, Severity

# Lines around a base64-encoded anchor that are decoded together (an encoded ID and its encoded secret
# are usually separate values on neighbouring lines).
DECODE_LINES = 8
NAMED_REACH = 64 * 1024  # how far into a file its name counts as a rule's context (akscan.engine.filecontext)
EXPIRY_REACH = 4000  # bytes either side of a temporary ID where its Expiration is read
ESCAPE_REACH = 64  # an escape or a join this near an anchor that read no key is worth decoding its lines for
# ``"Expiration": "2026-11-29T12:00:00Z"``, ``expiration = 2026-11-29 12:00:00+00:00``, ``<Expiration>…``.
# Or as seconds since the epoch, as Tencent's STS answers write it: ``"ExpiredTime": 1735531292``.
_EXPIRATION = LazyPattern(
    rb"""(?i)expir(?:ation|es?_?at|y|ed_?time)["'>]?\s*[:=]?\s*["']?"""
    rb"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?|1\d{9}(?![\d.]))"
)
# A decoded layer's finding and the first and last line of the window it was decoded from.
Decoded = tuple[Finding, int, int]
# What to do about temporary credentials, when the rule says nothing of its own.
TEMPORARY_REMEDIATION = (
    "Temporary credentials (an ID with its session token) cannot be disabled: they expire on their own. Until "
    "then, revoke the role's sessions or restrict the role that issued them, and find what leaked them (a log, "
    "a debug print, a committed STS answer); keep STS lifetimes short."
)


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
    # A file in a rule's context by its own name (config/qiniu.yml): see akscan.engine.filecontext.
    named = ruleset.file_context.rules_for(blob.origin.path, blob.origin.folder) if depth == 0 else ()
    # Decoded layers skip the gate: their text was made by decoding around an anchor already seen.
    if depth == 0 and not opening.open and not named:
        return []
    lowered = opening.lowered if opening.lowered is not None else data.lower()
    hits = _prefilter(data, lowered, ruleset, opening, line_start=blob.column_base == 0)
    # The name stands where the rule's anchor would, every window's length along the file's head: a config
    # file is small, and a hostile one named qiniu.yml must not make the rule read megabytes of `ak=` lines
    # (long enough to trip the rule's time limit, which switches it off for the rest of the scan).
    reach = min(len(data), NAMED_REACH - blob.offset_base)
    for index in named:
        spaced = range(0, max(reach, 0), max(ruleset.rules[index].window, 1))
        hits.anchors[index] = sorted({*hits.anchors.get(index, []), *spaced})
    hits.by_file_name = frozenset(named)
    found: list[Finding] = []
    encoded = hits.encoded
    opaque: list[tuple[int, int]] = []  # the session tokens reported with their keys (sorted spans)
    if hits.anchors or hits.context:
        matcher = _Matcher(data, lowered, ruleset, hits)
        found = matcher.run(blob)
        if slow_rules is not None:
            slow_rules.update(matcher.slow)
            slow_rules.update(f"off:{rule_id}" for rule_id in matcher.skipped_off)
        # A session token reported with its key is opaque: what its base64 holds (Volcengine's names the
        # permanent AKLT key that issued it, and the AKTP key again) is no key of its own, and decoded it
        # paired that AKLT ID with the temporary secret beside the token.
        # The spans are blanked out of the text decoded around other anchors, too: a base64 value on the
        # next line would otherwise bring the token into a decoded window.
        opaque = sorted(matcher.token_spans)
        if opaque and encoded:
            encoded = [p for p in encoded if not _inside(opaque, p)]
    if encoded and depth < MAX_DEPTH:
        found = _merge(found, _decoded_findings(blob, encoded, ruleset, depth, slow_rules, opaque=opaque), ruleset)
    if (hits.anchors or hits.escaped) and depth < MAX_DEPTH:
        # Around key-ID anchors only (rare): a secret stored escaped next to a plain ID (%2B in a URL,
        # \u002b in JSON-in-JSON, &#43; in HTML, a quoted-printable soft break in an email).
        # Around an ID's own prefix (LTAI, AKID…) only: a context word (an SDK name, an endpoint) is no key,
        # and decoding the lines around every mention of "bce" in Baidu's own SDK cost seconds a repository.
        # And only where a key was read at the anchor or an escape or a join is beside it: a web bundle says
        # GOOGLE and STS. thousands of times, and joining its "a"+"b" literals around each cost seconds.
        found_at = {f.location.offset - blob.offset_base for f in found if f.key_id}
        positions = [
            p
            for index, ps in hits.anchors.items()
            if ruleset.rules[index].kind == "key-id" and ruleset.rules[index].anchors_in_value
            for p in ps
            if p in found_at or _escaped_near(data, p)
        ]
        # A context rule's ID (no prefix of its own: Baidu's 32 hex in a presigned URL) read beside an escape or
        # a join: its session token may be the escaped or joined text (a recorded answer cut into "…" + lines).
        positions += [
            f.location.offset - blob.offset_base
            for f in found
            if f.kind == Kind.KEY_ID
            and f.security_token is None
            and _escaped_near(data, f.location.offset - blob.offset_base)
            and _token_word_near(ruleset, f.rule_id, data, lowered, f.location.offset - blob.offset_base)
        ]
        # An anchor written as escapes or character codes (a key hidden on purpose): no key is read there
        # until its characters are.
        positions += hits.escaped
        if positions:
            spelled = sorted(hits.escaped)
            found = _merge(
                found,
                _decoded_findings(blob, positions, ruleset, depth, slow_rules, escapes=True, spelled=spelled),
                ruleset,
            )
    return found


def _without_near_copies(pairs: list[Pair], ruleset: Ruleset) -> list[Pair]:
    """Pairs whose secret is one character off its rule's ``exact_length`` dropped where the same ID value
    has a whole partner in the blob: a mistyped copy beside the real pair, not a second finding."""
    whole = {i.value for i, s in pairs if not near_length(ruleset, s)}
    return [(i, s) for i, s in pairs if not near_length(ruleset, s) or i.value not in whole]


def _inside(spans: list[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` falls in one of ``spans`` (sorted, not overlapping: tokens of one blob)."""
    index = bisect.bisect_right(spans, (position, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]


def _blank(text: bytes, offset: int, spans: list[tuple[int, int]]) -> bytes:
    """``text`` (found at ``offset`` of the blob) with the parts that ``spans`` cover turned to blanks:
    lengths, and so line numbers and offsets, unchanged."""
    end = offset + len(text)
    first = max(bisect.bisect_right(spans, (offset, float("inf"))) - 1, 0)
    out: bytearray | None = None
    for lo, hi in spans[first:]:
        if lo >= end:
            break
        lo, hi = max(lo, offset), min(hi, end)
        if lo < hi:
            out = out if out is not None else bytearray(text)
            out[lo - offset : hi - offset] = b" " * (hi - lo)
    return bytes(out) if out is not None else text


def _token_word_near(ruleset: Ruleset, rule_id: str, data: bytes, lowered: bytes, position: int) -> bool:
    """Whether the rule's IDs go with a session token, are read by context (their anchors are words around
    the value, not in it: the decoding above misses them), and a word of that token's rule is within the
    token's reach of the ID (``x-bce-security-token``): decoding every such ID's lines beside an escape
    would scan a file of them twice."""
    rule = ruleset.rules[ruleset.by_id[rule_id]]
    if rule.pair is None or not rule.pair.tokens or rule.anchors_in_value:
        return False
    lo, hi = max(0, position - rule.pair.token_bytes), position + rule.pair.token_bytes
    for token_rule in (ruleset.rules[ruleset.by_id[ref]] for ref in rule.pair.tokens):
        haystack = data if token_rule.anchors_case_sensitive else lowered
        if any(
            haystack.find((word if token_rule.anchors_case_sensitive else word.lower()).encode("latin-1"), lo, hi) >= 0
            for word in token_rule.anchors
        ):
            return True
    return False


def _escaped_near(data: bytes, position: int) -> bool:
    """Whether an escape or a literal's join is within ``ESCAPE_REACH`` bytes of an anchor."""
    near = data[max(0, position - ESCAPE_REACH) : position + ESCAPE_REACH]
    return any(marker in near for marker in ESCAPE_MARKERS)


def _prefilter(
    data: bytes, lowered: bytes, ruleset: Ruleset, opening: Opening | None = None, line_start: bool = True
) -> Hits:
    """Anchor and context-word hits by rule. ``line_start``: the blob begins a line (a file, a window of
    whole lines, a decoded layer), so a newline-led anchor also matches at its first byte; a later chunk of
    a large file begins mid-line, where "peak =" cut after "pe" must not read as "ak ="."""
    anchors: dict[int, list[int]] = {}
    context: dict[int, list[int]] = {}
    encoded: list[int] = []
    escaped: list[int] = []
    if opening is None:
        opening = ruleset.gate.scan(data, lowered)
    for word, exact, index in ruleset.line_starts if line_start else ():  # at the top, where no newline is
        if data.startswith(exact) if exact is not None else lowered.startswith(word):
            anchors.setdefault(index, []).append(0)
    windows = ruleset.spotter.windows(data, lowered, opening)
    for start, length, targets in _automaton_hits(ruleset, lowered, windows):
        for target in targets:
            if target.exact is not None and data[start : start + length] != target.exact:
                continue
            if target.layer is not None:
                (escaped if target.layer == ESCAPED else encoded).append(start)
                continue
            bucket = context if target.is_context else anchors
            bucket.setdefault(target.rule_index, []).append(start)
    return Hits(anchors, context, encoded, escaped)


def _automaton_hits(
    ruleset: Ruleset, lowered: bytes, windows: list[tuple[int, int]] | None
) -> Iterator[tuple[int, int, tuple[AnchorTarget, ...]]]:
    """(start, length, targets) of every automaton word in the blob, walking only ``windows`` of it (the
    whole blob when None). latin-1 maps every byte to one code point: text offsets are byte offsets."""
    for lo, hi in windows if windows is not None else [(0, len(lowered))]:
        for end, (length, targets) in ruleset.automaton.iter(lowered[lo:hi].decode("latin-1")):
            yield lo + end - length + 1, length, targets


def _decoded_findings(
    blob: Blob,
    positions: list[int],
    ruleset: Ruleset,
    depth: int,
    slow_rules: set[str] | None,
    escapes: bool = False,
    opaque: list[tuple[int, int]] | None = None,
    spelled: list[int] | None = None,
) -> list[Decoded]:
    """Rewrite the lines around each hit with their base64 values (or, with ``escapes``, their text
    escapes: akscan.engine.decode.escapes) decoded, and scan that text: lines keep their numbers, so findings
    point at the encoded value's line. Each finding records the chain of layers, outermost first
    (``"base64>percent"``), and the lines its window covers. ``spelled``: where key-ID anchors are spelled as
    character codes or escapes (sorted); a window holding one is read as character codes too."""
    data = blob.data
    spelled = spelled or []
    windows: list[tuple[int, int]] = []
    for start, end in line_windows(data, positions, DECODE_LINES):
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    if escapes:
        # A token split over concatenated literals is read to its last piece: from the end of each merged
        # window, not of every anchor's (10,000 short continued lines each walked up to RUN_LINES lines:
        # 35 s per MB), then merged again where that reaches the next window.
        extended: list[tuple[int, int]] = []
        for start, end in windows:
            end = run_end(data, end)
            if extended and start <= extended[-1][1]:
                extended[-1] = (extended[-1][0], max(end, extended[-1][1]))
            else:
                extended.append((start, end))
        windows = extended
    found: list[Decoded] = []
    for start, end in windows:
        if escapes:
            spelled_here = bisect.bisect_left(spelled, start) < bisect.bisect_left(spelled, end)
            decoded = unescape(data[start:end], codes=spelled_here)
            if decoded is None:
                continue
            text, layer = decoded
        else:
            rewritten = rewrite(_blank(data[start:end], start, opaque) if opaque else data[start:end])
            if rewritten is None:
                continue
            text, layer = rewritten, LAYER
        line_base = blob.line_base + data.count(b"\n", 0, start)
        child = Blob(
            text,
            dataclasses.replace(blob.origin, decoded=layer),
            line_base=line_base,
            offset_base=blob.offset_base + start,
            column_base=0,
        )
        first, last = line_base + 1, line_base + 1 + text.count(b"\n")
        for finding in detect(child, ruleset, depth + 1, slow_rules):
            chain = f"{layer}>{finding.encoding}" if finding.encoding else layer
            found.append((dataclasses.replace(finding, encoding=chain), first, last))
    return found


def _merge(plain: list[Finding], decoded: list[Decoded], ruleset: Ruleset) -> list[Finding]:
    """The findings of a blob and of its decoded layers. A key the raw text showed alone (an ID next to a
    secret escaped as ``%2F…``) and a decoded layer showed whole is reported once, as the whole. A key
    both show in the same window is reported once: a join moves a value to the line its literal starts
    on, so the same key can come back from the layer on a line of its own. An ID one layer pairs under its
    first rule is no second-look rule's in the other (the raw text's SES pair of an ID whose secret access
    key only the decoded layer reads)."""
    findings = [f for f, _, _ in decoded]
    whole_ids = {f.key_id for f in findings if f.key_id and f.secret}
    whole_secrets = {f.secret for f in findings if f.key_id and f.secret}
    second = ruleset.second_look_ids
    first_ids = {f.key_id for f in findings if f.key_id and f.secret and f.rule_id not in second}
    plain = [
        f
        for f in plain
        if not (f.kind == Kind.KEY_ID and f.key_id in whole_ids)
        and not (f.kind == Kind.SECRET and f.secret in whole_secrets)
        and not (f.rule_id in second and f.key_id in first_ids)
    ]
    # A session token split over concatenated literals: the raw text holds its first piece, the joined
    # layer the whole token; the same pair is reported once, with the whole token.
    whole_tokens = _Places((f, lo, hi) for f, lo, hi in decoded if f.security_token is not None)
    plain = [
        f
        for f in plain
        if not any(
            other.security_token != f.security_token and (other.security_token or "").startswith(f.security_token or "")
            for other in whole_tokens.within(f)
        )
    ]
    # A key cut over concatenated literals can read, in the raw text, as a shorter key of another shape
    # (24 of a Baidu AK's 32 hex before `" +`); the joined layer reads the whole at the same place: the
    # piece is no key of its own.
    at: dict[int, list[Finding]] = {}
    for f, _, _ in decoded:
        for where in (f.location, f.secret_location):
            if where is not None:
                at.setdefault(where.offset, []).append(f)
    plain = [
        f
        for f in plain
        if not any(
            _extends(other, f)
            for where in (f.location, f.secret_location)
            if where
            for other in at.get(where.offset, ())
        )
    ]
    shown = _Places((f, f.location.line, f.location.line) for f in plain)
    # And the other way round: a decoded window cut between an ID and its secret (lines around an escape
    # a few lines up) shows alone the key the raw text shows whole.
    plain_ids = {f.key_id for f in plain if f.key_id and f.secret}
    plain_secrets = {f.secret for f in plain if f.key_id and f.secret}
    plain_first = {f.key_id for f in plain if f.key_id and f.secret and f.rule_id not in second}
    merged = plain + [
        f
        for f, lo, hi in decoded
        if not shown.overlaps(f, lo, hi)
        and not (f.kind == Kind.KEY_ID and f.key_id in plain_ids)
        and not (f.kind == Kind.SECRET and f.secret in plain_secrets)
        and not (f.rule_id in second and f.key_id in plain_first)
    ]
    merged.sort(key=lambda f: (f.location.offset, f.rule_id))
    return merged


def _extends(whole: Finding, piece: Finding) -> bool:
    """Whether ``whole`` holds ``piece``'s values with more after them (and nothing of its own instead)."""
    key_id, secret = piece.key_id or "", piece.secret or ""
    return (
        (whole.key_id or "").startswith(key_id)
        and (whole.secret or "").startswith(secret)
        and len(whole.key_id or "") + len(whole.secret or "") > len(key_id) + len(secret)
    )


class _Places:
    """Findings by fingerprint with the lines they cover (a window for a decoded layer's)."""

    def __init__(self, entries: Iterable[Decoded]) -> None:
        self.by_key: dict[str, list[Decoded]] = {}
        for entry in entries:
            self.by_key.setdefault(entry[0].fingerprint, []).append(entry)

    def within(self, finding: Finding) -> list[Finding]:
        """The findings of ``finding``'s key whose lines cover its line."""
        line = finding.location.line
        return [f for f, lo, hi in self.by_key.get(finding.fingerprint, ()) if lo <= line <= hi]

    def overlaps(self, finding: Finding, lo: int, hi: int) -> bool:
        """Whether a finding of ``finding``'s key lies on a line from ``lo`` to ``hi``."""
        return any(lo <= line <= hi for f, line, _ in self.by_key.get(finding.fingerprint, ()))


def _iso(stamp: str) -> str:
    """An expiry as ISO 8601: seconds since the epoch (``1735531292``) become ``2024-12-30T04:01:32Z``."""
    if stamp.isdigit():
        import datetime as dt

        moment = dt.datetime.fromtimestamp(int(stamp), tz=dt.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return stamp


def _token_end(token: str) -> str | None:
    """The end a session token states of itself: Volcengine's (``STS``/``STS2`` and the base64 of a JSON
    document) holds ``"ExpiredTime": <seconds since the epoch>``. None for any other token."""
    document = volcengine_sts_document(token)
    stamp = document.get("ExpiredTime") if document is not None else None
    if isinstance(stamp, int) and not isinstance(stamp, bool) and 10**9 <= stamp < 10**10:
        return _iso(str(stamp))
    return None


class _Matcher:
    """One blob: candidates (``CandidateFinder``), pairs (``pairs.choose_pairs``), then findings."""

    def __init__(self, data: bytes, lowered: bytes, ruleset: Ruleset, hits: Hits) -> None:
        self.ruleset = ruleset
        self.positions = Positions(data)
        self.data = data
        self.finder = CandidateFinder(self.positions, lowered, ruleset, hits)
        self.token_spans: list[tuple[int, int]] = []  # the session tokens reported with their keys
        self._endpoints: EndpointSettings | None = None  # read once, on the first ID or lone secret that asks

    @property
    def slow(self) -> set[str]:
        return self.finder.slow

    @property
    def skipped_off(self) -> set[str]:
        return self.finder.skipped_off

    # -- main -------------------------------------------------------------------------------------
    def run(self, blob: Blob) -> list[Finding]:
        rules = self.ruleset.rules
        finder = self.finder
        ids = self._not_another_stores(finder.key_ids())
        tokens = finder.tokens_near(ids)
        lone_secrets = finder.lone_secrets()
        pairs, ambiguous = choose_pairs(finder, ids, lone_secrets, tokens)
        pairs = _without_near_copies(pairs, self.ruleset)

        findings: list[Finding] = []
        paired_ids = {c.value for c, _ in pairs}
        paired_secrets = {s.value for _, s in pairs}
        # An ID with its session token and no secret (a presigned URL, mostly) is temporary all the same:
        # its token is reported with it, and the end its URL states.
        lone_ids = [c for c in ids if c.value not in paired_ids and c.value not in DOCUMENTED_IDS]
        paired = [id_candidate for id_candidate, _ in pairs]
        tokens_of = tokens_for(self.ruleset, self.positions, paired + lone_ids, tokens)
        self.token_spans = [(token.start, token.end) for token in tokens_of.values()]
        for id_candidate, secret in pairs:
            rule = rules[id_candidate.rule]
            assert rule.pair is not None
            token = tokens_of.get(id_candidate.start)
            confidence = "high" if secret.context or self.positions.same_line(id_candidate, secret) else "medium"
            if (id_candidate.start, secret.start) in ambiguous:
                confidence = "low"  # another free secret was as good a match: said, not guessed
            sts_rule = rule.pair.kind == "sts-credentials"
            # A pair with its session token is a temporary credential whatever rule found it (AWS session
            # keys, a Tencent STS answer with a 36-character ID), as is an ID temporary by its prefix (ASIA…,
            # its token cut from a write-up): its own kind, severity and remediation.
            temporary = sts_rule or token is not None or id_candidate.value.startswith(rule.temporary_prefixes)
            expires_at = None
            if temporary:
                expires_at = self._expiration(id_candidate, rule.pair.lines) or (
                    _token_end(token_as_sent(token.value)) if token is not None else None
                )
            kind = Kind.STS if temporary else Kind.PAIR
            severity = rule.pair.severity if sts_rule or not temporary else rule.pair.temporary_severity
            finding = self._finding(blob, rule, kind, severity, confidence, id_candidate, secret, token)
            if temporary and not sts_rule:
                finding = dataclasses.replace(finding, remediation=rule.temporary_remediation or TEMPORARY_REMEDIATION)
            findings.append(dataclasses.replace(finding, expires_at=expires_at) if expires_at else finding)
        for id_candidate in lone_ids:
            rule = rules[id_candidate.rule]
            if id_candidate.value in paired_ids:
                continue
            lone_token = tokens_of.get(id_candidate.start)
            if rule.lone_severity is None:
                reader = finder.lone_reader(id_candidate)
                if reader is None:
                    continue
                id_candidate, rule = reader, rules[reader.rule]
            lone_severity = rule.lone_severity
            assert lone_severity is not None  # the ID's own rule's, or its lone reader's
            paired_ids.add(id_candidate.value)  # one lone finding per ID value and blob
            finding = self._finding(blob, rule, Kind.KEY_ID, lone_severity, "medium", id_candidate, token=lone_token)
            if lone_token is not None:
                expires_at = (
                    url_end(self.data, id_candidate.start, id_candidate.end)
                    or self._expiration(id_candidate, rule.pair.lines if rule.pair else 8)
                    or _token_end(token_as_sent(lone_token.value))
                )
                remediation = rule.temporary_remediation or TEMPORARY_REMEDIATION
                finding = dataclasses.replace(finding, remediation=remediation, expires_at=expires_at)
            findings.append(finding)
        for secret in lone_secrets:
            rule = rules[secret.rule]
            if secret.value in paired_secrets or rule.lone_severity is None or character_classes(secret.value) < 3:
                continue
            if rule.own_hosts and self.endpoints().another_stores(secret.start, secret.end, rule.own_hosts):
                continue  # a Ceph or MinIO secret under AWS's names, beside its store's endpoint
            paired_secrets.add(secret.value)
            findings.append(self._finding(blob, rule, Kind.SECRET, rule.lone_severity, "medium", None, secret))
        findings.sort(key=lambda f: (f.location.offset, f.rule_id))
        return findings

    def _not_another_stores(self, ids: list[Candidate]) -> list[Candidate]:
        """Without the IDs of key-ID rules with ``own_hosts`` whose block's storage endpoint setting names
        another store (AWS's names and an early AWS ID's shape over a Ceph gateway): never paired, never alone."""
        rules = self.ruleset.rules
        if not any(rules[c.rule].own_hosts for c in ids):
            return ids
        endpoints = self.endpoints()
        return [
            c
            for c in ids
            if not rules[c.rule].own_hosts or not endpoints.another_stores(c.start, c.end, rules[c.rule].own_hosts)
        ]

    def endpoints(self) -> EndpointSettings:
        """The blob's storage endpoint settings, found once for its IDs and its lone secrets alike."""
        if self._endpoints is None:
            self._endpoints = EndpointSettings(self.data, self.finder.lowered, self.positions.commented)
        return self._endpoints

    def _expiration(self, id_candidate: Candidate, lines: int) -> str | None:
        """The ``Expiration`` written with temporary credentials (an AssumeRole answer, a credentials file,
        a log line), nearest to the key ID within the pairing window."""
        lo, hi = line_window(self.data, id_candidate.start, id_candidate.end, lines)
        # Lines, but no farther than EXPIRY_REACH bytes: on one long line (a minified bundle, a hostile file of
        # thousands of IDs) every ID would read the whole line again.
        lo, hi = max(lo, id_candidate.start - EXPIRY_REACH), min(hi, id_candidate.end + EXPIRY_REACH)
        best: tuple[int, str] | None = None
        for match in _EXPIRATION.get().finditer(self.data, lo, hi):
            distance = abs(match.start() - id_candidate.start)
            if best is None or distance < best[0]:
                best = (distance, _iso(match.group(1).decode("ascii")))
        return best[1] if best else None

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
        unverifiable = rule.unverifiable
        if secret is not None and near_length(self.ruleset, secret):
            exact = self.ruleset.rules[secret.rule].exact_length
            unverifiable = (
                f"its secret is {len(secret.value)} characters, not the {exact} issued: as written it cannot sign "
                "(a copy that lost or gained one), yet it is a few dozen guesses from the key"
            )
        return Finding(
            rule_id=rule.id,
            provider=rule.provider,
            kind=kind,
            severity=severity,
            confidence=confidence,
            key_id=id_candidate.value if id_candidate is not None else None,
            location=self.positions.location(blob, anchor.start),
            secret=secret.value if secret is not None else None,
            security_token=token_as_sent(token.value) if token is not None else None,
            secret_location=self.positions.location(blob, secret.start) if secret is not None else None,
            title=rule.title,
            remediation=rule.remediation,
            unverifiable=unverifiable,
        )
