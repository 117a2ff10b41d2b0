"""A secret one character off the length its cloud issues (``exact_length``): real files hold AWS secrets of
39 and 41 characters beside their AKIA IDs (a README that lost the last character, a Go config with one key
pressed twice) — a leak a few dozen guesses from whole, reported as the pair. Alone, or as a mistyped copy
beside the whole pair of the same ID, it is no finding of its own."""

from __future__ import annotations

import pytest

from akscan.engine.rules import RuleError, Ruleset, compile_rules
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

SDK = 'const s3 = new S3Client({{\n  credentials: {{\n    accessKeyId: "{id}",\n    secretAccessKey: "{secret}",\n'


def _found(text: str, ruleset: Ruleset) -> list[tuple[Kind, str | None, str | None]]:
    return [(f.kind, f.key_id, f.secret) for f in scan_text(text, ruleset)]


@pytest.mark.parametrize("length", [38, 39, 40, 41, 42])
def test_a_secret_one_character_off_pairs_with_its_id(length: int, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.aws_id()
    secret = (keys.aws_secret() * 2)[:length]
    found = _found(SDK.format(id=key_id, secret=secret), ruleset)
    if length in (39, 40, 41):
        assert found == [(Kind.PAIR, key_id, secret)]
    else:  # two off: no longer the key's shape
        assert found == [(Kind.KEY_ID, key_id, None)]


@pytest.mark.parametrize("length", [39, 40, 41])
def test_alone_only_the_issued_length_is_reported(length: int, ruleset: Ruleset, keys: FakeKeys) -> None:
    secret = (keys.aws_secret() * 2)[:length]
    found = _found(f"AWS_SECRET_ACCESS_KEY={secret}\n", ruleset)
    assert found == ([(Kind.SECRET, None, secret)] if length == 40 else [])


def test_a_mistyped_copy_beside_the_whole_pair_is_not_a_second_finding(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A hackathon's uploader: the config's pair, then a commented JSON block repeating the ID with a copy of
    the secret that lost one character."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    text = SDK.format(id=key_id, secret=secret) + "  }\n});\n" + "\n" * 20
    text += f'// {{"accessKeyId": "{key_id}",\n//  "secretAccessKey": "{secret[:17] + secret[18:]}"}}\n'
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]


def test_a_near_copy_of_another_ids_secret_still_pairs(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Only the same ID's whole pair sets a near-length copy aside: another ID's 39-character secret is its own."""
    first, second = keys.aws_id(), keys.aws_id()
    whole, short = keys.aws_secret(), keys.aws_secret()[:39]
    text = SDK.format(id=first, secret=whole) + "  }\n});\n" + "\n" * 20 + SDK.format(id=second, secret=short)
    assert sorted(_found(text, ruleset)) == sorted([(Kind.PAIR, first, whole), (Kind.PAIR, second, short)])


_BASE = {
    "id": "acme-secret",
    "provider": "acme",
    "kind": "secret",
    "anchors": [],
    "pattern": "(?:key=)([A-Za-z0-9]{23,25})",
    "description": "d",
    "remediation": "r",
}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"exact_length": True}, "exact_length must be a whole number"),
        ({"exact_length": -1}, "exact_length must be a whole number"),
        ({"exact_length": 4097}, "exact_length must be a whole number"),
        ({"exact_length": "24"}, "exact_length must be a whole number"),
        ({"kind": "key-id", "anchors": ["acme"], "exact_length": 24}, "exact_length is for secret rules"),
    ],
)
def test_exact_length_is_checked_when_rules_load(extra: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_rules([({**_BASE, **extra}, "test", True)])
    assert compile_rules([({**_BASE, "exact_length": 4096}, "test", True)]).rules[0].exact_length == 4096


def test_a_near_length_pair_is_never_sent_to_be_verified(ruleset: Ruleset, keys: FakeKeys) -> None:
    """As written it cannot sign: STS would call a live key invalid. It is said, and nothing is sent."""
    from akscan.verify import unasked

    key_id, secret = keys.aws_id(), keys.aws_secret()
    (near,) = scan_text(SDK.format(id=key_id, secret=secret[:39]), ruleset)
    verdict = unasked(near)
    assert verdict is not None and verdict.status == "unverifiable" and "39 characters" in verdict.reason
    (whole,) = scan_text(SDK.format(id=key_id, secret=secret), ruleset)
    assert unasked(whole) is None and not whole.unverifiable


def test_a_near_length_copy_nearer_the_id_never_takes_it_from_its_whole_secret(
    ruleset: Ruleset, keys: FakeKeys
) -> None:
    """A 41-character value (planted, or a mistyped copy) between the ID and its real secret: the whole one pairs."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    decoy = keys.aws_secret() + "Q"
    text = (
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {decoy}\naws_secret_access_key = {secret}\n"
    )
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]


def test_a_near_length_value_elsewhere_does_not_spoil_a_far_pair(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Far pairing takes the one secret of the blob: a 41-character value under another name is not one."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    filler = "".join(f"setting_{n} = {n}\n" for n in range(80))
    text = (
        f"aws_access_key_id = {key_id}\n{filler}aws_secret_access_key = {secret}\n"
        f"backup_aws_secret_access_key = {keys.aws_secret()}Q\n"
    )
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]
