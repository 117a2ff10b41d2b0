"""Choosing pairs in one blob: around each key ID, the secrets its rule wants within its pairing
window, the few nearest of each as edges, one global assignment (best pairs first, ``pairing.assign``);
then IDs and secrets too far apart but named for each other; then each session token to the nearest
paired ID that takes one."""

from __future__ import annotations

import bisect
import dataclasses
import functools
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from akscan.engine.candidates import SIGNING_KEY_NAMES, CandidateFinder
from akscan.engine.filters import SHORT_TOKEN
from akscan.engine.names import (
    agreement,
    leaves_element,
    names_a_secret,
    names_an_id,
    qualifiers,
    sibling_names,
    words,
)
from akscan.engine.pairing import Candidate, assign, pair_cost
from akscan.engine.positions import Positions
from akscan.engine.rules import Ruleset

EDGES_PER_ID = 6
GLUED = -1000.0  # an ID and a secret written as one token (ID/SECRET, ID:SECRET): below any other edge
# Two secrets closer in cost than this (a dozen bytes on one line) are equally good matches for an ID.
AMBIGUOUS_COST = 12.0

Pair = tuple[Candidate, Candidate]


def choose_pairs(
    finder: CandidateFinder, ids: list[Candidate], lone_secrets: list[Candidate], tokens: dict[int, list[Candidate]]
) -> tuple[list[Pair], set[tuple[int, int]]]:
    """The pairs of the blob, and those among them whose ID had another secret as good (the assignment
    had to guess: the finding says so)."""
    id_spans = sorted((c.start, c.end) for c in ids)
    # A "token" that holds a key ID whole (``token = 'bce-v3/ALTAK-…/<secret>;<session token>'``, read by
    # another provider's `token =` rule) is a composite of the credential, not a token beside it: the
    # secret inside it stays free for the ID.
    kept = [(t.start, t.end) for ts in tokens.values() for t in ts if not _holds_id(id_spans, t)]
    taken = _Spans(id_spans + kept)
    # An ID written again where no rule reads it (a commented copy in other quotes) is no one's secret.
    id_values = {c.value for c in ids}
    # Second-look rules take part only once the others have chosen (see _second_looks).
    first = [c for c in ids if not finder.ruleset.rules[c.rule].second_look]
    edges = _edges(finder, first, taken, id_values)
    # A secret one character off its rule's length (``exact_length``) pairs last, only with an ID every whole
    # secret left alone: a mistyped copy (or a planted one) nearer the ID never takes it from its real secret.
    near = [edge for edge in edges if near_length(finder.ruleset, edge[1])]
    edges = [edge for edge in edges if not near_length(finder.ruleset, edge[1])]
    # A fallback rule's ID (its shape alone, no prefix of its own: an early AWS ID) pairs once every other ID
    # beside it has chosen: a line of its shape planted between an AKIA ID and its secret never takes the secret.
    late = [edge for edge in edges if finder.ruleset.rules[edge[0].rule].fallback]
    edges = [edge for edge in edges if not finder.ruleset.rules[edge[0].rule].fallback]
    adjacent = functools.partial(_side_by_side, finder.positions.data)
    pairs = assign(edges, adjacent)
    ambiguous = _ambiguous(edges, pairs)
    if late:
        used = {secret.start for _, secret in pairs}
        late = [edge for edge in late if edge[1].start not in used]
        late_pairs = assign(late, adjacent)
        ambiguous |= _ambiguous(late, late_pairs)
        pairs += late_pairs
    pairs += far_pairs(finder.ruleset, first, lone_secrets, pairs)
    # A partner of the ID's own kind beside it (an SES user name's SMTP password) before a far one.
    second, unsure = _second_looks(finder, ids, pairs, taken, id_values)
    pairs += second
    pairs += _named_far(finder, first, pairs, taken, id_values)
    if near:
        alone = {c.start for c, _ in pairs}
        used = {secret.start for _, secret in pairs}
        pairs += assign([edge for edge in near if edge[0].start not in alone and edge[1].start not in used])
    return pairs, ambiguous | unsure


def _side_by_side(data: bytes, id_candidate: Candidate, secret: Candidate) -> bool:
    """The secret on its ID's line or the next one, after it."""
    return id_candidate.end <= secret.start and data.count(b"\n", id_candidate.end, secret.start) <= 1


def near_length(ruleset: Ruleset, secret: Candidate) -> bool:
    """A secret one character off the length its rule's cloud issues (``Rule.exact_length``)."""
    exact = ruleset.rules[secret.rule].exact_length
    return bool(exact) and len(secret.value) != exact


# Bytes either side of a lone ID within which its one secret, bound to a secret's name, may stand: an s3cmd
# configuration lists its settings alphabetically (access_key on line 2, secret_key on line 60).
FAR_REACH = 32 * 1024
# Bytes either side of an unnamed ID within which its one signing-key secret may stand (pairs._named_far).
SIGNING_REACH = 2000


def _named_far(
    finder: CandidateFinder, ids: list[Candidate], pairs: list[Pair], taken: _Spans, id_values: set[str]
) -> list[Pair]:
    """The one lone ID of a rule whose IDs have a prefix of their own (AKIA…, LTAI…), bound to an access
    key's name, with the one value of its secret's shape bound to a secret's name within ``FAR_REACH``
    (`secret_key = …`: a name too plain to report a secret alone by, so far_pairs never saw it): paired
    when the blob holds exactly one of each and the secret's name qualifies it no further than the ID's."""
    rules, data = finder.ruleset.rules, finder.positions.data
    paired = {c.value for pair in pairs for c in pair}
    used = {secret.start for _, secret in pairs}
    lone: dict[int, list[Candidate]] = {}
    for candidate in ids:
        if candidate.value not in paired:
            lone.setdefault(candidate.rule, []).append(candidate)
    found: list[Pair] = []
    for rule_index, candidates in lone.items():
        rule = rules[rule_index]
        distinct = _first_by_value(iter(candidates))
        if rule.pair is None or not rule.anchors_in_value or len(distinct) != 1:
            continue
        id_candidate = distinct[0]
        # An ID with no name (an argument, ``Credential=AKIA…/`` in a hand-built header) takes only a secret
        # written as its provider's signing key, or passed to a signer's call under a secret's name (an iOS app's
        # custom OSS signer: ``withSecret:@"…"`` ten lines above ``@"OSS %@:%@", @"LTAI…"``): that says what it is.
        signing = not id_candidate.name
        if signing and rule.provider not in SIGNING_KEY_NAMES:
            continue
        # An unnamed ID's signing key within a hand-written signer's few screens (a SigV4 block: 11 lines); a named
        # ID's anywhere a settings file keeps it.
        far = SIGNING_REACH if signing else FAR_REACH
        reach = [(max(0, id_candidate.start - far), id_candidate.end + far)]
        secrets = _first_by_value(
            s
            for s in finder.secrets_in(finder.ruleset.by_id[rule.pair.secret], reach)
            if s.start not in used
            and s.value not in id_values
            and s.value not in paired
            and not taken.overlaps(s.start, s.end)
            and (
                (s.signing or _handed_to_a_signer(data, s))
                if signing
                else _far_partners(id_candidate.name, s.name, _rows(data, id_candidate, s))
            )
            and not near_length(finder.ruleset, s)
        )
        if signing:
            # A key written as its signer's (``"AWS4" + …``) says so by itself: a value merely named a secret elsewhere
            # (planted or another's) must not outvote it.
            if any(s.signing for s in secrets):
                secrets = [s for s in secrets if s.signing]
            if len(secrets) == 1 and not _another_key_between(finder.positions.data, id_candidate, secrets[0]):
                found.append((id_candidate, secrets[0]))
            continue
        # A value named so in code before one read as a signing key: a planted HMAC line must not make the
        # ID's named secret ambiguous.
        if any(not s.signing for s in secrets):
            secrets = [s for s in secrets if not s.signing]
        # So far apart, the secret's name may say no more than the ID's (``minio_secret_key`` below an
        # ``aws_access_key`` is another store's), and no other key's name may stand between them (a MinIO
        # block's own ``access_key = minioadmin`` above its ``secret_key``; the ID's own
        # ``secretAccessKey: process.env…``).
        # Names by convention only (access_key … secret_key) bind halves of one element, with no other key's
        # name between: an array's next object, a block closed between them, is another's ({"service":
        # "backblaze", "secret_key": …}). Names of one stem (accessKeyId … accessKeySecret) say so anywhere.
        if (
            len(secrets) == 1
            and qualifiers(secrets[0].name) <= qualifiers(id_candidate.name)
            and (
                (partners := _far_partners(id_candidate.name, secrets[0].name, _rows(data, id_candidate, secrets[0])))
                == "stem"
                # Rows close their elements between them by nature, but no other key's row (an ID's, a secret's:
                # a mail app's `'name' => 'key'`, a Kubernetes env list's other container's `SK`) may stand between.
                or (partners == "rows" and not _another_row_between(finder.positions, id_candidate, secrets[0]))
                or not (
                    _another_key_between(finder.positions.data, id_candidate, secrets[0])
                    or _closes_between(finder.positions.data, id_candidate, secrets[0])
                )
            )
        ):
            found.append((id_candidate, secrets[0]))
    return found


# Any name bound to a value (``name = …``, ``"name": …``, ``'name' => …``, ``name:@"…"``).
_ANY_BOUND_NAME = re.compile(rb"""["'`]?([A-Za-z_][A-Za-z0-9_.\-]*)["'`]?[ \t]*(?:=>|[:=])""")


# Quoted text on a line (its brackets are no code's), and the words of a signer's call.
_QUOTED = re.compile(rb""""[^"\n]*"|'[^'\n]*'""")
_SIGNER_WORDS = re.compile(rb"(?i)sign|hmac|sha-?(?:1|256)|digest")
SIGNER_CALL = 80  # bytes before the innermost open bracket where the signer's name is read


def _handed_to_a_signer(data: bytes, secret: Candidate) -> bool:
    """A secret passed to a signer under a secret's name: an argument inside an open call or message on its line
    whose name says it signs (``[OSSUtil calBase64Sha1WithData:… withSecret:@"…"]``, ``hmacSHA256(kSecret = "…",
    …)``), with no ID's name bound earlier on that line. Not a declaration or an assignment (``CLIENT_SECRET =
    "…"``: any service's), not another call's argument (``Github(client_secret="…")``), nor one half of another
    credential's record printed on one line (``{'AccessKeyId': 'ASIA<REDACTED>', 'SecretAccessKey': '…'}``, whose
    ID the text hides). Brackets inside quotes are text, not code."""
    if not (secret.name and names_a_secret(secret.name)) or qualifiers(secret.name):
        return False  # (a name qualified by another thing's word is that thing's: JWT_SECRET beside an OSS client)
    # Never past COLUMN_LINE back: on a minified line with no newline near, the file's whole prefix is not its line.
    lowest = max(0, secret.start - COLUMN_LINE)
    line_start = max(data.rfind(b"\n", lowest, secret.start) + 1, lowest)
    head = data[line_start : secret.start]
    code = _QUOTED.sub(b"", head)
    depth, opener = 0, -1
    for at in range(len(code) - 1, -1, -1):
        if code[at] in b")]":
            depth += 1
        elif code[at] in b"([":
            if depth == 0:
                opener = at
                break
            depth -= 1
    if opener < 0 or not _SIGNER_WORDS.search(code, max(0, opener - SIGNER_CALL)):
        return False  # not inside a call's or a message's brackets, or not a signer's
    return not any(names_an_id(match.group(1).decode("latin-1")) for match in _ANY_BOUND_NAME.finditer(head))


# A name bound to a value on a line (``name = …``, ``"name": …``, ``'name' => …``), at the line's start.
_BOUND_NAME = re.compile(rb"""(?m)^[ \t]*[-{\[(,]?[ \t]*["'`]?([A-Za-z_][A-Za-z0-9_.\-]*)["'`]?[ \t]*(?:=>|[:=])""")
# A section of its own: an INI header, a YAML list item.
_SECTION = re.compile(rb"""(?m)^[ \t]*(?:\[[^\]\n]{1,80}\][ \t]*$|-[ \t])""")


def _another_row_between(positions: Positions, id_candidate: Candidate, secret: Candidate) -> bool:
    """Whether, between two settings rows' values, another row's sibling name names a key's half (an ID's, a
    secret's). The second value's own name, the last one before it, is its own; rows on lines commented more
    deeply than the values (an old row kept in a comment) are not read."""
    first, second = sorted((id_candidate, secret), key=lambda c: c.start)
    names = list(sibling_names(positions.data, first.end, second.start))
    depth = max(first.commented, second.commented)
    for at, name in names[:-1]:
        keyish = names_an_id(name) or names_a_secret(name) or words(name)[-1:] == ["key"]
        if keyish and positions.commented(at) <= depth:
            return True
    return False


def _closes_between(data: bytes, id_candidate: Candidate, secret: Candidate) -> bool:
    """Whether a bracket the first value's element did not open closes before the second value."""
    first, second = sorted((id_candidate, secret), key=lambda c: c.start)
    return leaves_element(data[first.end : second.start])


def _another_key_between(data: bytes, id_candidate: Candidate, secret: Candidate) -> bool:
    """Whether, between a far ID and the secret it would take, a name binds another key's half (an ID's,
    an access key's, a secret's: a session token's aside) or a new section begins."""
    first, second = sorted((id_candidate, secret), key=lambda c: c.start)
    # From the end of the first value's line to the start of the second's (its own name is on its line).
    lo = data.find(b"\n", first.end, second.start)
    hi = data.rfind(b"\n", first.end, second.start)
    between = data[lo:hi] if 0 <= lo < hi else b""
    if _SECTION.search(between):
        return True
    for match in _BOUND_NAME.finditer(between):
        name = match.group(1).decode("latin-1")
        parts = words(name)
        joined = "".join(parts)
        keyish = any(word in joined for word in ("key", "secret", "access")) or {"ak", "sk"} & set(parts)
        if "token" not in joined and keyish and (names_an_id(name) or names_a_secret(name) or "access" in joined):
            return True
    return False


# A settings row's value field (FastAdmin's addon config.php: ``'value' => '…',``), its name in a sibling field.
_ROW_VALUE = re.compile(rb"""(?<![A-Za-z0-9_.\-])["'`]?(?i:value)["'`]?[ \t]*(?:=>|:|=)[ \t]*["'`]?$""")


def _rows(data: bytes, id_candidate: Candidate, secret: Candidate) -> bool:
    """Whether both values are settings rows' ``value`` fields (each named by a sibling ``name`` field): an ID's
    row and its secret's are separate elements by nature (whether they are rows of one list, with no other
    key's row between, the caller asks)."""

    def row(candidate: Candidate) -> bool:
        line_start = data.rfind(b"\n", max(0, candidate.start - 200), candidate.start) + 1
        return _ROW_VALUE.search(data[line_start : candidate.start]) is not None

    return bool(id_candidate.name and secret.name) and row(id_candidate) and row(secret)


def _far_partners(id_name: str, secret_name: str, rows: bool = False) -> str:
    """How two names far apart say they are one key's halves, or "": "stem", one name with its last word
    changed from an ID's to a secret's (``app_id`` and ``app_key``, ``accessKeyId`` and ``accessKeySecret``,
    ``web_oss_key`` and ``web_oss_sercet``: a settings table's rows); "plain", an access key's ID and its
    secret key by their conventional names (``access_key`` and ``secret_key`` with the same prefix, or any
    access-key name and a secret's that says access: ``SECRET_ACCESS_KEY``), never any secret's name
    (``SESSION_SECRET``, ``client_secret``, a bare ``SECRET_KEY`` below an ``AWS_ACCESS_KEY_ID``); "rows", two
    settings rows (``rows``) named in single words, an ID's then a secret's: FastAdmin's SMS addon keeps
    ``'name' => 'key'`` and ``'name' => 'secret'`` as two rows of its config."""
    if not secret_name or names_an_id(secret_name) or names_a_secret(id_name):
        return ""
    if _stem_of(id_name, secret_name):
        return "stem"
    if rows and (id_name.lower(), secret_name.lower()) in _LAST_WORDS:
        return "rows"
    id_words, secret_words = words(id_name), words(secret_name)
    id_joined, secret_joined = "".join(id_words), "".join(secret_words)
    if not (names_an_id(id_name) or "access" in id_joined) or "secret" not in secret_joined:
        return ""
    if "access" in secret_joined:
        return "plain"
    conventional = id_words[-2:] == ["access", "key"] and secret_words[-2:] == ["secret", "key"]
    return "plain" if conventional and id_words[:-2] == secret_words[:-2] else ""


def _stem_of(id_name: str, secret_name: str) -> bool:
    """Whether two names differ only in their last word, an ID's then a secret's: ``odpsAkKey`` beside
    ``odpsAkId`` is its secret, though "ak" alone would name an ID."""
    id_words, secret_words = words(id_name), words(secret_name)
    return (
        len(id_words) == len(secret_words) >= 2
        and id_words[:-1] == secret_words[:-1]
        and (id_words[-1], secret_words[-1]) in _LAST_WORDS
    )


# An ID's last word, then its secret's, in names that differ in nothing else.
_LAST_WORDS = frozenset({("id", "key"), ("id", "secret"), ("key", "secret"), ("key", "sercet"), ("ak", "sk")})


def _second_looks(
    finder: CandidateFinder, ids: list[Candidate], pairs: list[Pair], taken: _Spans, id_values: set[str]
) -> tuple[list[Pair], set[tuple[int, int]]]:
    """IDs left without a partner, read again by the rules that take an ID only with a partner of their
    own (``second_look``: an AWS key ID as the user name of SES SMTP credentials, beside its SMTP password,
    which no secret access key rule reads). The first reading keeps every ID it paired, and every partner
    nearer one of those IDs than the lone one (a Terraform key's SMTP password beside its own pair, on the
    line a key without a secret follows). With the pairs whose ID had another partner as good."""
    rules = finder.ruleset.rules
    paired = {c.value for pair in pairs for c in pair}
    # The IDs only a second-look rule reads (a masked SecretId), and those another rule read first and left
    # alone (an AWS key ID, shadowed here by SES's reading of it).
    readers = [c for c in ids if rules[c.rule].second_look and c.value not in paired]
    readers += [
        other
        for c in ids
        if c.value not in paired
        for other in finder.shadowed.get(c.start, ())
        if rules[other.rule].second_look
    ]
    if not readers:
        return [], set()
    used = {secret.start for _, secret in pairs}
    kept = sorted((c.start, c.end) for pair in pairs for c in pair)
    edges = [
        edge
        for edge in _edges(finder, readers, taken, id_values)
        if edge[1].start not in used and not _nearer(kept, edge[1], _gap(edge[0].start, edge[0].end, edge[1]))
    ]
    chosen = assign(edges)
    return chosen, _ambiguous(edges, chosen)


def _gap(start: int, end: int, other: Candidate) -> int:
    """Bytes between a span and a candidate (0 when they touch or overlap)."""
    return max(other.start - end, start - other.end, 0)


def _nearer(spans: list[tuple[int, int]], candidate: Candidate, gap: int) -> bool:
    """Whether one of ``spans`` (sorted, the values of pairs already made) is strictly nearer ``candidate``
    than ``gap``: its neighbours on either side, found by bisection."""
    i = bisect.bisect_left(spans, (candidate.start, candidate.start))
    return any(_gap(*spans[j], candidate) < gap for j in (i - 1, i) if 0 <= j < len(spans))


def _edges(
    finder: CandidateFinder, ids: list[Candidate], taken: _Spans, id_values: set[str]
) -> list[tuple[Candidate, Candidate, float]]:
    """Each ID's few nearest secrets of the kind its rule pairs with, within its window, with their costs."""
    rules, positions = finder.ruleset.rules, finder.positions
    looking: dict[int, list[tuple[Candidate, int, int]]] = {}  # secret rule -> (ID, its window)
    for id_candidate in ids:
        pair = rules[id_candidate.rule].pair
        if pair is not None:
            lo, hi = positions.pair_window(id_candidate.start, id_candidate.end, pair.lines, pair.bytes)
            looking.setdefault(finder.ruleset.by_id[pair.secret], []).append((id_candidate, lo, hi))
    edges = []
    for secret_index, wanted in looking.items():
        secrets = [
            s
            for s in map(
                _unnamed_by_ids(id_values), finder.secrets_in(secret_index, [(lo, hi) for _, lo, hi in wanted])
            )
            if not taken.overlaps(s.start, s.end) and s.value not in id_values
        ]
        starts = [s.start for s in secrets]
        column = _columns(positions.data, [c for c, _, _ in wanted], secrets)
        # Judged once per secret, not once per ID that sees it (a dense export: each secret in a dozen windows).
        named_as_ids = {s.start for s in secrets if _named_as_id(s) or _named_as_digest(s)}
        for id_candidate, lo, hi in wanted:
            near = []
            named = bool(id_candidate.name)  # only a named ID can be contradicted by a secret's name
            id_pair = rules[id_candidate.rule].pair
            secret_named = id_pair is not None and id_pair.secret_named
            swapped = _named_as_secret(id_candidate)
            composite = _composite(positions.data, id_candidate)
            for position in range(bisect.bisect_left(starts, lo), bisect.bisect_left(starts, hi)):
                secret = secrets[position]
                # Its own slot holds its secret (masked, or cut): no other value is; inside a signed request only a
                # value its name calls a secret is (BCE_SECRET_KEY above a curl of it).
                if (
                    composite
                    and not _glued(positions.data, id_candidate, secret)
                    and (composite == "slot" or not (secret.name and names_a_secret(secret.name)))
                ):
                    continue
                if secret.start in named_as_ids and not swapped and not _stem_of(id_candidate.name, secret.name):
                    continue
                if secret_named and secret.name and _names_another_value(secret.name):
                    continue  # (a masked ID's rule: a nonce below a log line's masked SecretId is no SecretKey)
                if column and not column.get((id_candidate.start, secret.start), True):
                    continue  # another column's
                if secret.end <= hi and not (named and _contradict(id_candidate, secret)):
                    near.append((id_candidate, secret, _cost(positions, id_candidate, secret)))
            # Only an ID's few nearest secrets compete for it: a far one it could only get once its
            # neighbours are taken is a likelier mispairing than a lone ID (and a dense export would
            # otherwise feed the assignment a dozen edges per row).
            edges.extend(heapq.nsmallest(EDGES_PER_ID, near, key=lambda edge: edge[2]))
    return edges


# The longest line read as a row of columns: a row is a few values (a minified file's one line is none, and
# finding its start for each of its values would read it again per value).
COLUMN_LINE = 1000


def _line_start(data: bytes, offset: int) -> int | None:
    """Where the line holding ``offset`` starts, if it starts within COLUMN_LINE bytes before it."""
    lo = max(0, offset - COLUMN_LINE)
    start = data.rfind(b"\n", lo, offset) + 1
    return start if start or lo == 0 else None


def _columns(data: bytes, ids: list[Candidate], secrets: list[Candidate]) -> dict[tuple[int, int], bool]:
    """Two or more IDs on a line and as many secrets on the line next to it, nothing but separators between the
    values of each row, and neither row beside another row of values (two environments' pairs written as
    columns: ``//ID1,<TAB>ID2`` over ``//S1,<TAB>S2``): (ID start, secret start) -> whether they share a
    column. The n-th ID's partner there is the n-th secret, never another (by bytes, the first line's last ID
    is nearest the next line's first secret). Rows whose values are bound to names (``-e A=… -e B=…``, a map,
    ``prod_id, test_id = …``) or told apart by words (``old secret …``) are left to the names and distances."""
    if len(ids) < 2 or len(secrets) < 2:
        return {}  # most blobs: one ID, no row to find (this runs for every blob with an ID)
    line_ids: dict[int | None, list[Candidate]] = {}
    line_secrets: dict[int | None, list[Candidate]] = {}
    for id_candidate in ids:
        line_ids.setdefault(_line_start(data, id_candidate.start), []).append(id_candidate)
    for secret in secrets:
        line_secrets.setdefault(_line_start(data, secret.start), []).append(secret)
    column: dict[tuple[int, int], bool] = {}
    for line, found in line_ids.items():
        if line is None or len(found) < 2 or line in line_secrets:
            continue
        row = _row(data, line, found)
        if row is None:
            continue
        above = _line_start(data, line - 1) if line else None
        end_of_line = data.find(b"\n", row[-1].end, row[-1].end + COLUMN_LINE)
        below = end_of_line + 1 if end_of_line >= 0 else None
        sides = (
            (below, above, _line_after(data, below)),
            (above, below, _line_start(data, above - 1) if above else None),
        )
        for other, far, beyond in sides:
            if other is None or other in line_ids:
                continue
            partners = _row(data, other, line_secrets.get(other, []))
            if partners is None or len(partners) != len(row):
                continue
            # Not two rows of a larger grid (prod IDs, dev IDs, prod secrets, dev secrets): the far sides of both
            # rows hold none of these values.
            if any(place in line_ids or place in line_secrets for place in (far, beyond) if place is not None):
                continue
            for i, id_candidate in enumerate(row):
                for j, secret in enumerate(partners):
                    column[(id_candidate.start, secret.start)] = i == j
    return column


# Between two values of one row: separators only (commas, spaces, tabs, pipes, quotes, an arrow).
_SEPARATORS = re.compile(rb"""[\s,;|'"`/>\-]*""")
# A row's head that assigns several names at once (``prod_id, test_id = ``): its values have names, in order.
_NAMES_ASSIGNED = re.compile(rb"[A-Za-z_][\w.]*[ \t]*,[ \t]*[A-Za-z_][\w.]*[ \t]*(?::=|=|:)")


def _row(data: bytes, line: int, values: list[Candidate]) -> list[Candidate] | None:
    """The values of a line in order, when they stand as a row: distinct, separators only between them, and
    the line's head assigning no list of names. None otherwise."""
    row = sorted({c.start: c for c in values}.values(), key=lambda c: c.start)
    if not row or _NAMES_ASSIGNED.search(data, line, row[0].start):
        return None
    for left, right in itertools.pairwise(row):
        if left.end > right.start or not _SEPARATORS.fullmatch(data, left.end, right.start):
            return None
    return row


def _line_after(data: bytes, line: int | None) -> int | None:
    """Where the line after the one starting at ``line`` starts (within COLUMN_LINE bytes)."""
    if line is None:
        return None
    end = data.find(b"\n", line, line + COLUMN_LINE)
    return end + 1 if end >= 0 else None


def _cost(positions: Positions, id_candidate: Candidate, secret: Candidate) -> float:
    data = positions.data
    if _glued(data, id_candidate, secret):
        # One token: Qianfan's bce-v3/ALTAK-…/<secret>, s3n://ID:SECRET@bucket. No secret named apart
        # (a SECRET_KEY on the next line, another key's) is the ID's partner before the one glued to it.
        return GLUED
    lines = data.count(b"\n", min(id_candidate.end, secret.start), max(id_candidate.start, secret.end))
    return pair_cost(id_candidate, secret, lines)


def _composite(data: bytes, id_candidate: Candidate) -> str:
    """Whether the ID is written inside a Qianfan API key, ``bce-v3/<ID>/<secret>``, whose slot after it is its
    secret's whatever it holds, or inside a Baidu request signature. With that slot masked
    (``bce-v3/ALTAK-…/24a4289XXXXXXX``) the ID is alone, not the partner of another service's key a few lines
    away (a ``.env`` listing several)."""
    for slash in (b"/", b"\\/"):  # JSON may escape its slashes: bce-v3\/ALTAK-…\/<secret>
        if data.startswith(slash, id_candidate.end) and data.endswith(b"bce-v3" + slash, 0, id_candidate.start):
            return "slot"
    # And inside a request signed with it (authorization=bce-auth-v1/<ID>/<time>/…/<signature>): the slots after
    # it hold a time and a signature, never its secret; the 32 hex digits of a record id in the next column of a
    # table were taken for it. A value named as a secret beside it still pairs ("signed").
    return "signed" if any(data.endswith(head, 0, id_candidate.start) for head in _SIGNED_HEADS) else ""


_SIGNED_HEADS = (b"bce-auth-v1/", b"bce-auth-v1%2F", b"bce-auth-v1%2f")


def _glued(data: bytes, id_candidate: Candidate, secret: Candidate) -> bool:
    """Whether the secret is written into one token with its ID in a form that says so: a Qianfan API key
    (``bce-v3/<ID>/<secret>``) or a URL's user information (``scheme://<ID>:<secret>@host``). Any other
    ID:junk is just text beside the ID: written before a named secret, it must not take the ID from it."""
    if secret.start - id_candidate.end not in (1, 2):
        return False
    glue = data[id_candidate.end : secret.start]
    if glue in (b"/", b"\\/"):
        return data.endswith(b"bce-v3" + glue, 0, id_candidate.start)
    return (
        glue == b":"
        and data[max(0, id_candidate.start - 3) : id_candidate.start] == b"://"
        and data[secret.end : secret.end + 1] == b"@"
    )


# Lone IDs (and lone secrets) of one rule that far pairing reads at most: its names are compared each with
# each (a planted .env of 3,000 IDs then 3,000 secrets took minutes); a settings file has a handful.
FAR_MOST = 200


def far_pairs(
    ruleset: Ruleset, ids: list[Candidate], secrets: list[Candidate], pairs: list[tuple[Candidate, Candidate]]
) -> list[tuple[Candidate, Candidate]]:
    """An ID and a secret too far apart to pair by distance (a long settings file), both bound to
    names that say what they are: paired when the blob has exactly one of each left for the rule, or
    when their names' qualifiers single each other out (``OSS_ACCESS_KEY_ID`` … ``OSS_ACCESS_KEY_SECRET``)."""
    rules = ruleset.rules
    paired = {c.value for pair in pairs for c in pair}
    found: list[tuple[Candidate, Candidate]] = []
    for rule_index in sorted({c.rule for c in ids}):
        pair = rules[rule_index].pair
        if pair is None:
            continue
        secret_rule = ruleset.by_id[pair.secret]
        lone_ids = _first_by_value(c for c in ids if c.rule == rule_index and c.value not in paired)
        lone_secrets = _first_by_value(s for s in secrets if s.rule == secret_rule and s.value not in paired)
        lone_ids = [c for c in lone_ids if c.name and names_an_id(c.name)]
        lone_secrets = [s for s in lone_secrets if s.name and names_a_secret(s.name)]
        if len(lone_ids) == 1 and len(lone_secrets) == 1:
            if agreement(lone_ids[0].name, lone_secrets[0].name) >= 0:
                found.append((lone_ids[0], lone_secrets[0]))
            continue
        if len(lone_ids) > FAR_MOST or len(lone_secrets) > FAR_MOST:
            continue  # a dump of thousands of named values: each name against each is quadratic
        for id_candidate in lone_ids:
            matching = [s for s in lone_secrets if agreement(id_candidate.name, s.name) > 0]
            rivals = [c for c in lone_ids if matching and agreement(c.name, matching[0].name) > 0]
            if len(matching) == 1 and len(rivals) == 1:
                found.append((id_candidate, matching[0]))
    return found


TOKENS_PER_SIDE = 4  # the nearest session tokens before and after an ID that may be its own


def tokens_for(
    ruleset: Ruleset, positions: Positions, ids: Iterable[Candidate], tokens: dict[int, list[Candidate]]
) -> dict[int, Candidate]:
    """Each session token to the ID nearest to it (within the rule's ``token_bytes``), on its own line
    first, then nearest first: a long-lived pair a few lines further down must not take the token of the
    temporary ID right above it, nor a pair above a presigned URL the token of the URL's own ID. Paired
    and lone IDs compete alike."""
    edges: list[tuple[bool, bool, int, int, int, Candidate]] = []
    by_start = {index: sorted(found, key=lambda token: token.start) for index, found in tokens.items()}
    starts = {index: [token.start for token in found] for index, found in by_start.items()}
    for id_candidate in ids:
        rule = ruleset.rules[id_candidate.rule]
        pair = rule.pair
        if pair is None or not pair.tokens:
            continue
        if rule.temporary_prefixes and not id_candidate.value.startswith(rule.temporary_prefixes):
            continue  # a long-term ID (AWS's AKIA) never has a session token: one beside it is another key's
        temporary_form = pair.kind == "sts-credentials"
        for token_rule in pair.tokens:
            index = ruleset.by_id[token_rule]
            found, at = by_start.get(index, []), starts.get(index, [])
            # A short token goes only to an ID temporary by its own form (filters.SHORT_TOKEN), and only once
            # every token of full length has gone: a web app's short token beside a temporary ID must not push
            # the STS answer's own token onto a long-term pair above it (which would make that pair temporary,
            # and an expiry nearby would silence it).
            too_short = SHORT_TOKEN.get(token_rule)
            # Only the few nearest tokens within reach on either side (bisected): a file of thousands of IDs
            # and tokens is not squared, and a farther token goes to an ID nearer to it first anyway.
            middle = bisect.bisect_left(at, id_candidate.start)
            lo = max(bisect.bisect_left(at, id_candidate.start - pair.token_bytes), middle - TOKENS_PER_SIDE)
            hi = min(bisect.bisect_right(at, id_candidate.start + pair.token_bytes), middle + TOKENS_PER_SIDE)
            for token in found[lo:hi]:
                short = too_short is not None and too_short(token.value)
                if short and not temporary_form:
                    continue
                distance = abs(token.start - id_candidate.start)
                apart = not positions.same_line(id_candidate, token)
                edges.append((short, apart, distance, id_candidate.start, token.start, token))
    chosen: dict[int, Candidate] = {}
    used: set[int] = set()
    for _, _, _, id_start, token_start, token in sorted(edges, key=lambda edge: edge[:5]):
        if id_start not in chosen and token_start not in used:
            chosen[id_start] = token
            used.add(token_start)
    return chosen


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


def _unnamed_by_ids(id_values: set[str]) -> Callable[[Candidate], Candidate]:
    """A secret whose "name" is a key ID (``Auth('LTAI…', '<secret>')`` read like a SQL row's
    ``'name', 'value'``) has no name: an ID is a value, whatever words its letters happen to spell."""

    def unnamed(secret: Candidate) -> Candidate:
        return dataclasses.replace(secret, name="") if secret.name in id_values else secret

    return unnamed


def _holds_id(id_spans: list[tuple[int, int]], token: Candidate) -> bool:
    at = bisect.bisect_left(id_spans, (token.start, 0))
    return at < len(id_spans) and id_spans[at][1] <= token.end


def _named_as_id(secret: Candidate) -> bool:
    """A value its name calls an ID and nothing else (``AWSAccessKeyId=`` in a signed URL, ``access_key_id =``)
    is another key's ID, never this one's secret: two presigned URLs side by side are not a pair."""
    return bool(secret.name) and names_an_id(secret.name) and not names_a_secret(secret.name)


# Names of what a key computes, never of a key: a request's Signature, a file's hash or ETag.
DIGEST_WORDS = frozenset({"signature", "hash", "digest", "checksum", "etag", "md5", "sha1", "sha256", "fingerprint"})
# Names of a request's other random values: a nonce or salt is never a key.
OTHER_VALUE_WORDS = DIGEST_WORDS | {"nonce", "salt", "iv", "uuid", "random", "requestid", "traceid"}


def _names_another_value(name: str) -> bool:
    """Whether a name calls its value an ID, a digest or a request's random value, and not a secret: what
    ``pair.secret_named`` keeps from a rule's secrets (``key:`` and ``password:`` still hold a SecretKey)."""
    if names_a_secret(name):
        return False
    return names_an_id(name) or bool(set(words(name)) & OTHER_VALUE_WORDS)


_HEX = frozenset(b"0123456789abcdefABCDEF")


def _named_as_digest(secret: Candidate) -> bool:
    """A value its name calls a signature or a digest and nothing that is a secret, spelled as digests are
    (hex digits, or base64 with its padding): ``"Signature":"ed5c…"`` beside a PublicKey in an API reference's
    request, 40 hex digits like a UCloud PrivateKey, is the output of a key, never the key. ``sign_secret``,
    ``hash_key`` still name secrets; 40 letters and digits of both cases under ``signature:`` (an OBS config
    whose author named the SK after what it makes) is no digest's spelling, and stays a secret."""
    if not secret.name or not (secret.value.endswith("=") or set(secret.value.encode()) <= _HEX):
        return False
    parts = set(words(secret.name))
    return bool(parts & DIGEST_WORDS) and not names_a_secret(secret.name) and "key" not in parts


def _named_as_secret(id_candidate: Candidate) -> bool:
    """An ID its name calls a secret and nothing else (``secretAccessKey: "AKIA…"``): the names were
    swapped, so the secret beside it may be named as an ID (``accessKeyId: "<secret>"``) and still be its."""
    return bool(id_candidate.name) and names_a_secret(id_candidate.name) and not names_an_id(id_candidate.name)


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
