"""An attacker's read of the twenty-first sitting's rules (unpacked pairs, CLI setup lines, keys in prose, signing
keys, near-length secrets): each input below made a real pair disappear, pair with a decoy, or switched a rule off
for the rest of a scan, before its fix."""

from __future__ import annotations

import secrets
import string

import pytest

from akscan.engine.detect import detect
from akscan.engine.rules import Ruleset, load_ruleset
from akscan.model import Blob, Kind, Origin
from tests.conftest import scan_text
from tests.keys import FakeKeys

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
URLSAFE = ALNUM + "_-"


def _draw(n: int, alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _found(text: str, ruleset: Ruleset) -> list[tuple[Kind, str | None, str | None]]:
    return [(f.kind, f.key_id, f.secret) for f in scan_text(text, ruleset)]


@pytest.mark.parametrize(
    "template",
    [
        'import qiniu\naccess_key = "{id}"\nq = qiniu.Auth(access_key, secret_key="{secret}")\n',
        'import qiniu\naccess_key = "{id}"\ndef make_auth(access_key=access_key, secret_key="{secret}"):\n',
    ],
)
def test_a_keyword_argument_is_no_unpacking(template: str, ruleset: Ruleset) -> None:
    """``f(access_key, secret_key="…")`` is a call, not ``a, b = "…", "…"``: the secret is never read as an ID."""
    key_id, secret = _draw(40, URLSAFE), _draw(40, URLSAFE)
    assert _found(template.format(id=key_id, secret=secret), ruleset) == [(Kind.PAIR, key_id, secret)]


def test_a_baidu_keyword_default_is_no_unpacking(ruleset: Ruleset) -> None:
    key_id, secret = secrets.token_hex(16), secrets.token_hex(16)
    text = (
        "from baidubce.auth.bce_credentials import BceCredentials\n"
        f'ak = "{key_id}"\nc = BceCredentials(access_key_id, secret_access_key="{secret}")\n'
    )
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]


def test_a_planted_store_word_does_not_hide_an_early_alibaba_pair(ruleset: Ruleset) -> None:
    key_id, secret = _draw(16, ALNUM), _draw(30, ALNUM)
    text = (
        "CREATE TABLE t (a INT) WITH (\n    'connector'= 'sls',\n    'endpoint' = 'cn-hangzhou.log.aliyuncs.com',\n"
        f"    -- same block works for minio\n    'accessid' = '{key_id}',\n    'accesskey' = '{secret}',\n);\n"
    )
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]


def test_an_obsutil_line_built_to_backtrack_cannot_switch_the_rule_off() -> None:
    """Four options each followed by a long run of spaces, then -i and a -k that never matches: every run is
    possessive, so the regex stays linear and the real line in the next file is still read."""
    ruleset = load_ruleset()  # its own: a rule switched off stays off for the ruleset's life
    gaps = " " * 60
    hostile = "".join(
        f"obsutil config -a{gaps}-b{gaps}-c{gaps}-d{gaps}-i=ABCDEFGHIJ0123456789 -k=short\n" for _ in range(40)
    )
    assert detect(Blob(hostile.encode(), Origin("hostile.sh")), ruleset) == []
    key_id, secret = _draw(20, UPPER_DIGITS), _draw(40, ALNUM)
    real = f"./obsutil config -i={key_id} -k={secret} -e=obs.cn-north-4.myhuaweicloud.com\n"
    found = detect(Blob(real.encode(), Origin("setup.sh")), ruleset)
    assert [(f.key_id, f.secret) for f in found] == [(key_id, secret)]
    assert "huawei-obsutil-config" not in ruleset.switched_off


@pytest.mark.parametrize(
    "line",
    [
        "./obsutil config -i={id} -t={decoy} -k={secret} -e=obs.cn-north-4.myhuaweicloud.com\n",
        "./obsutil config -t={decoy} -i={id} -k={secret}\n",
    ],
)
def test_a_value_of_the_sks_shape_beside_the_flags_is_never_the_aks_partner(line: str, ruleset: Ruleset) -> None:
    key_id, secret, decoy = _draw(20, UPPER_DIGITS), _draw(40, ALNUM), _draw(40, ALNUM)
    found = _found(line.format(id=key_id, secret=secret, decoy=decoy), ruleset)
    assert all(partner != decoy for _, _, partner in found)
    assert (Kind.PAIR, key_id, decoy) not in found


@pytest.mark.parametrize(
    "label",
    ["Secret  Access Key", "Secret\tAccess Key", "Secret\u00a0Access Key", "(Secret) Access Key", "私密 Access Key"],
)
def test_a_secrets_label_in_prose_never_makes_it_an_id(label: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    """Baidu's console labels its SK "Secret Access Key": however the words are spaced, it is the secret."""
    key_id, secret = secrets.token_hex(16), secrets.token_hex(16)
    text = f"# 百度智能云 BOS 配置\nAccess Key ID：{key_id}\n{label}：{secret}\n"
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]


def test_a_store_word_planted_in_a_comment_does_not_take_a_live_block(ruleset: Ruleset) -> None:
    """``yields_to`` (a MinIO block's keys are MinIO's) reads store names on lines commented as deeply as the
    value's: one comment word beside a live Huawei block no longer hides its pair."""
    key_id, secret = _draw(20, UPPER_DIGITS), _draw(40, ALNUM)
    text = (
        "# huawei cloud obs\nendpoint = 'obs.cn-north-4.myhuaweicloud.com'\n\n\n\n\n"
        f"# the same settings work for minio\nak = '{key_id}'\nsk = '{secret}'\n"
    )
    assert _found(text, ruleset) == [(Kind.PAIR, key_id, secret)]


def test_a_commented_out_store_block_still_yields(ruleset: Ruleset) -> None:
    """A MinIO block kept commented out below a live Huawei word is still MinIO's, not Huawei's."""
    key_id, secret = _draw(20, UPPER_DIGITS), _draw(40, ALNUM)
    text = (
        "# huawei cloud obs\nendpoint = 'obs.cn-north-4.myhuaweicloud.com'\n\n\n\n\n"
        f"# minio_endpoint = 'http://minio.local:9000'\n# ak = '{key_id}'\n# sk = '{secret}'\n"
    )
    assert _found(text, ruleset) == []
