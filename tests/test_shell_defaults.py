"""Keys written as a shell parameter's default (``${OSS_ACCESS_KEY_ID:-LTAI…}`` in an entrypoint, a compose file,
an exported setting): the ``-`` of ``:-`` before a value is the expansion's, not part of a longer token."""

from __future__ import annotations

import base64
import random
import string

import pytest

from akscan.engine.rules import load_ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys
from tests.rule_shapes import URLSAFE

RULES = load_ruleset()
ALNUM = string.ascii_letters + string.digits


RNG = random.Random(23)


def _text(n: int, alphabet: str = ALNUM) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return _text(n, "0123456789abcdef")


def _volcengine() -> tuple[str, str]:
    key_id = "AKLT" + base64.b64encode(_hex(32).encode()).decode().rstrip("=")
    return key_id, base64.b64encode(base64.b64encode(_hex(32).encode())).decode()


def _cases(keys: FakeKeys) -> dict[str, tuple[str, str, str, str, str]]:
    """provider -> (a line of context, ID's name, ID, secret's name, secret)."""
    volc_id, volc_secret = _volcengine()
    return {
        "alibaba": ("# aliddns", "AccessKeyID", keys.alibaba_id(16), "AccessKeySecret", keys.alibaba_secret()),
        "aws": ("", "AWS_ACCESS_KEY_ID", keys.aws_id(), "AWS_SECRET_ACCESS_KEY", keys.aws_secret()),
        "tencent": ("", "TENCENTCLOUD_SECRET_ID", keys.tencent_id(), "TENCENTCLOUD_SECRET_KEY", keys.tencent_secret()),
        "qiniu": ("# qiniu kodo", "QINIU_ACCESS_KEY", _text(40, URLSAFE), "QINIU_SECRET_KEY", _text(40, URLSAFE)),
        "baidu": ("# bcebos.com", "BOS_AK", _hex(32), "BOS_SK", _hex(32)),
        "volcengine": ("", "VOLC_ACCESSKEY", volc_id, "VOLC_SECRETKEY", volc_secret),
    }


@pytest.mark.parametrize("provider", ["alibaba", "aws", "tencent", "qiniu", "baidu", "volcengine"])
@pytest.mark.parametrize("form", ['export {n}="${{{n}:-{v}}}"', "{n}=${{{n}:-{v}}}", "{n}=${{{n}-{v}}}"])
def test_a_pair_as_shell_parameter_defaults(keys: FakeKeys, provider: str, form: str) -> None:
    context, id_name, key_id, secret_name, secret = _cases(keys)[provider]
    text = f"{context}\n{form.format(n=id_name, v=key_id)}\n{form.format(n=secret_name, v=secret)}\n"
    found = [(f.provider, f.kind, f.key_id, f.secret) for f in scan_text(text, RULES)]
    assert found == [(provider, Kind.PAIR, key_id, secret)], text


def test_a_dash_glued_to_a_run_is_still_no_value_start(keys: FakeKeys) -> None:
    """Outside a parameter expansion a `-` before a run keeps it a part of a longer token (a slug, a path)."""
    secret = keys.alibaba_secret()
    text = f"# aliyun\naccess_key_secret = 'build-{secret}'\n"
    assert scan_text(text, RULES) == []
