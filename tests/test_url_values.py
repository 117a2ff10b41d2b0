"""What a URL holds beside a key ID: its path and its signature are no secrets (a presigned URL carries the
ID and, for temporary keys, the token, never the secret); user information (s3n://ID:SECRET@bucket) is one.
And a secret glued to its ID (bce-v3/ALTAK-…/<secret>) is that ID's, whatever secret is named nearby."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.positions import Positions
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

ALNUM = string.ascii_letters + string.digits


def _text(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


@pytest.mark.parametrize(
    ("line", "value", "inside"),
    [
        (b"u = 'https://x.tos-cn-shanghai.volces.com/research/abc'", b"research", True),
        (b"https://hooks.example.com/services/abcdef", b"abcdef", True),
        (b"u = 'https://b.oss.aliyuncs.com/a.png?x-oss-signature=QmFzZTY0", b"QmFzZTY0", True),
        (b"GET /a?Signature=QmFzZTY0&Expires=1", b"QmFzZTY0", True),
        (b"s3n://AKIAXXXX:abc/def@bucket/path", b"abc", False),  # user information: a secret
        (b"a = 'http://h/p?x=1&k=SECRET'", b"SECRET", False),
        (b"see https://h.example.com/ then secret.abc", b"abc", False),  # a space ends the URL
        (b"secret = 'QmFzZTY0'  # Signature=", b"QmFzZTY0", False),
    ],
)
def test_what_lies_in_a_urls_path_or_signature(line: bytes, value: bytes, inside: bool) -> None:
    assert Positions(line).in_url_path(line.index(value)) is inside


def test_a_presigned_urls_signature_is_not_its_ids_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    rng = random.Random(3)
    key_id, token = keys.sts_id(), keys.sts_token()
    url = (
        f"https://b.oss-cn-hangzhou.aliyuncs.com/a.png?x-oss-access-key-id={key_id}&x-oss-expires=1714462432"
        f"&x-oss-signature={_text(rng, 33)}%2F%2F5&x-oss-security-token={token}"
    )
    findings = scan_text(f'String u = "{url}";\n', ruleset)
    assert [(f.key_id, f.kind, f.secret) for f in findings] == [(key_id, Kind.KEY_ID, None)]


def test_a_path_beside_a_presigned_urls_id_is_not_its_secret(ruleset: Ruleset) -> None:
    rng = random.Random(4)
    key_id = "AKTP" + _text(rng, 43)
    url = (
        "https://edu.tos-cn-shanghai.volces.com/research/documents/cmmtcf1rp0001igj0iiuz5hxk/a.pdf"
        f"?X-Tos-Algorithm=TOS4-HMAC-SHA256&X-Tos-Credential={key_id}%2F20260324%2Fcn-shanghai%2Ftos%2Frequest"
    )
    findings = scan_text(f"const URL = '{url}';\n", ruleset)
    assert [(f.key_id, f.secret) for f in findings] == [(key_id, None)]


def test_user_information_is_still_a_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), keys.aws_secret().replace("/", "x")
    findings = scan_text(f'df = spark.read.parquet("s3n://{key_id}:{secret}@bucket/path")\n', ruleset)
    assert [(f.key_id, f.secret) for f in findings] == [(key_id, secret)]


def test_a_secret_glued_to_its_id_wins_over_a_named_one(ruleset: Ruleset) -> None:
    """Qianfan's API key is bce-v3/ALTAK-…/<40 hex>: that half is the AK's secret, not the SECRET_KEY of
    another service on the next line (which had been taken: a wrong pair)."""
    rng = random.Random(5)
    key_id, glued, other = (
        "ALTAK-" + _text(rng, 21),
        _text(rng, 40, "0123456789abcdef"),
        _text(rng, 32, "0123456789abcdef"),
    )
    text = f'API_KEY = "bce-v3/{key_id}/{glued}"\nSECRET_KEY = "{other}"\n'
    findings = scan_text(text, ruleset)
    assert [(f.key_id, f.secret) for f in findings if f.key_id] == [(key_id, glued)]


@pytest.mark.parametrize(
    "layout",
    [
        "aws_access_key_id = {id}:{decoy}\naws_secret_access_key = {real}\n",
        "{id}:{decoy} aws_secret_access_key={real}\n",
        "aws_secret_access_key={real} {id}:{decoy}\n",
    ],
)
def test_text_glued_to_an_id_does_not_take_it_from_its_named_secret(
    ruleset: Ruleset, keys: FakeKeys, layout: str
) -> None:
    """Only the forms that say so glue a secret to its ID (bce-v3/ID/SECRET, scheme://ID:SECRET@host): a
    planted `ID:junk` had taken the ID from its named secret, and with --verify --only-live the wrong pair
    (invalid) and the lone real secret would both have been hidden."""
    key_id, real, decoy = keys.aws_id(), keys.aws_secret(), keys.aws_secret()
    findings = scan_text(layout.format(id=key_id, real=real, decoy=decoy), ruleset)
    assert [(f.key_id, f.secret) for f in findings if f.key_id] == [(key_id, real)]
