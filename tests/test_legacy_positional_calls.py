"""Old 16-character Alibaba IDs passed by position (blind round 4bv: MaxCompute, MNS, the C# and Go OSS SDKs),
and what an attacker's read of that change found: other products' and wrappers' calls of the same names
(``OssClient``, ``oss.New``, ``CloudAccount``) in files that name no Alibaba, a Serverless CLI's ``'sls'``."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.rules import Ruleset
from tests.conftest import scan_text

ALNUM = string.ascii_letters + string.digits


def _value(rng: random.Random, length: int) -> str:
    while True:
        value = "".join(rng.choice(ALNUM) for _ in range(length))
        if not value.startswith("LTAI") and not value.isalpha() and not value.isdigit():
            return value


CALLS = {
    "c# oss sdk": 'var client = new OssClient("https://oss-cn-shenzhen.aliyuncs.com", "{id}", "{secret}");\n',
    "go oss sdk": 'client, err := oss.New("oss-cn-shenzhen.aliyuncs.com", "{id}", "{secret}")\n',
    "mns": 'CloudAccount account = new CloudAccount("{id}", "{secret}", "http://1.mns.cn-hangzhou.aliyuncs.com/");\n',
    "maxcompute java": 'Account account = new AliyunAccount("{id}",\n//\t\t\t"{secret}");\n',
    "pyodps": "from odps import ODPS\no = ODPS('{id}', '{secret}', 'my_project')\n",
    "flink sls": "    'connector'= 'sls',\n    'accessid' = '{id}',\n    'accesskey' = '{secret}',\n",
}
OTHERS = {
    "a cos wrapper": '// Tencent COS wrapper\nvar c = new OssClient(cosEndpoint, "{id}", "{secret}");\n',
    "a minio wrapper": 'client, err := oss.New("minio.internal:9000", "{id}", "{secret}")\n',
    "a billing entity": 'acct = new CloudAccount("{id}", "{secret}");\n',
    "a wrapper class": 'store := NewMinioOssClient(cfg.Endpoint, "{id}", "{secret}")\n',
}


@pytest.mark.parametrize("call", sorted(CALLS))
def test_an_old_id_passed_by_position_pairs(call: str, ruleset: Ruleset) -> None:
    rng = random.Random(call)
    key_id, secret = _value(rng, 16), _value(rng, 30)
    found = [(f.rule_id, f.key_id, f.secret) for f in scan_text(CALLS[call].format(id=key_id, secret=secret), ruleset)]
    assert found == [("alibaba-legacy-access-key", key_id, secret)]


@pytest.mark.parametrize("call", sorted(OTHERS))
def test_the_same_names_without_alibaba_are_not_alibabas(call: str, ruleset: Ruleset) -> None:
    rng = random.Random(call)
    text = OTHERS[call].format(id=_value(rng, 16), secret=_value(rng, 30))
    assert [f.rule_id for f in scan_text(text, ruleset) if f.provider == "alibaba"] == []


def test_a_serverless_cli_is_no_sls_table(ruleset: Ruleset) -> None:
    rng = random.Random(5)
    text = (
        "const { spawnSync } = require('child_process');\nspawnSync('sls', ['deploy']);\n"
        f"const cfg = {{\n  accessKey: '{_value(rng, 16)}',\n  secretKey: '{_value(rng, 30)}',\n}};\n"
    )
    assert [f.kind for f in scan_text(text, ruleset) if f.rule_id == "alibaba-legacy-access-key"] == []


def test_accounts_named_login_and_deploy_keep_their_own_secrets(ruleset: Ruleset) -> None:
    """LOGIN_ is an account's name here, not a login's role word: it qualifies its pair."""
    rng = random.Random(6)
    base32 = string.ascii_uppercase + "234567"
    a1, a2 = ("AKIA" + "".join(rng.choice(base32) for _ in range(16)) for _ in range(2))
    s1, s2 = ("".join(rng.choice(ALNUM + "+/") for _ in range(40)) for _ in range(2))
    text = (
        f"DEPLOY_AWS_ACCESS_KEY_ID={a1}\nLOGIN_AWS_ACCESS_KEY_ID={a2}\n"
        f"DEPLOY_AWS_SECRET_ACCESS_KEY={s1}\nLOGIN_AWS_SECRET_ACCESS_KEY={s2}\n"
    )
    assert {(f.key_id, f.secret) for f in scan_text(text, ruleset)} == {(a1, s1), (a2, s2)}


def test_a_lower_case_id_on_the_home_row_by_chance_is_still_a_key(ruleset: Ruleset) -> None:
    """24 lower-case letters and digits show eight home-row letters in a row once in ~5,500 random IDs:
    only a value of both cases is judged typed by that mark."""
    key_id, secret = "155sjkklffhpj25dbifwybx4", "cfBAepfJBd0Kh8oOOL8dKLzdocJ2is"
    text = f'new OSSClient("http://oss-cn-hangzhou.aliyuncs.com", "{key_id}", "{secret}")\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]
