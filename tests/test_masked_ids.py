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


@pytest.mark.parametrize("cut", ["...", "…", ".."])
def test_an_id_of_its_only_length_before_an_ellipsis_is_whole(keys: FakeKeys, cut: str) -> None:
    """A boto3 answer printed with its secret and token cut ('SecretKey': '1eT2u/i/…...') and its AccessKeyId
    left whole: AWS IDs have one length (20), so an ellipsis after 20 cuts nothing. One character less is a
    head cut short; a 20-character head of a longer value cannot match (the ID reads no 21st character)."""
    key_id = keys.aws_id("ASIA")
    secret_head = keys.aws_secret()[:20]
    text = f"{{'Credentials': {{'AccessKeyId': '{key_id}{cut}', 'SecretKey': '{secret_head}{cut}'}}}}\n"
    assert [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, RULES)] == [("aws-access-key", key_id, None)]
    assert scan_text(f"'AccessKeyId': '{key_id[:19]}{cut}'\n", RULES) == []
    assert scan_text(f"'AccessKeyId': '{key_id}A{cut}'\n", RULES) == []


@pytest.mark.parametrize(
    "line", ["ASIAKLMNEPQRTVWYGDHF...\tsignal peptide\n", "region: ASIANDEVELOPMENTBANK... (cut)\n"]
)
def test_a_run_of_capitals_cut_at_twenty_is_no_id(line: str) -> None:
    """A protein sequence shown as its first 20 residues, a log's long name cut to 20: shaped like an AWS ID
    before an ellipsis, but bound to no name that calls it one. Still a head cut short."""
    assert scan_text(line, RULES) == []


def test_a_head_of_a_rule_with_many_lengths_is_still_cut_short(keys: FakeKeys) -> None:
    """Tencent's SecretId reads 34-36 characters, Volcengine's AKLT many: before an ellipsis any of them is a
    head shown in a docs table, not a key."""
    from akscan.engine.rules import whole_width

    assert scan_text(f"SecretId: {keys.tencent_id()}...\n", RULES) == []
    assert whole_width(RULES.rule("tencent-secret-id").pattern.source.decode()) == 0
    assert whole_width(RULES.rule("aws-access-key").pattern.source.decode()) == 20
    assert whole_width("(?<![A-Z])(AK(?:IA|ID)[A-Z2-7]{16})") == 20  # alternatives of one length
    assert whole_width("(AKIA[A-Z2-7]{16}|ASIA[A-Z2-7]{17})") == 0
    assert whole_width(r"(\p{Lu}{20})") == 0  # regex-only syntax: no width


@pytest.mark.parametrize(
    "template",
    [
        "access_key: {id}..\nsecret_key: {secret}\n",  # a name that does not say "ID"
        "I set my key to {id}… and the secret to {secret}\n",  # prose: the ellipsis is punctuation
        "export AWS_ACCESS_KEY={id}...\nexport AWS_SECRET_ACCESS_KEY={secret}\n",
    ],
)
def test_an_id_with_a_digit_before_an_ellipsis_keeps_its_pair(keys: FakeKeys, template: str) -> None:
    """A whole ID holding a digit (96% of random AWS IDs) is no cut run of letters, whatever its name: an
    ellipsis after it must not silence it or its pair (an attacker's read of the name-only rule)."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    while not any(c.isdigit() for c in key_id[4:]):
        key_id = keys.aws_id()
    found = scan_text(template.format(id=key_id, secret=secret), RULES)
    assert [(f.key_id, f.secret) for f in found] == [(key_id, secret)]
