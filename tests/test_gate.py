"""The gate in front of the automaton may only say "no" when no anchor of a rule that can report on its
own is in the blob: findings with and without it must be identical."""

from __future__ import annotations

import random
import string

from akscan.detect import _prefilter
from akscan.gate import Gate, cover_words
from akscan.rules import load_ruleset

RULESET = load_ruleset()


def test_cover_words_cover_every_word() -> None:
    words = ["accesskeysecret", "access_key_secret", "aliyun", "alibaba_secret", "tencentcloud_secretkey", "abc"]
    covers = cover_words(words)
    assert all(any(c.decode() in w for c in covers) for w in words)
    assert len(covers) <= 3


def _random_text(rng: random.Random) -> bytes:
    pieces = []
    for _ in range(rng.randint(1, 60)):
        roll = rng.random()
        if roll < 0.5:
            pieces.append(
                "".join(
                    rng.choice(string.ascii_letters + string.digits + " ._-=:'\"\n") for _ in range(rng.randint(1, 40))
                )
            )
        elif roll < 0.7:
            rule = rng.choice(RULESET.rules)
            words = list(rule.anchors) + list(rule.context_words)
            if words:
                word = rng.choice(words)
                if not rule.anchors_case_sensitive or word in rule.context_words:
                    word = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in word)
                pieces.append(word)
        else:
            pieces.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 30))).decode("latin-1"))
    return "".join(pieces).encode("latin-1")


def test_gate_never_hides_an_anchor_hit() -> None:
    rng = random.Random(11)
    token_rules = {i for i, r in enumerate(RULESET.rules) if r.kind == "token"}
    admitted = rejected = 0
    for _ in range(3000):
        data = _random_text(rng)
        lowered = data.lower()
        hits = _prefilter(data, lowered, RULESET)
        reportable = {i for i in hits.anchors if i not in token_rules} | set(hits.context)
        if RULESET.gate.may_match(data, lowered):
            admitted += 1
        else:
            rejected += 1
            assert not reportable, data
    assert admitted > 300 and rejected > 300  # both branches were exercised


def test_reduced_alphabet_stays_small() -> None:
    assert 256 - len(RULESET.gate.delete) <= 12
    gate = Gate.build([], ["LTAI"])
    assert gate.may_match(b"x = 'LTAI'", b"x = 'ltai'")
    assert not gate.may_match(b"L.T.A.I", b"l.t.a.i")  # a false adjacency is confirmed away
