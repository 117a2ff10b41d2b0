"""A SecretKey written whole beside its SecretId shown masked (a key-rotation note: 新 SecretId：AKIDD8…EiRS,
新 SecretKey：<32>): the secret leaked. Reported as the pair the text shows, the ID as written (UTF-8), and
never sent; a masked ID alone, or with its secret masked too, is documentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from akscan.engine.rules import load_ruleset
from akscan.model import Kind
from tests.conftest import run_akscan, scan_text
from tests.keys import FakeKeys

RULES = load_ruleset()


@pytest.mark.parametrize("mask", ["…", "...", "****"])
def test_the_secret_beside_a_masked_id_is_reported_with_the_id_as_written(keys: FakeKeys, mask: str) -> None:
    head, secret = keys.tencent_id(), keys.tencent_secret()
    masked = head[:6] + mask + head[-4:]
    [finding] = scan_text(f"- 新 SecretId：{masked}\n- 新 SecretKey：{secret}\n", RULES)
    assert (finding.rule_id, finding.kind, finding.key_id, finding.secret) == (
        "tencent-masked-secret-id",
        Kind.PAIR,
        masked,
        secret,
    )
    assert "masked" in finding.unverifiable


@pytest.mark.parametrize(
    "text",
    [
        "SecretId: AKIDz8…Ex9q\n",  # the masked ID alone
        "SecretId: AKIDz8…Ex9q\nSecretKey: ********************************\n",  # both masked
        "SecretId: AKID…\nSecretKey: {secret}\n",  # no tail: a head cut short, no masked ID
    ],
)
def test_documentation_is_not_reported(text: str, keys: FakeKeys) -> None:
    assert scan_text(text.format(secret=keys.tencent_secret()), RULES) == []


def test_a_whole_id_keeps_its_own_rule(keys: FakeKeys) -> None:
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    [finding] = scan_text(f"SecretId: {key_id}\nSecretKey: {secret}\n", RULES)
    assert (finding.rule_id, finding.key_id) == ("tencent-secret-id", key_id)


@pytest.mark.parametrize("masked", ["AKIDab…cd", "{head}…{tail}"])
def test_a_masked_id_never_takes_a_whole_ids_secret(keys: FakeKeys, masked: str) -> None:
    """The whole ID, then a masked one (another key's, or its own as a console shows it), then the secret:
    the whole pair is reported, as before the masked rule; the masked ID takes nothing."""
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    shown = masked.format(head=key_id[:6], tail=key_id[-4:])
    found = scan_text(f"SecretId: {key_id}\nSecretId: {shown}\nSecretKey: {secret}\n", RULES)
    assert [(f.rule_id, f.kind, f.key_id, f.secret) for f in found] == [
        ("tencent-secret-id", Kind.PAIR, key_id, secret)
    ]


def test_a_masked_id_beside_any_32_characters_is_no_pair(keys: FakeKeys) -> None:
    """An ETag or a commit ID beside a masked ID in a log: no secret key's name near, nothing reported."""
    text = f"auth AKIDxy***z9 etag={keys.tencent_secret()}\ncommit AKIDab...cd {keys.tencent_secret()}\n"
    assert scan_text(text, RULES) == []


def test_verify_sends_nothing_and_json_keeps_the_id_as_written(tmp_path: Path, keys: FakeKeys) -> None:
    head, secret = keys.tencent_id(), keys.tencent_secret()
    masked = head[:6] + "…" + head[-4:]
    (tmp_path / "notes.md").write_text(f"secret_id = {masked}\nsecret_key = {secret}\n", encoding="utf-8")
    result = run_akscan(
        "scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", "tencent=http://127.0.0.1:9"
    )
    [finding] = json.loads(result.out)["findings"]
    assert (finding["key_id"], finding["verification"]["status"]) == (masked, "unverifiable")
    assert secret not in result.out
