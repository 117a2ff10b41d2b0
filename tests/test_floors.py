"""Floors calibrated on the clouds' own shapes: no rule's entropy floor and filters (placeholders, keyboard
mashes, repeats, sequences, character classes) may reject more than 1% of random values of its own shape —
a real key drawn the way the cloud draws it must be found. benchmarks/floors.py prints the full table."""

from __future__ import annotations

import pytest

from akscan.engine.rules import load_ruleset
from tests.rule_shapes import SHAPES, rejected_by_shape

VALUE_RULES = [r.id for r in load_ruleset().rules if r.kind in ("key-id", "secret", "token")]
LIMIT = 0.01
DRAWS = 3000


def test_every_value_rule_has_its_shape() -> None:
    assert set(VALUE_RULES) == set(SHAPES), set(VALUE_RULES) ^ set(SHAPES)


@pytest.mark.parametrize("rule_id", VALUE_RULES)
def test_no_floor_rejects_more_than_one_percent_of_its_own_shape(rule_id: str) -> None:
    """Shape by shape (Tencent's session tokens of today turned away 1.6% when their head was judged as a
    value typed by hand, hidden under 1% beside the 45-hex tokens of old)."""
    for index, turned_away in enumerate(rejected_by_shape(rule_id, DRAWS, seed=len(rule_id))):
        assert turned_away / DRAWS <= LIMIT, f"{rule_id} shape {index}: {turned_away} of {DRAWS} rejected"


def test_the_filters_do_reject_placeholders() -> None:
    """The measure can fail: the same check on typed values rejects them."""
    from akscan.engine.candidates import valid_value

    rule = load_ruleset().rule("alibaba-access-key-secret")
    for typed in ("sdsfsdfsdvtD0OgKq8Wm3Zr5Tb7Nc2", "AbcdefgHij1234567890KLMNopqrSt", "xxxxXXXXxxxxXXXXxxxxXXXXxxxx12"):
        assert not valid_value(rule, typed), typed


def _value_of_entropy(length: int, distinct: int) -> str:
    """A value of lower-case letters and digits of ``length`` characters spread as evenly as it goes over
    ``distinct`` symbols (no run, no sequence: the entropy is the only thing a filter can hold against it)."""
    import random

    symbols = "q7m2x9k4w1z8r5t3v6y0hjnpsbcd"[:distinct]
    spread = [symbols[i % distinct] for i in range(length)]
    random.Random(length * 31 + distinct).shuffle(spread)
    return "".join(spread)


def test_a_floor_by_length_judges_each_length_by_its_own_floor() -> None:
    """The early Alibaba ID's 24-character form is held to 3.3, its 16-character form to the rule's 3.0."""
    from akscan.engine.candidates import valid_value
    from akscan.engine.filters import shannon_entropy

    rule = load_ruleset().rule("alibaba-legacy-access-key")
    assert rule.entropy_floor(24) == 3.3 and rule.entropy_floor(16) == rule.entropy_floor(23) == 3.0
    below, above = _value_of_entropy(24, 10), _value_of_entropy(24, 11)  # 3.29 and 3.44
    assert 3.28 < shannon_entropy(below) < 3.3 < shannon_entropy(above)
    assert not valid_value(rule, below) and valid_value(rule, above)
    # the same entropy at 23 characters, under the rule's own floor: accepted
    assert valid_value(rule, _value_of_entropy(23, 10))
    # the keyboard mash a CarrierWave initializer held (round 4dn): 3.23
    assert not valid_value(rule, "jjjgwfewf12qwdfqd443wdqw")


def test_a_token_rule_cannot_take_a_floor_by_length() -> None:
    """A token is judged by its head whatever its length: the key would be silently ignored there."""
    from akscan.engine.rules import RuleError, compile_rules

    rule = {
        "id": "acme-token",
        "provider": "acme",
        "kind": "token",
        "anchors": ["acme"],
        "pattern": "(acme[A-Za-z0-9]{40})",
        "description": "d",
        "remediation": "r",
        "min_entropy_by_length": {"44": 4.0},
    }
    with pytest.raises(RuleError, match="min_entropy_by_length is for key-ID and secret rules"):
        compile_rules([(rule, "test", True)])
