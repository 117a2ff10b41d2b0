"""Baidu AI application keys under names of several apps in one file (``API_KEY1``, ``RENTI_API_KEY``,
``API_KEY_BODY``), read only where the name's other word is one of Baidu AI's products or a number: another
service's ``XUNFEI_API_KEY`` or ``WEATHER_API_KEY`` in a file that imports the aip SDK is not Baidu's, and never
takes Baidu's secret (an attacker's read of the first version, which took any word before ``_API_KEY``)."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.rules import Ruleset
from tests.conftest import scan_text

ALNUM = string.ascii_letters + string.digits


def _value(rng: random.Random, length: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _pairs(text: str, ruleset: Ruleset) -> set[tuple[str | None, str | None]]:
    return {(f.key_id, f.secret) for f in scan_text(text, ruleset)}


@pytest.mark.parametrize("name", ["XUNFEI", "LLM", "WEATHER", "AMAP", "TULING", "OPENAI"])
def test_another_services_api_key_beside_the_aip_sdk_is_not_baidus(name: str, ruleset: Ruleset) -> None:
    rng = random.Random(name)
    text = (
        "# 百度语音\nfrom aip import AipSpeech\n"
        f"{name}_API_KEY = '{_value(rng, 24)}'\n{name}_API_SECRET = '{_value(rng, 32)}'\n"
    )
    assert scan_text(text, ruleset) == []


@pytest.mark.parametrize("other", ["WEATHER", "TULING"])
def test_another_key_between_baidus_never_takes_its_secret(other: str, ruleset: Ruleset) -> None:
    rng = random.Random(other)
    key, secret = _value(rng, 24), _value(rng, 32)
    text = (
        f"from aip import AipSpeech\nBAIDU_API_KEY = '{key}'\n{other}_API_KEY = '{_value(rng, 24)}'\n"
        f"BAIDU_SECRET_KEY = '{secret}'\n"
    )
    assert _pairs(text, ruleset) == {(key, secret)}


@pytest.mark.parametrize("prefix", ["RENTI", "WENZI", "OCR", "FACE", "BAIDU_OCR"])
def test_a_product_named_apps_keys_are_baidus(prefix: str, ruleset: Ruleset) -> None:
    rng = random.Random(prefix)
    key, secret = _value(rng, 24), _value(rng, 32)
    text = (
        f"AipBodyAnalysis client = new AipBodyAnalysis({prefix}_APP_ID, {prefix}_API_KEY, {prefix}_SECRET_KEY);\n"
        f'static final String {prefix}_API_KEY = "{key}";\nstatic final String {prefix}_SECRET_KEY = "{secret}";\n'
    )
    assert _pairs(text, ruleset) == {(key, secret)}


def test_numbered_apps_grouped_by_kind_pair_by_their_numbers(ruleset: Ruleset) -> None:
    """``API_KEY1``, ``API_KEY2``, then ``SECRET_KEY1``, ``SECRET_KEY2``: the number that ends a name says which
    app it is (by distance alone the first key took the second secret)."""
    rng = random.Random(3)
    k1, k2, s1, s2 = _value(rng, 24), _value(rng, 24), _value(rng, 32), _value(rng, 32)
    text = (
        "from aip import AipOcr, AipFace\nAPP_ID1 = '11483939'\nAPP_ID2 = '11483940'\n"
        f"API_KEY1 = '{k1}'\nAPI_KEY2 = '{k2}'\nSECRET_KEY1 = '{s1}'\nSECRET_KEY2 = '{s2}'\n"
    )
    assert _pairs(text, ruleset) == {(k1, s1), (k2, s2)}


def test_a_services_array_with_a_baidu_entry_is_not_baidus(ruleset: Ruleset) -> None:
    """A PHP array of push and messaging services, one of them named baidu: the others' keys are theirs."""
    rng = random.Random(4)
    text = (
        "<?php\nreturn [\n    'baidu' => [\n        'enabled' => true,\n    ],\n    'jpush' => [\n"
        f"        'app_key' => '{_value(rng, 24, '0123456789abcdef')}',\n"
        f"        'master_secret' => '{_value(rng, 24, '0123456789abcdef')}',\n    ],\n    'leancloud' => [\n"
        f"        'app_key' => '{_value(rng, 24)}',\n        'master_key' => '{_value(rng, 24)}',\n    ],\n"
        f"    'wechat' => [\n        'secret' => '{_value(rng, 32, '0123456789abcdef')}',\n    ],\n];\n"
    )
    assert scan_text(text, ruleset) == []


@pytest.mark.parametrize(
    "head",
    ["obs:\n  host: localhost\n  port: 4455\n", '{"obs": {"host": "localhost"},\n', "# OBS: rotate every 90 days\n"],
    ids=["obs studio yaml", "obs json", "a comment"],
)
def test_the_word_obs_is_no_huawei_context(head: str, ruleset: Ruleset) -> None:
    rng = random.Random(head)
    key_id = _value(rng, 20, string.ascii_uppercase + string.digits)
    text = f"{head}storage:\n  access_key: '{key_id}'\n  secret_key: '{_value(rng, 40)}'\n"
    assert [f.provider for f in scan_text(text, ruleset)] == []


def test_comment_banners_keep_the_rule_on(ruleset: Ruleset) -> None:
    """Slash banners through a file that imports the aip SDK: the positional-list branch tried its comment
    lookbehind at every byte, timed out on 21 KB of ordinary Java and switched the rule off for the scan."""
    rng = random.Random(6)
    key, secret = _value(rng, 24), _value(rng, 32)
    banner = "    " + "/" * 80 + "\n    // key handling\n    " + "/" * 80 + "\n    private String key = null;\n"
    block = (banner * 12 + "AipOcr client = null;\n") * 4  # the SDK's name through the file: windows everywhere
    text = (
        "import com.baidu.aip.ocr.AipOcr;\n"
        + block
        + f'AipOcr client = null;\n    public static final String API_KEY = "{key}";\n'
        + f'    public static final String SECRET_KEY = "{secret}";\n'
        + block
    )
    assert _pairs(text, ruleset) == {(key, secret)}
    assert "baidu-ai-api-key" not in ruleset.switched_off  # the old pattern timed out here
