"""Finding the candidates in one blob: each triggered rule's regex in windows around its anchors (or
only around its hints inside them), every call bounded in time; the values judged by the rule's floors
(``valid_value``); key IDs read by several providers' rules given to the nearest provider's words; lone
secrets by their key names; secrets near the IDs that want them; session tokens near key IDs."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from akscan.engine.filters import (
    TOKEN_PROOFS,
    VALIDATORS,
    is_hex,
    looks_random,
    placeholder_reason,
    shannon_entropy,
    token_as_sent,
)
from akscan.engine.names import binding_name, names_a_secret, names_an_id
from akscan.engine.pairing import Candidate
from akscan.engine.positions import Positions
from akscan.engine.rules import LazyPattern, Rule, Ruleset, whole_length

# Seconds one regex call may take. Built-in rules run in microseconds on their small windows; a
# user's rule that backtracks catastrophically is cut off here and reported.
MATCH_TIMEOUT = 1.0
MATCH_BYTES_PER_SECOND = 512 * 1024  # plus 2 s per MiB of window: a bundled rule's worst measured case is 1.3
# A hinted rule's regex runs from this many bytes before a hint word (the "with" of withAK) to this many
# after it: a name, its assignment and a value fit with room to spare (spaces padding "ak =" to the value
# past 512 bytes are not how anyone writes a key).
HINT_BEFORE = 16
HINT_AFTER = 512
# How far from a positional ID, and how many of its other copies, are read for a secret's name bound to it.
SECRET_ELSEWHERE = 4000
SECRET_ELSEWHERE_COPIES = 8
NAMED_ID_BESIDE = 1500  # how near the named copy a named ID of the rule must be (a pair's reach in bytes)
# How far a service's word may be from a lone secret with none of its provider's words after it (its needs_near
# reach bounds the rest): beyond it, no word is nearer than the provider's, wherever they are.
SERVICE_REACH = 10_000
# A service's word that heads a block or names a setting: the rest of its name, a closing quote or bracket, then
# what binds or opens (``jwt:``, ``'wechat' => [``, ``baidu = {``, ``['JWT_SECRET_KEY'] =``), or an INI section's
# closing bracket (``[minio]``).
_HEADS_A_SETTING = re.compile(rb"""[a-z0-9_.\-]*(?:\][ \t]*\r?$|["'`]?\]?[ \t]*(?::(?!:)|=|\{|\[))""", re.MULTILINE)
# A secret with its key name right before it (``AccessKeySecret: …``) ranks above a bare string.
CONTEXT_LOOKBEHIND = 48
# Key names that mark the secret half of a pair in any provider's config or call (``sk=``, ``secret``,
# UCloud's ``private_key``; not a bare ``private``, which every Java field says).
_SECRET_HINT = LazyPattern(rb"secret|private_?key|(?<![a-z0-9])(?:sk|ak_secret|aksecret)(?![a-z0-9])")


# Base64 of 0xFF- and 0x00-filled binary fields: "//////////" in an AWS session token's head, "AAAAAA" in a
# Baidu one's (its 32-hex head, "|", then zero bytes). Structure, not a placeholder's repeated characters.
_BASE64_FILL = re.compile(r"[+/]{4,}|A{4,}")


# A context word this short can turn up inside a random value; a run of key characters this long is one.
SHORT_WORD = 4
VALUE_RUN = 16
_KEY_CHARACTERS = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789+/")  # no "=": it binds a name to a value
# A value's characters in any case (base64url's too): a copy of a value is whole when none is beside it.
_VALUE_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")  # of the lowered blob


@dataclass
class Hits:
    """Where the prefilter's automaton saw each rule's words: anchors and context words by rule index,
    and where a key-ID anchor shows through base64."""

    anchors: dict[int, list[int]]
    context: dict[int, list[int]]
    encoded: list[int]
    # Where a key-ID anchor is written as text escapes or character codes (``\x41\x4b\x49\x41``,
    # ``String.fromCharCode(65,75,73,65, …)``): the text layers are decoded around them.
    escaped: list[int] = field(default_factory=list)
    # Rules whose context is the file's own name (akscan.engine.filecontext): their anchors are stand-ins.
    by_file_name: frozenset[int] = frozenset()


def valid_value(rule: Rule, value: str) -> bool:
    """The floor and filters a matched value must pass to be this rule's: entropy, character classes,
    placeholders (benchmarks/floors.py measures what they reject of random values of each rule's shape)."""
    if rule.kind == "token":  # long: judge by its head, where a placeholder would show
        # Runs of fill (_BASE64_FILL) are set aside before judging: not a sign of a placeholder in a token.
        value = token_as_sent(value)  # judged as it is sent (a URL's %2B repeats like a typed fragment)
        proof = TOKEN_PROOFS.get(rule.validator or "")
        if proof is not None and proof(value):
            return True
        head = _BASE64_FILL.sub("", value[:256])
        if placeholder_reason(head[:64], typed=False) is not None:
            return False
        if rule.validator is not None:
            return VALIDATORS[rule.validator](value)
        return shannon_entropy(head) >= rule.min_entropy
    if rule.validator is not None and not VALIDATORS[rule.validator](value):
        return False
    if rule.kind == "secret":
        if _a_path(value):
            return False
        return (rule.allow_hex or not is_hex(value)) and looks_random(value, rule.entropy_floor(len(value)), 2)
    # A masked ID (AKIDPcY*****CVYLn3zT) is judged by what it shows: its mask is no typed repetition.
    shown = _MASK.sub("", value)
    return looks_random(shown, rule.entropy_floor(len(shown)), 1)


_MASK = re.compile(r"\*{3,}|…|\.{3}")  # what a masked ID's pattern allows between its head and tail


def _a_path(value: str) -> bool:
    """``/bc_explorer/loan/getPendingTxCount``: a URL's path in a base64 alphabet (a UCloud private key's reads
    ``/`` and ``_``), taken for the secret beside a signed request's PublicKey. A path starts with a slash and
    has another, and no digit; a random base64 value of 32+ characters is so about 1 in 40,000."""
    return value[:1] == "/" and value.count("/") >= 2 and not any(c.isdigit() for c in value)


# Lines a session token may be hard-wrapped over inside its quotes, and the indentation of each.
WRAP_LINES, WRAP_INDENT = 64, 16
# A wrapped line: a newline, indentation, the token's characters, and "=" only as padding at its end; or
# the closing quote alone on a line of its own.
_WRAP_LINE = re.compile(rb"\r?\n[ \t]{0,%d}([A-Za-z0-9+/_\-%%]*)(=*)" % WRAP_INDENT)
_QUOTE_LINE = re.compile(rb"\r?\n[ \t]{0,%d}([\"'])" % WRAP_INDENT)
# A wrapped line this long holds a digit (a random base64 line of 16 lacks one once in 16); a name does not
# (AWS_SECRET_ACCESS_KEY=" on the line after a token whose quote was left open).
NAMELIKE = 16


def wrapped_end(data: bytes, start: int, end: int) -> int:
    """Where a session token ends, read through hard wraps inside its quotes (a terminal's copy of a metadata
    answer breaks it every 208 columns with no indentation, a PDF's at its page width): only a token that
    opened a quote and runs to its line's end, each wrapped line the token's characters alone ("=" only as
    its padding, at the end), and only up to that quote within ``WRAP_LINES`` lines (an unquoted token, one
    closed on its line, a quote never closed, or a next line that names something keeps its first line)."""
    quote = data[start - 1] if start > 0 else -1
    if quote not in (0x22, 0x27):
        return end
    at = end
    for _ in range(WRAP_LINES):
        line = _WRAP_LINE.match(data, at)
        if line is not None and not (line.group(1) or line.group(2)):
            line = None  # an empty line
        if line is None or (len(line.group(1)) >= NAMELIKE and not any(48 <= c <= 57 for c in line.group(1))):
            return at if at > end and _closes(data, at, quote) else end
        at = line.end()
        if at < len(data) and data[at] == quote:
            return at
        if line.group(2):  # padding ends the token: its quote must follow, here or on the next line
            return at if _closes(data, at, quote) else end
    return end


def _closes(data: bytes, at: int, quote: int) -> bool:
    """Whether the closing quote stands alone at the start of the next line."""
    line = _QUOTE_LINE.match(data, at)
    return line is not None and line.group(1)[0] == quote


def _as_text(raw: bytes) -> str:
    """A key ID as written: one character per byte (keys are ASCII), or UTF-8 where a rule reads more (a
    SecretId masked with an ellipsis, AKIDyP…5cKq, is reported as the text shows it)."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# A value followed by a media or document file's extension is that file's name (``<32 hex>.png``, an upload's
# object key ``gz0122/21/27/<hex>.png``), never the secret beside an ID. Lower case, then no letter or digit.
_FILE_EXTENSION = re.compile(
    rb"\.(?:png|jpe?g|gif|webp|bmp|svg|ico|mp[34]|mov|avi|pdf|docx?|xlsx?|apk|zip)(?![A-Za-z0-9])"
)

# A value right after a percent-encoded '+' or '/' is the rest of a longer base64 value (a device id
# ``e1BQ%2BYSBw…%2BpBPw5E…%2B…``; an AWS secret's tail after its encoded '+'), never a secret of its own: the
# percent layer reads the value whole.
_ENCODED_BASE64_CHARS = frozenset([b"%2B", b"%2b", b"%2F", b"%2f"])

# A value followed by an ellipsis is shown cut short (a docs table's `AKLTFKO4JYVkFXDiOUWr...`): a head, no key;
# but not one of the only length its prefixed rule reads (``whole_length``: AWS's 20 are the whole ID).
_CUT_SHORT = (b"..", "\u2026".encode())

# A secret written only as the key a hand-written signer derives from it is the secret, whatever names it: Alibaba's
# RPC signature is an HMAC keyed by the secret with "&" appended (an SMS sender signing by hand:
# ``createHmac("sha1", "<secret>&")``, far below the request's ``AccessKeyId: "LTAI…"``); AWS's SigV4 key chain
# starts from "AWS4" + the secret (``kSecret = "AWS4" + "<secret>"``), Tencent's TC3 from "TC3" + the secret.
# Read as named so (``SIGNING_KEY_NAMES``), such a value pairs with the one ID of its file (``pairs._named_far``).
SIGNING_KEY_NAMES = {"alibaba": "AccessKeySecret", "aws": "aws_secret_access_key", "tencent": "SecretKey"}
_SIGNING_KEY_QUOTES = frozenset(b"\"'`")
_SIGNING_PREFIX = {
    "aws": re.compile(rb"AWS4[\"'`][ \t]*\+[ \t]*[\"'`]$"),
    "tencent": re.compile(rb"TC3[\"'`][ \t]*\+[ \t]*[\"'`]$"),
}


def _signing_key(provider: str, data: bytes, start: int, end: int) -> bool:
    if start < 1 or data[start - 1] not in _SIGNING_KEY_QUOTES:
        return False
    prefix = _SIGNING_PREFIX.get(provider)
    if prefix is not None:
        return prefix.search(data, max(0, start - 16), start) is not None
    if provider != "alibaba" or data[end : end + 1] != b"&" or data[end + 1 : end + 2] not in (b'"', b"'", b"`"):
        return False
    line_start = data.rfind(b"\n", max(0, start - 160), start) + 1
    if b"hmac" not in data[line_start:start].lower():
        return False
    # OAuth 1.0 keys its HMAC with "<consumer secret>&" too: only a request of Alibaba's RPC API around it
    # (its SignatureMethod/SignatureNonce parameters, an aliyuncs.com endpoint) says whose the key is.
    around = data[max(0, start - ALIBABA_SIGNING_REACH) : end + ALIBABA_SIGNING_REACH].lower()
    return any(word in around for word in _ALIBABA_RPC_WORDS)


ALIBABA_SIGNING_REACH = 8000
_ALIBABA_RPC_WORDS = (b"signaturemethod", b"signaturenonce", b"signatureversion", b"aliyuncs")


def _distance(sorted_places: list[int], at: int) -> float:
    """Bytes from ``at`` to the nearest of ``sorted_places`` (infinite when there is none)."""
    i = bisect.bisect_left(sorted_places, at)
    return min((abs(sorted_places[j] - at) for j in (i - 1, i) if 0 <= j < len(sorted_places)), default=float("inf"))


def _outward(sorted_places: list[int], at: int, start: int) -> Iterator[int]:
    """``sorted_places`` from the ones nearest ``start`` outward (``at``: where ``start`` would be inserted)."""
    left, right = at - 1, at
    while left >= 0 or right < len(sorted_places):
        if right >= len(sorted_places) or (left >= 0 and start - sorted_places[left] <= sorted_places[right] - start):
            yield sorted_places[left]
            left -= 1
        else:
            yield sorted_places[right]
            right += 1


def _within(sorted_places: list[int], start: int, end: int, reach: int) -> bool:
    """Whether one of ``sorted_places`` is within ``reach`` bytes of the span ``start``-``end``."""
    return bisect.bisect_right(sorted_places, end + reach) > bisect.bisect_left(sorted_places, start - reach)


def _places(haystack: bytes, needle: bytes) -> Iterator[int]:
    """Where ``needle`` starts in ``haystack``, each occurrence."""
    at = haystack.find(needle)
    while at >= 0:
        yield at
        at = haystack.find(needle, at + 1)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def windows(positions: list[int], before: int, after: int, limit: int) -> list[tuple[int, int]]:
    return merge_spans([(max(0, pos - before), min(limit, pos + after)) for pos in positions])


class CandidateFinder:
    def __init__(self, positions: Positions, lowered: bytes, ruleset: Ruleset, hits: Hits) -> None:
        self.positions = positions
        self.data = positions.data
        self.lowered = lowered
        self.ruleset = ruleset
        self.hits = hits
        self.slow: set[str] = set()  # rules abandoned in this blob: their regex ran past the time limit
        self.skipped_off: set[str] = set()  # rules not run on this blob: switched off after an earlier timeout
        # IDs another rule read at the same place, nearer its words (by_nearest_context): start -> them
        self.shadowed: dict[int, list[Candidate]] = {}
        self._context_words: dict[int, list[int]] = {}  # by rule: its anchors that are context (sorted)
        self._other_products: dict[int, list[int]] = {}  # by rule: where its not_near words are (sorted)
        self._other_services: dict[int, list[int]] = {}  # by rule: where its yields_to words are (sorted)
        self._other_services_by_depth: dict[int, dict[int, list[int]]] = {}  # the same, by comment depth
        self._own_words: dict[int, list[int]] = {}  # by rule: where its needs_near words are (sorted)

    def key_ids(self) -> list[Candidate]:
        """Every key ID the anchored rules find, one rule per value position (the nearest provider's)."""
        ids: list[Candidate] = []
        for index in self.hits.anchors:
            rule = self.ruleset.rules[index]
            if rule.kind == "key-id" and rule.id not in self.ruleset.unread:
                ids.extend(self.anchored(index))
        return self.by_nearest_context(ids)

    def lone_secrets(self) -> list[Candidate]:
        """Secrets bound to their key names, in rule order, not the order the context words occur: when two
        rules read the same value as a lone secret, the one listed first (the more specific,
        alibaba-access-key-secret before alibaba-named-secret) reports it."""
        found: list[Candidate] = []
        for index in sorted(self.hits.context):
            if self.ruleset.rules[index].kind == "secret":
                found.extend(self.contextual_secrets(index))
        return found

    def matches(self, rule: Rule, pattern: LazyPattern, lo: int, hi: int, **options: Any) -> Iterator[Any]:
        """``pattern``'s matches in ``data[lo:hi]``, each call bounded in time (catastrophic backtracking
        in a user's rule must not hang the scan)."""
        if rule.id in self.slow:
            return
        if rule.id in self.ruleset.switched_off:  # timed out on an earlier blob: not asked again
            self.skipped_off.add(rule.id)
            return
        try:
            limit = MATCH_TIMEOUT + (hi - lo) / MATCH_BYTES_PER_SECOND  # a merged window can be large
            # Read whole before use: the regex module's timeout runs from the iterator's creation, so the
            # caller's work between matches (validating each of 60,000 values in a hostile 2 MB file) was
            # charged to the regex and switched a sound rule off for the rest of the scan.
            found = list(pattern.finditer(self.data, lo, hi, timeout=limit, **options))
        except TimeoutError:
            self.slow.add(rule.id)
            self.ruleset.switched_off.add(rule.id)
            return
        yield from found

    # -- candidates -------------------------------------------------------------------------------
    def anchored(self, index: int, positions: list[int] | None = None) -> list[Candidate]:
        rule = self.ruleset.rules[index]
        found: dict[int, Candidate] = {}
        # A rule that needs a word none of which the blob holds reads nothing: its regex is not run (the SES
        # rule reads every AKIA ID again; without a mail word in the file that cost the export of AWS keys
        # a third of its time).
        if rule.needs_near and not self._places_of(self._own_words, index, rule.needs_near):
            return []
        anchors = self.hits.anchors.get(index, []) if positions is None else positions
        spans = windows(anchors, rule.window, rule.window, len(self.data))
        if rule.hints:
            spans = self.around_hints(rule.hints, spans)
        for lo, hi in spans:
            for match in self.matches(rule, rule.pattern, lo, hi):
                start, end = match.start(1), match.end(1)
                if rule.kind == "token":
                    end = wrapped_end(self.data, start, end)
                if rule.needs_near and not self._near_own_words(index, start, end):
                    continue  # first: a bisection, before the value's floors are judged
                value = _as_text(self.data[start:end])
                if start in found or not valid_value(rule, value) or self.positions.in_escape(start):
                    continue
                if self.data.startswith(_CUT_SHORT, end) and not self._whole_before_ellipsis(rule, start, end):
                    continue
                if rule.kind == "key-id" and self.positions.inside_base64(start, match.end(1)):
                    continue
                if (
                    rule.kind == "key-id"
                    and positions is None
                    and not rule.anchors_in_value
                    and self._vouched_only_by_itself(index, anchors, start, match.end(1))
                ):
                    continue
                if rule.not_near and self._near_another_product(index, start, match.end(1)):
                    continue
                if (
                    rule.yields_to
                    and positions is None
                    and self._nearer_another_service(index, anchors, start, match.end(1))
                ):
                    continue
                name = binding_name(self.data, start) if rule.kind == "key-id" else ""
                commented = self.positions.commented(start)
                found[start] = Candidate(index, value, start, end, name=name, commented=commented)
        if rule.kind == "key-id" and not rule.anchors_in_value and len(found) > 1:
            return self._not_named_secrets(list(found.values()))
        return list(found.values())

    def _not_named_secrets(self, found: list[Candidate]) -> list[Candidate]:
        """A value read as an ID by its place alone (a call's argument, no name of its own) that the text binds,
        whole and as deeply commented, to a secret's name within ``SECRET_ELSEWHERE`` bytes, beside a named ID
        of the same rule: ``hmac_sha1('<SK>', …)`` below ``access_key = '<AK>'`` / ``secret_key = '<SK>'`` is
        that pair's secret, not an ID that would take it from its AccessKey. A prefixed ID (AKIA…) is never a
        secret and is not asked; a planted ``secret_key = '<AK>'`` with no ID named beside it silences nothing.
        Only that window is searched, for at most ``SECRET_ELSEWHERE_COPIES`` copies (a CSV of 100,000 values)."""
        named_ids = sorted(c.start for c in found if c.name and not names_a_secret(c.name))
        if not named_ids:
            return found
        return [c for c in found if c.name or not self._named_a_secret_nearby(c, named_ids)]

    def _named_a_secret_nearby(self, candidate: Candidate, named_ids: list[int]) -> bool:
        data, value, start, end = self.data, self.data[candidate.start : candidate.end], candidate.start, candidate.end
        lo, hi = max(0, start - SECRET_ELSEWHERE), min(len(data), end + SECRET_ELSEWHERE)
        at, seen = data.find(value, lo, hi), 0
        while at >= 0 and seen < SECRET_ELSEWHERE_COPIES:
            after = at + len(value)
            if at != start:
                seen += 1
                whole = (at == 0 or data[at - 1] not in _VALUE_BYTES) and (
                    after >= len(data) or data[after] not in _VALUE_BYTES
                )
                other = binding_name(data, at) if whole else ""
                if (
                    other
                    and names_a_secret(other)
                    and not names_an_id(other)
                    and self.positions.commented(at) == candidate.commented
                    and _within(named_ids, at, after, NAMED_ID_BESIDE)
                ):
                    return True
            at = data.find(value, at + 1, hi)
        return False

    def _vouched_only_by_itself(self, index: int, anchors: list[int], start: int, end: int) -> bool:
        """Whether every context word the rule saw near a value is no context: inside the value, past its start
        (a random ID that spells "KS3", Kingsoft's word, is no Kingsoft key by that: an S3-compatible service's
        X24ZT2BTKS33VGMAJNP3 was read as KS3's), or a short word in the middle of another long run of key
        characters (the secret beside it spelling "Ks3"). ``anchors`` is sorted; a file named for the provider
        is in its context wherever its stand-in anchors fall. Each anchor is judged once per blob, and each
        value by bisection: a hostile file of 18,000 such lines took 14 s per MB when every value walked
        every anchor in its window."""
        if index in self.hits.by_file_name:
            return False
        context = self._context(index, anchors)
        window = self.ruleset.rules[index].window
        near = bisect.bisect_right(context, end + window) - bisect.bisect_left(context, start - window)
        # strictly inside the value: a value may start with its word (UCloud's ucloud<e-mail><digits>)
        inside = bisect.bisect_left(context, end) - bisect.bisect_right(context, start)
        return near - max(inside, 0) == 0

    def _context(self, index: int, anchors: list[int]) -> list[int]:
        """The rule's anchors that are context (sorted), judged once per blob."""
        context = self._context_words.get(index)
        if context is None:
            rule = self.ruleset.rules[index]
            context = [
                at
                for at in anchors
                if not self._short_word_inside_a_run(rule, at) and not self._inside_a_word(rule, at)
            ]
            self._context_words[index] = context
        return context

    def _places_of(self, cache: dict[int, list[int]], index: int, words: tuple[str, ...]) -> list[int]:
        """Where a rule's ``not_near``, ``yields_to`` or ``needs_near`` words are in the blob (sorted): a pass
        per word over the lowered bytes, once per blob; each value is then judged by bisection."""
        places = cache.get(index)
        if places is None:
            places = sorted(at for word in words for at in _places(self.lowered, word.encode("latin-1")))
            cache[index] = places
        return places

    def _near_another_product(self, index: int, start: int, end: int) -> bool:
        """Whether one of the rule's ``not_near`` words is within its reach of a value."""
        rule = self.ruleset.rules[index]
        return _within(self._places_of(self._other_products, index, rule.not_near), start, end, rule.not_near_bytes)

    def _near_own_words(self, index: int, start: int, end: int) -> bool:
        """Whether one of the rule's ``needs_near`` words is within its reach of a value."""
        rule = self.ruleset.rules[index]
        return _within(self._places_of(self._own_words, index, rule.needs_near), start, end, rule.needs_near_bytes)

    def _nearer_another_service(self, index: int, anchors: list[int], start: int, end: int) -> bool:
        """Whether one of the rule's ``yields_to`` words (another service's name) is nearer the value than
        any of its own context words (not one spelled inside the value): a MinIO block in a config whose
        comment lists the clouds it supports. A file named for the provider keeps its values (its name is the
        nearest word)."""
        if index in self.hits.by_file_name:
            return False
        places = self._services_at_depth(index, self.positions.commented(start))
        context = self._context(index, anchors)
        before = bisect.bisect_right(context, start) - 1  # at or before the value's start
        after = bisect.bisect_left(context, end)  # at or past its end (words strictly inside it are no context)
        own = min(
            start - context[before] if before >= 0 else float("inf"),
            context[after] - start if after < len(context) else float("inf"),
        )
        return _distance(places, start) < own

    def _nearer_another_than_own_words(self, index: int, start: int, end: int) -> bool:
        """For a lone-secret rule held to its provider's ``needs_near`` words: whether one of its ``yields_to``
        words (another service's: MinIO, a JWT, Baidu's AI) heading a block or naming a setting (``jwt:``,
        ``[minio]``, ``'wechat' => [``, ``BAIDU = {``, ``mch_id =``; not ``import jwt``, not inside the value or
        another run), on a line commented as deeply, is nearer the value than every one of the provider's words.
        Above the value first: a block's header comes before its values (a WeChat Pay block's ``mch_id`` above
        its ``secret_key``, a Tencent SMS block below it); only a value with none of the provider's words above
        it is judged by the words on both sides. Only the service words nearer than the provider's are visited
        (a file of a million ``jwt`` costs what the few beside the value cost)."""
        rule = self.ruleset.rules[index]
        own_words = self._places_of(self._own_words, index, rule.needs_near)
        services = self._places_of(self._other_services, index, rule.yields_to)
        depth = self.positions.commented(start)
        before = bisect.bisect_right(own_words, start) - 1
        at = bisect.bisect_right(services, start)  # services[at - 1] is the nearest at or above the start
        if before >= 0:
            reach = start - own_words[before]
            order: Iterator[int] = (services[j] for j in range(at - 1, -1, -1))
        else:
            after = bisect.bisect_left(own_words, end)
            reach = own_words[after] - start if after < len(own_words) else SERVICE_REACH
            order = _outward(services, at, start)
        for place in order:
            if abs(place - start) >= reach:
                return False
            if not (start <= place < end) and self._heads_a_setting(place) and self.positions.commented(place) == depth:
                return True
        return False

    def _heads_a_setting(self, at: int) -> bool:
        """Whether a service's word at ``at`` begins a name that is bound or heads a block: a word of its own
        (no letter or digit before it), then the rest of its name, then ``:``, ``=``, ``=>``, ``{`` or ``[`` (or
        ``]`` closing an INI section)."""
        lowered = self.lowered
        if at > 0 and lowered[at - 1] in _WORD_BYTES and lowered[at - 1] != 0x5F:  # "_": a qualifier's part
            return False
        return _HEADS_A_SETTING.match(lowered, at) is not None

    def _services_at_depth(self, index: int, depth: int) -> list[int]:
        """Where the rule's ``yields_to`` words are on lines commented as deeply as the value's (sorted): a store's
        name in a comment beside a live block (``-- same block works for minio``, planted or not) does not take
        the block's keys, nor does a live one take a commented-out block's."""
        by_depth = self._other_services_by_depth.get(index)
        if by_depth is None:
            by_depth = {}
            for at in self._places_of(self._other_services, index, self.ruleset.rules[index].yields_to):
                by_depth.setdefault(self.positions.commented(at), []).append(at)
            self._other_services_by_depth[index] = by_depth
        return by_depth.get(depth, [])

    def _inside_a_word(self, rule: Rule, at: int) -> bool:
        """One of the rule's ``whole_words`` at ``at`` with a letter, digit or ``_`` before it: inside
        another word (``groupToken`` holds Qiniu's "uptoken"), so no context."""
        if not rule.whole_words or at == 0 or self.lowered[at - 1] not in _WORD_BYTES:
            return False
        return any(self.lowered.startswith(word.encode("latin-1"), at) for word in rule.whole_words)

    def _short_word_inside_a_run(self, rule: Rule, at: int) -> bool:
        """A rule's word of at most ``SHORT_WORD`` characters at ``at``, with key characters before it and at
        least ``VALUE_RUN`` of them in all, a digit among them: chance made it inside a random value (0.07% of
        40-character secrets spell "ks3"). A word that starts its run is a name (Ks3Client, KS3_ACCESS_KEY),
        and so is one inside a name (DefaultBceCredentials). Bounded: the run is followed at most
        ``VALUE_RUN`` characters each way."""
        lowered = self.lowered
        word = next((w for w in rule.anchors if lowered.startswith(w.lower().encode("latin-1"), at)), "")
        if not word or len(word) > SHORT_WORD:
            return False
        before = 0
        while before < VALUE_RUN and at - before > 0 and lowered[at - before - 1] in _KEY_CHARACTERS:
            before += 1
        if before == 0:
            return False
        after, stop = at + len(word), min(len(lowered), at + len(word) + VALUE_RUN)
        while after < stop and lowered[after] in _KEY_CHARACTERS:
            after += 1
        run = lowered[at - before : after]
        # A digit: a random run has one (99.97% of 40-character secrets); a camel-case name around the word
        # (DefaultBceCredentials) has none, and is context.
        return len(run) >= VALUE_RUN and any(48 <= byte <= 57 for byte in run)

    def around_hints(self, hints: tuple[str, ...], spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The parts of ``spans`` where a match can be: from ``HINT_BEFORE`` bytes before each hint word
        to ``HINT_AFTER`` after it (``bytes.find`` runs at memory speed; the rule's regex at a few dozen
        MB/s)."""
        narrowed: list[tuple[int, int]] = []
        lowered = self.lowered
        for lo, hi in spans:
            for hint in hints:
                word = hint.encode("utf-8")
                at = lowered.find(word, lo, hi)
                while at >= 0:
                    narrowed.append((max(lo, at - HINT_BEFORE), min(hi, at + len(word) + HINT_AFTER)))
                    at = lowered.find(word, at + 1, hi)
        return merge_spans(narrowed)

    def by_nearest_context(self, ids: list[Candidate]) -> list[Candidate]:
        """One ID per value position: where several providers' rules read the same value (a 20-character
        upper-case AK, a 32-hex key: shapes with no prefix of their own), the provider whose anchor — its
        SDK call, import, endpoint or config block — is nearest decides; on a tie, the rule listed first. A
        fallback rule (shape only) reads a value only where no other rule does, and a second-look rule
        only where no other does or, shadowed here, once the others left the ID without a partner."""
        if len(ids) < 2:
            return ids
        best: dict[int, tuple[bool, int, int, Candidate]] = {}
        ordered = {rule: sorted(self.hits.anchors.get(rule, [])) for rule in {c.rule for c in ids}}
        rules = self.ruleset.rules
        for candidate in ids:
            positions = ordered[candidate.rule]
            at = bisect.bisect_left(positions, candidate.start)
            near = [abs(positions[i] - candidate.start) for i in (at - 1, at) if 0 <= i < len(positions)]
            rule = rules[candidate.rule]
            # A second-look rule reads only what the others leave unpaired (akscan.engine.pairs).
            score = (rule.fallback or rule.second_look, min(near) if near else 0, candidate.rule)
            current = best.get(candidate.start)
            if current is None or score < current[:3]:
                best[candidate.start] = (*score, candidate)
        if len(best) == len(ids):
            return ids
        kept = {id(entry[3]) for entry in best.values()}
        for candidate in ids:
            if id(candidate) not in kept:
                self.shadowed.setdefault(candidate.start, []).append(candidate)
        return sorted((entry[3] for entry in best.values()), key=lambda c: c.start)

    def lone_reader(self, candidate: Candidate) -> Candidate | None:
        """The same ID as read by another rule of the same provider that reports IDs alone: a pair-only
        rule (32 upper-hex, both halves named) nearer the ID than the provider's context rule must not
        silence the ID when no secret is beside it."""
        rules = self.ruleset.rules
        provider = rules[candidate.rule].provider
        for other in self.shadowed.get(candidate.start, []):
            if rules[other.rule].provider == provider and rules[other.rule].lone_severity is not None:
                return other
        return None

    def contextual_secrets(self, index: int) -> list[Candidate]:
        rule = self.ruleset.rules[index]
        if rule.context_pattern is None or index not in self.hits.context:
            return []
        found: list[Candidate] = []
        for lo, hi in windows(self.hits.context[index], 0, 160, len(self.data)):
            for match in self.matches(rule, rule.context_pattern, lo, hi, overlapped=False):
                if rule.exact_length and match.end(1) - match.start(1) != rule.exact_length:
                    continue  # one character off: never a secret alone, nor a far partner (pairs.near_length)
                value = match.group(1).decode("latin-1")
                # A lone secret has only its key name to vouch for it: it is reported alone only with all
                # three classes (see run); two do for a pair by names, where an ID's name vouches too.
                start = match.start(1)
                if (
                    valid_value(rule, value)
                    and not self.positions.in_escape(start)
                    and not self.data.startswith(_CUT_SHORT, match.end(1))
                    # A name any service uses (secret_key) is this provider's only near its words, and not when
                    # another service's word is nearer (a MinIO block below a COS block).
                    and not (rule.needs_near and not self._near_own_words(index, start, match.end(1)))
                    and not (rule.yields_to and self._nearer_another_than_own_words(index, start, match.end(1)))
                ):
                    name = binding_name(self.data, start)
                    commented = self.positions.commented(start)
                    found.append(
                        Candidate(index, value, start, match.end(1), context=True, name=name, commented=commented)
                    )
        return found

    def secrets_in(self, index: int, spans: list[tuple[int, int]]) -> list[Candidate]:
        """Every valid secret of rule ``index`` in the union of ``spans``, in order: each is matched
        and judged once, however many IDs look at it."""
        rule = self.ruleset.rules[index]
        found = []
        for lo, hi in merge_spans(spans):
            for match in self.matches(rule, rule.pattern, lo, hi):
                value = match.group(1).decode("latin-1")
                start = match.start(1)
                positions = self.positions
                if (
                    valid_value(rule, value)
                    and not positions.in_escape(start)
                    and not positions.in_url_path(start)
                    and not self.data.startswith(_CUT_SHORT, match.end(1))
                    and not self._a_file_name(start, match.end(1))
                    and self.data[max(0, start - 3) : start] not in _ENCODED_BASE64_CHARS
                ):
                    context = self.has_context(rule, start)
                    name = binding_name(self.data, start)
                    signing = (
                        not name
                        and rule.provider in SIGNING_KEY_NAMES
                        and _signing_key(rule.provider, self.data, start, match.end(1))
                    )
                    if signing:
                        name = SIGNING_KEY_NAMES[rule.provider]
                    commented = positions.commented(start)
                    found.append(
                        Candidate(
                            index,
                            value,
                            start,
                            match.end(1),
                            context=context,
                            name=name,
                            commented=commented,
                            signing=signing,
                        )
                    )
        return found

    def _a_file_name(self, start: int, end: int) -> bool:
        """A value followed by a media or document file's extension, under no name that calls it a secret: a
        file's name. ``SecretKey: <value>.zip`` (text planted after a secret) keeps the secret its name says."""
        if _FILE_EXTENSION.match(self.data, end) is None:
            return False
        name = binding_name(self.data, start)
        return not (name and names_a_secret(name))

    def _whole_before_ellipsis(self, rule: Rule, start: int, end: int) -> bool:
        """An ID of its prefixed rule's only length before an ellipsis (``'AccessKeyId': 'ASIA…LLSB...'`` in an
        answer printed with its secret cut; ``my key is AKIA…7QZ… and``): whole when it holds a digit (96% of
        random AWS IDs do; a protein or DNA sequence, a log's long name cut at that length, never) or its name
        calls it an ID."""
        if end - start != whole_length(rule):
            return False
        return any(48 <= byte <= 57 for byte in self.data[start:end]) or names_an_id(binding_name(self.data, start))

    def has_context(self, rule: Rule, start: int) -> bool:
        before = self.lowered[max(0, start - CONTEXT_LOOKBEHIND) : start]
        if _SECRET_HINT.get().search(before):
            return True
        return any(word.encode("latin-1") in before for word in rule.context_words)

    def tokens_near(self, ids: list[Candidate]) -> dict[int, list[Candidate]]:
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
                tokens[index] = self.anchored(index, sorted(near))
        return tokens
