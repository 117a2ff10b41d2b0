"""Placeholders, documentation values and low-entropy strings are not credentials."""

from __future__ import annotations

import pytest

from akscan.engine.filters import looks_random, placeholder_reason, shannon_entropy
from akscan.engine.rules import Ruleset
from tests.conftest import scan_text
from tests.keys import FakeKeys

SECRET_DECOYS = [
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "your_access_key_secret_here_12",
    "YourAccessKeySecretGoesHere123",
    "abcdefghijklmnopqrstuvwxyzABCD",
    "123456789012345678901234567890",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "EXAMPLEKEYSECRETexampleKEY1234",
    "AbCdAbCdAbCdAbCdAbCdAbCdAbCdAb",
    "ChangeMe0ChangeMe0ChangeMe0Cha",
    "dummyDummyDUMMYdummy1234567890",
]


@pytest.mark.parametrize("decoy", SECRET_DECOYS)
def test_secret_placeholders_are_rejected(decoy: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    findings = scan_text(f"access_key_id = '{key_id}'\naccess_key_secret = '{decoy}'\n", ruleset)
    assert [(f.key_id, f.secret) for f in findings] == [(key_id, None)], decoy


@pytest.mark.parametrize(
    "decoy",
    [
        "LTAIxxxxxxxxxxxxxxxxxxxx",
        "LTAIXXXXXXXXXXXX",
        "LTAI5tEXAMPLEKEYID123456",
        "LTAI000000000000",
        "LTAI5tBcc9SecYAo****",
        "LTAI************",
        "LTAIyour_access_key_id",
        "<LTAI-your-key-id>",
    ],
)
def test_id_placeholders_are_rejected(decoy: str, ruleset: Ruleset) -> None:
    assert scan_text(f"ak = '{decoy}'\n", ruleset) == []


@pytest.mark.parametrize(
    "variable",
    [
        "${ALIBABA_CLOUD_ACCESS_KEY_SECRET}",
        "os.getenv('OSS_SECRET')",
        "<your-access-key-secret>",
        "{{ vault.aliyun.secret }}",
        "******",
    ],
)
def test_references_to_secrets_are_not_secrets(variable: str, ruleset: Ruleset) -> None:
    assert scan_text(f"access_key_secret = {variable}\n", ruleset) == []


def test_random_secrets_pass_the_filters(keys: FakeKeys) -> None:
    import random
    import string

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    rejected = sum(not looks_random("".join(rng.choice(alphabet) for _ in range(30)), 3.6) for _ in range(20000))
    assert rejected / 20000 < 0.002  # the filters cost almost no recall on real random keys


def test_entropy_and_reasons() -> None:
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert placeholder_reason("fooEXAMPLEbar") == "contains 'example'"
    assert placeholder_reason("aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0") is None


def test_a_short_word_inside_a_random_key_is_not_a_placeholder() -> None:
    # One random secret in ~8,000 holds "mock", "fake", "your" or "0000" somewhere inside by chance.
    assert placeholder_reason("T6SrtFmOcKRWUIhgE5jT9QA4Xha0rK") is None  # "mock", mid-value
    assert placeholder_reason("1FWCGj640OxgPDTugo1UmfakEfl7cT") is None  # "fake", mid-value
    assert placeholder_reason("fakeCGj640OxgPDTugo1Um7Efl7cTq") == "contains 'fake'"  # at an end
    assert placeholder_reason("x9mockQ2mockZr7LpW3vN8tK5hB6yD") == "contains 'mock'"  # twice


def test_documented_examples_edited_by_hand_are_still_examples(ruleset: Ruleset) -> None:
    """Google's HMAC example with a digit changed per environment, and Alibaba's AssumeRole answer sample
    pasted into a struct's comments: documentation, not keys. Three characters changed is a key."""
    spec = "\n".join(
        f"'{env}' => {{ 'access-key' => '{key}', 'secret' => 'bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ' }},"
        for env, key in (("test", "GOOGTS7C7FUP3AIRVJTE"), ("prod", "GOOGTS8C8FUP3AIRVJTE"))
    )
    assert scan_text(spec + "\n", ruleset) == []
    sample = """AccessKeyId     string `json:"accessKeyId"`     // "STS.L4aBSCSJVMuKg5U1vFDw"
AccessKeySecret string `json:"accessKeySecret"` // "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pKCNZ9",
"""
    assert scan_text(sample, ruleset) == []
    three_changed = "GOOGTS8C8FUP4AIRVJTE"
    assert [f.key_id for f in scan_text(f"gcs_access_key_id = '{three_changed}'\n", ruleset)] == [three_changed]
