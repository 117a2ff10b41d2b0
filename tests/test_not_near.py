"""A rule's ``not_near`` words: a key-ID candidate with one of them within ``not_near_bytes`` is another
product's value (Baidu Maps' browser keys beside api.map.baidu.com are no BCE AccessKeys)."""

from __future__ import annotations

import random

import pytest

from akscan.engine.rules import RuleError, compile_rules, load_ruleset
from tests.conftest import scan_text

RULESET = load_ruleset()
RULE = RULESET.rules[RULESET.by_id["baidu-context-access-key"]]
_RNG = random.Random(11)


def _hex() -> str:
    return "".join(_RNG.choice("0123456789abcdef") for _ in range(32))


def _text(distance: int, after: bool) -> tuple[str, str]:
    """A BCE pair in a file that names Baidu's SDK, and Baidu Maps' word ``distance`` bytes from the ID
    (from the word's start to the ID's start before it, or from the ID's end to the word's start after it)."""
    key_id, secret = _hex(), _hex()
    head = "from baidubce.auth.bce_credentials import BceCredentials\n"
    pair = f'ak = "{key_id}"\nsk = "{secret}"\n'
    word = "lbsyun"
    if after:
        gap = distance - len('"\nsk = "') - 32 - len('"\n')
        assert gap > 2
        return head + pair + "#" + " " * (gap - 2) + "\n" + word + "\n", key_id
    gap = distance - len(word) - len('ak = "')
    assert gap > 2
    return head + word + "#" + " " * (gap - 2) + "\n" + pair, key_id


@pytest.mark.parametrize("after", [False, True], ids=["word before", "word after"])
@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_the_word_rules_the_value_out_within_its_reach_and_not_past_it(after: bool, delta: int) -> None:
    reach = RULE.not_near_bytes
    text, key_id = _text(reach + delta, after)
    at = text.index(key_id)
    word_at = text.index("lbsyun")
    assert (at - word_at if not after else word_at - (at + 32)) == reach + delta
    found = [f.key_id for f in scan_text(text, RULESET) if f.rule_id == RULE.id]
    assert (found == [key_id]) == (delta > 0), (delta, found)


def test_without_the_word_the_pair_is_found() -> None:
    text, key_id = _text(RULE.not_near_bytes - 100, False)
    assert [f.key_id for f in scan_text(text.replace("lbsyun", "ignore"), RULESET)] == [key_id]


def test_a_maps_loader_is_not_a_baidu_cloud_key() -> None:
    """The Vue/uni-app loader: the key in a constant, the script URL built from it on another line."""
    text = (
        "export function loadBMap() {\n"
        f"  const AK = '{_hex()}'\n"
        "  const script = document.createElement('script')\n"
        "  script.src = `https://api.map.baidu.com/api?v=3.0&ak=${AK}&callback=onBMapCallback`\n"
        "}\n"
    )
    assert scan_text(text, RULESET) == []


_BASE = {
    "id": "acme",
    "provider": "acme",
    "kind": "key-id",
    "anchors": ["acme"],
    "pattern": "(?:key=)([A-Za-z0-9]{24})",
    "description": "d",
    "remediation": "r",
}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"kind": "secret", "anchors": [], "not_near": ["maps"]}, "not_near is for key-ID rules"),
        ({"not_near": ["ab"]}, "at least 3 characters"),
        ({"not_near": ["maps"], "not_near_bytes": 0}, "from 1 to 10000"),
        ({"not_near": ["maps"], "not_near_bytes": 10_001}, "from 1 to 10000"),
        ({"not_near": ["Ärger"]}, "outside ASCII must be case-insensitive"),
        ({"kind": "secret", "anchors": [], "yields_to": ["minio"]}, "yields_to is for key-ID rules"),
        ({"anchors_case_sensitive": True, "yields_to": ["minio"]}, "yields_to is for key-ID rules"),
        ({"yields_to": ["s3"]}, "at least 3 characters"),
        ({"whole_words": ["uptoken"]}, "whole_words must be some of the rule's"),
        ({"anchors_case_sensitive": True, "whole_words": ["acme"]}, "whole_words must be some of the rule's"),
    ],
)
def test_not_near_is_checked_when_rules_load(extra: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_rules([({**_BASE, **extra}, "test", True)])
    ruleset = compile_rules([({**_BASE, "not_near": ["maps"], "not_near_bytes": 10_000}, "test", True)])
    assert ruleset.rules[0].not_near == ("maps",)
    assert compile_rules([({**_BASE, "whole_words": ["ACME"]}, "test", True)]).rules[0].whole_words == ("acme",)
