"""Volcengine temporary credentials as an STS answer gives them: an AKTP key ID, an 88-character secret and
an ``STS2…`` session token (the base64 of a JSON document naming the permanent AKLT key that issued it, the
AKTP ID again, a signed secret and ``ExpiredTime``). Seen in three files of blind round 3l, which akscan
reported as a lone AKTP ID, or as the issuing AKLT ID paired with the temporary secret (read out of the
token by the base64 layer)."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from akscan.engine.detect import _token_end
from akscan.engine.filters import placeholder_reason, volcengine_id
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text

HEX = "0123456789abcdef"


def _volcengine_id(rng: random.Random, prefix: str) -> str:
    return prefix + base64.b64encode("".join(rng.choice(HEX) for _ in range(32)).encode()).decode().rstrip("=")


def _token(rng: random.Random, issuer: str, key_id: str, expired: object, version: str = "STS2") -> str:
    document = {
        "LTAccessKeyId": base64.b64encode(issuer.encode()).decode(),
        "AccessKeyId": base64.b64encode(key_id.encode()).decode(),
        "SignedSecretAccessKey": base64.b64encode(rng.randbytes(60)).decode(),
        "ExpiredTime": expired,
        "PolicyString": '{"Statement":[{"Effect":"Allow","Action":["vod:*"],"Resource":["*"]}]}',
        "Signature": rng.randbytes(32).hex(),
    }
    return version + base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()


@pytest.mark.parametrize("version", ["STS2", "STS"])
def test_a_temporary_triple_is_one_credential_with_the_end_its_token_states(ruleset: Ruleset, version: str) -> None:
    rng = random.Random(7)
    issuer, key_id = _volcengine_id(rng, "AKLT"), _volcengine_id(rng, "AKTP")
    secret = base64.b64encode(rng.randbytes(64)).decode()  # 88 characters, "==" at its end
    assert len(secret) == 88
    token = _token(rng, issuer, key_id, 1626977581, version)
    text = f"access_key = '{key_id}'\nsecret_key = '{secret}'\nsecurity_token = '{token}'\nregion = 'cn-north-1'\n"
    found = scan_text(text, ruleset)
    assert [(f.kind, f.key_id, f.secret, f.security_token, f.expires_at) for f in found] == [
        (Kind.STS, key_id, secret, token, "2021-07-22T18:13:01Z")
    ]  # and nothing of the issuing AKLT key the token names inside


def test_an_end_written_beside_the_keys_wins_over_the_tokens(ruleset: Ruleset) -> None:
    rng = random.Random(8)
    issuer, key_id = _volcengine_id(rng, "AKLT"), _volcengine_id(rng, "AKTP")
    secret = base64.b64encode(rng.randbytes(64)).decode()
    token = _token(rng, issuer, key_id, 1626977581)
    text = (
        f'{{"AccessKeyId": "{key_id}", "SecretAccessKey": "{secret}", "SessionToken": "{token}",\n'
        ' "ExpiredTime": "2030-01-02T03:04:05Z"}\n'
    )
    assert [f.expires_at for f in scan_text(text, ruleset)] == ["2030-01-02T03:04:05Z"]


@pytest.mark.parametrize(
    ("expired", "end"),
    [
        (10**9 - 1, None),  # below the range of an epoch in seconds
        (10**9, "2001-09-09T01:46:40Z"),
        (10**10 - 1, "2286-11-20T17:46:39Z"),
        (10**10, None),  # past it: milliseconds, or made up
        (True, None),  # JSON's true is no time
        ("1626977581", None),  # a string is not how the token writes it
    ],
)
def test_the_end_read_from_a_token_at_its_edges(expired: object, end: str | None) -> None:
    rng = random.Random(9)
    token = _token(rng, _volcengine_id(rng, "AKLT"), _volcengine_id(rng, "AKTP"), expired)
    assert _token_end(token) == end


@pytest.mark.parametrize(
    "token",
    [
        "STS2" + base64.b64encode(b"[" * 3000).decode(),  # nested past the JSON parser's depth
        "STS2" + base64.b64encode(b'{"ExpiredTime": 1626977581').decode(),  # cut short
        "STS2eyJ" + "A" * 200,  # not JSON once decoded
        "STS2eyJ%%%",  # not base64
        "CAISabc",  # another cloud's token
    ],
)
def test_a_hostile_or_broken_token_has_no_end(token: str) -> None:
    assert _token_end(token) is None


def test_an_issued_id_edited_by_hand_is_no_key(ruleset: Ruleset) -> None:
    """An SDK demo's sample answer whose AKTP ID had characters cut out: it starts as base64 of hex digits
    and then stops (it was reported as a key)."""
    rng = random.Random(10)
    issued = _volcengine_id(rng, "AKTP")
    edited = issued[:20] + issued[21:26] + "G" + issued[26:]
    assert volcengine_id(issued) and not volcengine_id(edited)
    assert [f.key_id for f in scan_text(f'"AccessKeyId": "{issued}",\n', ruleset)] == [issued]
    assert scan_text(f'"AccessKeyId": "{edited}",\n', ruleset) == []


def test_a_body_of_random_base64_is_left_to_the_entropy_floor() -> None:
    rng = random.Random(11)
    alphabet = string.ascii_letters + string.digits + "_-"
    bodies = ["AKLT" + "".join(rng.choice(alphabet) for _ in range(43)) for _ in range(10_000)]
    assert sum(not volcengine_id(body) for body in bodies) == 0


def test_a_tos_sts_answer_with_its_dotted_token(ruleset: Ruleset) -> None:
    """TOS's STS answer as a web app pastes it: a newer AKTP ID (not base64 of hex), a 43-character secret
    and the dotted nC….… token on the line after its name (round 3o: reported without its token)."""
    rng = random.Random(12)
    alphabet = string.ascii_letters + string.digits
    key_id = "AKTP" + "".join(rng.choice(alphabet) for _ in range(42))
    secret = "".join(rng.choice(alphabet) for _ in range(43))
    token = (
        "nC"
        + "".join(rng.choice(alphabet) for _ in range(11))
        + "."
        + "".join(rng.choice(alphabet + "-_") for _ in range(300))
    )
    text = (
        "cert: {\n"
        '  ExpiredTime: "2023-12-14T12:09:37+08:00",\n'
        f'  AccessKeyId: "{key_id}",\n'
        f'  SecretAccessKey: "{secret}",\n'
        "  SessionToken:\n"
        f'    "{token}",\n'
        "},\n"
    )
    assert [(f.kind, f.key_id, f.secret, f.security_token, f.expires_at) for f in scan_text(text, ruleset)] == [
        (Kind.STS, key_id, secret, token, "2023-12-14T12:09:37+08:00")
    ]
    unnamed = text.replace("SessionToken:", "Description:")
    assert [f.security_token for f in scan_text(unnamed, ruleset)] == [None]  # a dotted run under no token name


def test_a_token_that_decodes_to_its_document_proves_itself(ruleset: Ruleset) -> None:
    """An STS2 token's head is base64 of JSON holding base64 of hex digits, not typed text: where it repeats
    a fragment as a placeholder does (here a field of zeros first), the document it decodes to, with the
    key ID in it, still makes it a token, and the key is temporary, not a permanent pair."""
    rng = random.Random(15)
    key_id = _volcengine_id(rng, "AKTP")
    document = {"Version": "0" * 40, "AccessKeyId": key_id, "ExpiredTime": 1626977581}  # zeros first
    token = "STS2" + base64.b64encode(json.dumps(document).encode()).decode()
    assert placeholder_reason(token[:64]) is not None  # the head alone would read as typed
    secret = base64.b64encode(rng.randbytes(64)).decode()
    text = f"access_key = '{key_id}'\nsecret_key = '{secret}'\nsecurity_token = '{token}'\n"
    assert [(f.kind, f.key_id, f.security_token) for f in scan_text(text, ruleset)] == [(Kind.STS, key_id, token)]
    edited = token[:40] + "%%" + token[42:]  # no longer decodes: judged as any token, and its head fails
    assert [f.kind for f in scan_text(text.replace(token, edited), ruleset)] == [Kind.PAIR]


def test_a_base64_value_beside_the_token_does_not_open_it(ruleset: Ruleset) -> None:
    """Decoding the lines around another base64 value that shows a key-ID anchor must not decode the token
    on the line above: the issuing AKLT ID it names had come back paired with the temporary secret."""
    rng = random.Random(13)
    issuer, key_id = _volcengine_id(rng, "AKLT"), _volcengine_id(rng, "AKTP")
    secret = base64.b64encode(rng.randbytes(64)).decode()
    token = _token(rng, issuer, key_id, 1626977581)
    note = base64.b64encode(b"AKLT and AKTP keys come from the IAM console").decode()
    text = f"access_key = '{key_id}'\nsecret_key = '{secret}'\nsecurity_token = '{token}'\nnote = '{note}'\n"
    assert [(f.kind, f.key_id) for f in scan_text(text, ruleset)] == [(Kind.STS, key_id)]


@pytest.mark.parametrize("suffix", ["-", "_1", "-prod"])
def test_an_issued_id_with_a_suffix_in_its_run_is_still_read(ruleset: Ruleset, suffix: str) -> None:
    """Only the ID's own 40 body characters are judged: what the run holds after it is not its shape."""
    rng = random.Random(14)
    key_id = _volcengine_id(rng, "AKLT")
    secret = base64.b64encode("".join(rng.choice(HEX) for _ in range(32)).encode()).decode()
    found = scan_text(f"VOLCENGINE_ACCESS_KEY={key_id}{suffix}\nVOLCENGINE_SECRET_KEY={secret}\n", ruleset)
    assert [(f.kind, f.secret) for f in found] == [(Kind.PAIR, secret)]
