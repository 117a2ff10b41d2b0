"""Pair key IDs with secrets: score every (ID, secret) edge by distance and context, then assign
globally, best edges first, each ID and each secret used once; then two pairs that are clearly cheaper with
their partners exchanged exchange them.

The peers either demand a vendor word near the secret (and miss positional SDK calls) or pair every ID
with every secret in the chunk (and report N×M pairs). A one-to-one assignment by cost does neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from akscan.engine.names import agreement, qualifiers

LINE_COST = 120.0  # one line apart costs as much as 120 bytes on the same line
BYTE_COST = 0.1
CONTEXT_BONUS = 150.0  # the secret sits behind a key name such as ``AccessKeySecret``
WRONG_DIRECTION = 40.0  # added to edges that go against the direction the layout favours
# Names that qualify both halves the same way (OSS_…_ID with OSS_…_SECRET) pull a pair together by almost
# a line (names that contradict each other never make an edge at all: akscan.engine.detect).
NAME_AGREES = -100.0
# A secret whose name adds a qualifier an unqualified ID's name lacks (``SECRET_KEY_WEBHOOK`` under
# ``ACCESS_KEY_ID``) may be another thing's: an unqualified secret a line or two farther (``SECRET_KEY``) is
# likelier the ID's. Alone, it still pairs.
ONE_SIDED = 2.0 * LINE_COST
# An ID on a commented-out line and a secret on a live one (or the reverse, or commented out once and
# twice) belong to different pairs far more often than not: the old pair kept in a comment above the new
# one. Worth a line and a half.
COMMENT_MISMATCH = 1.5 * LINE_COST
# ID-then-secret is how people write pairs. The secret-then-ID reading wins only when it pairs more, or
# is cheaper by more than this (half a line): a few bytes of difference must not flip a whole file.
DIRECTION_MARGIN = LINE_COST / 2
# Two pairs swap partners when that is cheaper together by more than this (a line), at most this many passes.
UNCROSS_MARGIN = LINE_COST
UNCROSS_ROUNDS = 4


@dataclass(frozen=True)
class Candidate:
    rule: int
    value: str = field(repr=False)
    start: int
    end: int
    context: bool = False
    name: str = ""  # the name the value is bound to (akscan.engine.names), "" for a positional value
    # On a line that is a comment (// # ; *), how deeply: an old pair kept beside the live one (0: live).
    commented: int = 0
    # Written as the key a hand-written signer derives from it ("AWS4" + "<secret>"; Alibaba's "<secret>&"):
    # its name is the provider's secret name (akscan.engine.candidates.SIGNING_KEY_NAMES).
    signing: bool = False


Edge = tuple[Candidate, Candidate, float]


def pair_cost(id_candidate: Candidate, secret: Candidate, lines_between: int) -> float:
    gap = secret.start - id_candidate.end if secret.start >= id_candidate.end else id_candidate.start - secret.end
    cost = lines_between * LINE_COST + max(gap, 0) * BYTE_COST
    if secret.context:
        cost -= CONTEXT_BONUS
    if id_candidate.name and secret.name:
        agreed = agreement(id_candidate.name, secret.name)
        if agreed > 0:
            cost += NAME_AGREES
        elif agreed == 0 and not qualifiers(id_candidate.name) and qualifiers(secret.name):
            cost += ONE_SIDED
    if id_candidate.commented != secret.commented:
        cost += COMMENT_MISMATCH
    return cost


Adjacent = Callable[[Candidate, Candidate], bool]


def _greedy(
    edges: list[Edge], penalise_before: bool, adjacent: Adjacent | None
) -> tuple[list[tuple[Candidate, Candidate]], float]:
    def adjusted(edge: Edge) -> float:
        id_candidate, secret, cost = edge
        before = secret.start < id_candidate.start
        return cost + (WRONG_DIRECTION if before == penalise_before else 0.0)

    chosen: list[tuple[Candidate, Candidate]] = []
    used_ids: set[int] = set()
    used_secrets: set[int] = set()
    for edge in sorted(edges, key=lambda e: (adjusted(e), e[0].start, e[1].start)):
        id_candidate, secret, _ = edge
        if id_candidate.start in used_ids or secret.start in used_secrets:
            continue
        used_ids.add(id_candidate.start)
        used_secrets.add(secret.start)
        chosen.append((id_candidate, secret))
    costs = {(i.start, s.start): (adjusted((i, s, c)), c) for i, s, c in edges}
    if len(chosen) > 1:  # most blobs: one pair, nothing to exchange
        chosen = _uncross(chosen, edges, costs, adjacent)
    return chosen, sum(costs[(i.start, s.start)][1] for i, s in chosen)


def _one_way(id_a: Candidate, id_b: Candidate, secret_a: Candidate, secret_b: Candidate) -> bool:
    """Both IDs before both secrets, or both after: the javadoc layout (old ID, new ID, old secret, new secret). A
    secret planted above a pair and an ID below it nest around the pair, and swapping would split it."""
    return len({i.start < s.start for i in (id_a, id_b) for s in (secret_a, secret_b)}) == 1


def _uncross(
    chosen: list[tuple[Candidate, Candidate]],
    edges: list[Edge],
    costs: dict[tuple[int, int], tuple[float, float]],
    adjacent: Adjacent | None,
) -> list[tuple[Candidate, Candidate]]:
    """Best edges first can take a secret a nearer ID only seems to own: a live named ID grabs the bare secret of
    the old pair kept in a comment above it, and the old ID is left the live secret. Two pairs whose partners
    swapped cost clearly less together are swapped (each ID keeps its few edges: linear in the pairs). A pair written
    side by side (``adjacent``: its secret on its ID's line or the next) is never split: with the lines' costs equal
    in a one-way layout, names alone would decide, and planted names could steer them."""
    where = {s.start: n for n, (_, s) in enumerate(chosen)}
    by_id: dict[int, list[Candidate]] = {}
    for i, s, _ in edges:
        by_id.setdefault(i.start, []).append(s)
    for _ in range(UNCROSS_ROUNDS):
        swapped = False
        for n in range(len(chosen)):
            id_a, secret_a = chosen[n]
            for secret_b in by_id.get(id_a.start, ()):
                m = where.get(secret_b.start)
                if m is None or m == n:
                    continue
                id_b = chosen[m][0]
                cross = costs.get((id_b.start, secret_a.start))
                if cross is None or not _one_way(id_a, id_b, secret_a, secret_b):
                    continue
                if adjacent is not None and (adjacent(id_a, secret_a) or adjacent(id_b, secret_b)):
                    continue
                now = costs[(id_a.start, secret_a.start)][0] + costs[(id_b.start, secret_b.start)][0]
                if costs[(id_a.start, secret_b.start)][0] + cross[0] < now - UNCROSS_MARGIN:
                    chosen[n], chosen[m] = (id_a, secret_b), (id_b, secret_a)
                    where[secret_b.start], where[secret_a.start] = n, m
                    swapped = True
                    break
        if not swapped:
            break
    return chosen


def assign(edges: list[Edge], adjacent: Adjacent | None = None) -> list[tuple[Candidate, Candidate]]:
    """One-to-one assignment. A file lays its pairs out one way (ID then secret, or secret then ID);
    try both preferences and keep the one that pairs more, then the clearly cheaper, else ID-then-secret."""
    if not edges:
        return []
    after, after_cost = _greedy(edges, True, adjacent)
    before, before_cost = _greedy(edges, False, adjacent)
    if len(before) > len(after) or (len(before) == len(after) and before_cost < after_cost - DIRECTION_MARGIN):
        return before
    return after
