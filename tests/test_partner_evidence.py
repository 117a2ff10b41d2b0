"""What the text around a credential says about its other half, from the twelfth sitting's blind rounds:
names glued without separators, a "token" that holds the whole credential, a long-term ID beside a
session token, and hand-typed sketches whose impossible half marks the whole block as made up."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.rules import load_ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

RULES = load_ruleset()
ALNUM = string.ascii_letters + string.digits


def _text(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _pairs(text: str, path: str = "sample.txt") -> list[tuple[str, str | None, str | None]]:
    return [(f.provider, f.key_id, f.secret) for f in scan_text(text, RULES, path)]


def test_acronym_names_split_like_words() -> None:
    """``AWSAccessKey``/``AWSSecretKey`` (C# App.config, a seed script's JSON): the acronym is its own word,
    so the two names agree instead of contradicting (``awsaccess`` against ``awssecret``)."""
    from akscan.engine.names import words

    assert words("AWSAccessKey") == ["aws", "access", "key"] and words("OSSAccessKeyID") == [
        "oss",
        "access",
        "key",
        "id",
    ]
    keys = FakeKeys(21)
    key_id, secret = keys.aws_id(), keys.aws_secret()
    text = f'<add key="AWSAccessKey" value="{key_id}" />\n<add key="AWSSecretKey" value="{secret}" />\n'
    assert _pairs(text) == [("aws", key_id, secret)]


def test_names_glued_without_separators_agree() -> None:
    """``APIKEY``/``APISECRET`` (a Go const block of the Baidu AI SDK): one word each, read as ``api`` +
    ``key`` and ``api`` + ``secret``; ``smsaccesskeyid`` still contradicts ``ossaccesskeysecret``."""
    from akscan.engine.names import agreement

    assert agreement("APIKEY", "APISECRET") == 0
    assert agreement("ossaccesskeyid", "ossaccesskeysecret") == 1
    assert agreement("smsaccesskeyid", "ossaccesskeysecret") == -1
    rng = random.Random(22)
    api_key, secret = _text(rng, 24), _text(rng, 32)
    text = (
        'import "github.com/chenqinghe/baidu-ai-go-sdk/vision/ocr"\n\n'
        f'const (\n\tAPIKEY    = "{api_key}"\n\tAPISECRET = "{secret}"\n)\n'
    )
    assert _pairs(text, "main.go") == [("baidu", api_key, secret)]


def test_a_token_that_holds_the_id_leaves_its_secret_free() -> None:
    """``const token = 'bce-v3/ALTAK-…/<secret>;<session token>'``: Tencent's `token =` rule reads the whole
    bearer as a session token; it holds the Baidu ID, so it is the credential itself, and the secret
    inside it still pairs (temporary, with Baidu's session token)."""
    rng = random.Random(23)
    key_id = "ALTAK-" + _text(rng, 21)
    secret = _text(rng, 40, "0123456789abcdef")
    token = "ZjkyZmQ2YmQxZTQ3NDcyNjk0ZTg1ZjYyYjlkZjNjODB8" + _text(rng, 300, ALNUM + "+/") + "=="
    found = scan_text(f"const token = 'bce-v3/{key_id}/{secret};{token}';\n", RULES, "App.jsx")
    assert [(f.key_id, f.secret, f.kind) for f in found] == [(key_id, secret, Kind.STS)]
    assert found[0].security_token == token


def test_a_long_term_aws_id_never_takes_a_session_token() -> None:
    """An AKIA key is long-term: a session token beside it (another key's, under ``API_TOKEN``) is not its
    own, so the pair stays a permanent key (high), not a temporary one (medium)."""
    keys = FakeKeys(24)
    key_id, secret = keys.aws_id(), keys.aws_secret()
    token = "IQoJb3JpZ2luX2Vj" + _text(random.Random(24), 400, ALNUM + "+/") + "=="
    text = (
        f"os.environ['AWS_ACCESS_KEY_ID'] = '{key_id}'\nos.environ['AWS_SECRET_ACCESS_KEY'] = '{secret}'\n"
        f"os.environ['API_TOKEN'] = '{token}'\n"
    )
    [finding] = scan_text(text, RULES, "app.py")
    assert (finding.key_id, finding.secret, finding.kind, finding.security_token) == (key_id, secret, Kind.PAIR, None)
    # the same triple with an ASIA key is temporary (control)
    asia = "ASIA" + key_id[4:]
    [temporary] = scan_text(text.replace(key_id, asia), RULES, "app.py")
    assert (temporary.kind, temporary.security_token) == (Kind.STS, token)


def _sketch(secret_value: str, key_id: str) -> str:
    return (
        "    \"\"\"Example:\n        {'AccessKeyId': '" + key_id + "',\n"
        "         'SecretAccessKey': '" + secret_value + "',\n"
        "         'SessionToken': 'FwoGZf35YXdzEI3//////////wEaDBQJZuRBd0ja6UFC'}\n    \"\"\"\n"
    )


@pytest.mark.parametrize(
    ("secret_value", "reported"),
    [
        ("kKJ(324kljd,sfs.sl32423489/dakwu423nsdf", False),  # hand-typed: three filler marks, digits
        ("kKJ(324kljd,sfs0sl32423489/dakwu423nsdf", False),  # two marks: the edge
        ("kKJ(324kljd0sfs0sl32423489/dakwu423nsdf", True),  # one mark: a typo in a real one, maybe
        ("kKJ(abckljd,sfs.slabcdefgh/dakwuabcnsdf", True),  # no digits to speak of: prose, not filler
        ("kKJ(a2bk3ljd,sfs.slab4cdefgh/dakwuabcnsdf", True),  # three digits: under the edge
        ("kKJ(a2bk3ljd,sfs.slab4cd5fgh/dakwuabcnsdf", False),  # four digits: at it
    ],
)
def test_an_id_beside_a_hand_typed_secret_is_a_sketch(secret_value: str, reported: bool) -> None:
    """A docstring sketching an AssumeRole answer: its ASIA ID sits beside a "secret" with commas and
    brackets no cloud issues. Two or more such marks and four digits make the block a sketch; the ID
    alone is then not reported. Fewer, and it is (a real ID beside a mistyped secret still leaks)."""
    key_id = FakeKeys(25).aws_id("ASIA")
    found = [f.key_id for f in scan_text(_sketch(secret_value, key_id), RULES, "orgs.py")]
    assert found == ([key_id] if reported else [])


@pytest.mark.parametrize(("key_id", "reported"), [("AKIAE2647DD83A384175", False), ("AKIAEZ647DD73A3Z4Y75", True)])
def test_a_secret_beside_an_impossible_aws_id_is_a_generated_demo(key_id: str, reported: bool) -> None:
    """A Vault demo seeds generated pairs: ``AKIA`` and 16 hex digits (0, 1, 8, 9 are no base32 digits, so
    AWS never issued it). The named secret beside it is the demo's, not reported alone; beside an ID of
    AWS's alphabet that only misses its secret's pattern, it is (control: the secret is reported)."""
    secret = FakeKeys(26).aws_secret()
    text = (
        'resource "vault_kv_secret_v2" "aws_1" {\n  data_json = jsonencode(\n    {\n'
        f'      aws_access_key_id = "{key_id}",\n      aws_secret_key    = "{secret}"\n    }}\n  )\n}}\n'
    )
    found = scan_text(text, RULES, "main.tf")
    assert any(f.secret == secret for f in found) == reported


def test_an_id_is_never_its_secrets_name() -> None:
    """``Auth('LTAI…', '<secret>')`` reads like a SQL row's ``'name', 'value'``; an ID with no digits whose
    letters split into words (``LTA Id VDx …``) once made its own secret "named as an ID" and unpaired it
    (2 of 1,000 uniformly drawn pairs)."""
    key_id, secret = "LTAIdVDxWUclUUVENCUHmJSQ", FakeKeys(27).alibaba_secret()
    assert _pairs(f"clients.append(oss2.Auth('{key_id}', '{secret}'))\n", "app.py") == [("alibaba", key_id, secret)]
