"""Settings a PHP application stored with ``serialize()`` (a WordPress option, a CMS config column in an SQL dump):
``s:2:"ak";s:40:"<AK>";`` binds the name to its value across the length of the next string."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.rules import load_ruleset
from akscan.model import Kind
from tests.conftest import scan_text

RULES = load_ruleset()
RNG = random.Random(31)
URLSAFE = string.ascii_letters + string.digits + "-_"


def _text(n: int, alphabet: str) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def _serialized(fields: dict[str, str]) -> str:
    body = "".join(f's:{len(k)}:"{k}";s:{len(v)}:"{v}";' for k, v in fields.items())
    return f"a:{len(fields)}:{{{body}}}"


@pytest.mark.parametrize(
    ("provider", "context", "names", "shape"),
    [
        ("qiniu", "wpjam-qiniu", ("ak", "sk"), (40, URLSAFE)),
        ("qiniu", "qiniu_upload", ("accessKey", "secretKey"), (40, URLSAFE)),
        ("baidu", "bcebos.com", ("ak", "sk"), (32, "0123456789abcdef")),
        ("huawei", "obs.cn-north-4.myhuaweicloud.com", ("ak", "sk"), None),
    ],
)
def test_a_pair_in_a_serialized_option(
    provider: str, context: str, names: tuple[str, str], shape: tuple[int, str] | None
) -> None:
    if shape is None:  # Huawei: 20 upper-case letters and digits, a 40-character secret
        key_id, secret = (
            _text(20, string.ascii_uppercase + string.digits),
            _text(40, string.ascii_letters + string.digits),
        )
    else:
        key_id, secret = _text(shape[0], shape[1]), _text(shape[0], shape[1])
    option = _serialized({names[0]: key_id, names[1]: secret, "bucket": "photos", "domain": context})
    text = f"INSERT INTO `wp_options` VALUES (312,'{context}','{option}','yes');\n"
    found = [(f.provider, f.kind, f.key_id, f.secret) for f in scan_text(text, RULES)]
    assert found == [(provider, Kind.PAIR, key_id, secret)], text


def test_a_serialized_pair_naming_no_cloud_is_nothing() -> None:
    option = _serialized({"ak": _text(40, URLSAFE), "sk": _text(40, URLSAFE), "bucket": "photos"})
    assert scan_text(f"INSERT INTO `options` VALUES (1,'uploads','{option}');\n", RULES) == []
