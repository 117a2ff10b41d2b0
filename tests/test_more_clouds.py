"""The other clouds' keys: each provider's ID pairs with its own secret, Volcengine and Kingsoft (both
AKLT) are told apart by length, and what cannot be verified says so."""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest

from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import run_akscan, scan_text

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits


def _text(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _hexb64(rng: random.Random, n: int) -> str:
    return base64.b64encode(_text(rng, n, "0123456789abcdef").encode()).decode()


def _made(rng: random.Random) -> dict[str, tuple[str, str, str]]:
    """provider -> (rule id, key ID, secret), drawn the way each cloud draws them."""
    return {
        "volcengine": ("volcengine-access-key", "AKLT" + _hexb64(rng, 35).rstrip("="), _hexb64(rng, 40)),
        "kingsoft": ("kingsoft-access-key", "AKLT" + _text(rng, 20), _text(rng, 40)),
        "baidu": ("baidu-access-key", "ALTAK" + _text(rng, 21), _text(rng, 32)),
        "jdcloud": ("jdcloud-access-key", "JDC_" + _text(rng, 32, UPPER), _text(rng, 32)),
        "gcp": ("gcp-hmac-key", "GOOG1E" + _text(rng, 55, UPPER), _text(rng, 40, ALNUM + "+/")),
    }


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("layout", ["env", "call", "json"])
def test_each_cloud_pairs_its_own_keys(seed: int, layout: str, ruleset: Ruleset) -> None:
    rng = random.Random(seed)
    for provider, (rule_id, key_id, secret) in _made(rng).items():
        if layout == "env":
            text = f"{provider.upper()}_ACCESS_KEY={key_id}\n{provider.upper()}_SECRET_KEY={secret}\n"
        elif layout == "call":
            text = f'client = Client("{key_id}", "{secret}")\n'
        else:
            text = json.dumps({"accessKeyId": key_id, "secretAccessKey": secret}, indent=2)
        found = scan_text(text, ruleset)
        assert [(f.rule_id, f.provider, f.kind, f.key_id, f.secret) for f in found] == [
            (rule_id, provider, Kind.PAIR, key_id, secret)
        ], text


def test_volcengine_and_kingsoft_are_told_apart_by_length(ruleset: Ruleset) -> None:
    made = _made(random.Random(7))
    volc, king = made["volcengine"][1], made["kingsoft"][1]
    found = {f.key_id: f.rule_id for f in scan_text(f"a = {volc}\nb = {king}\n", ruleset)}
    assert found == {volc: "volcengine-access-key", king: "kingsoft-access-key"}


def test_other_clouds_are_reported_unverified(tmp_path: Path) -> None:
    made = _made(random.Random(3))
    _, key_id, secret = made["baidu"]
    (tmp_path / "conf.py").write_text(f'creds = BceCredentials("{key_id}", "{secret}")\n')
    result = run_akscan(
        "scan", str(tmp_path), "--format", "json", "--verify", "--endpoint", "alibaba=http://127.0.0.1:9"
    )
    document = json.loads(result.out)
    (finding,) = document["findings"]
    assert finding["provider"] == "baidu" and finding["verification"]["status"] == "unverifiable"
    assert "nothing was sent" in finding["verification"]["reason"] and finding["severity"] == "high"
    assert document["summary"]["verification"]["requests"] == 0


@pytest.mark.parametrize(
    "template",
    [
        "HUAWEICLOUD_SDK_AK={i}\nHUAWEICLOUD_SDK_SK={s}\n",
        "env:\n  - name: HUAWEICLOUD_SDK_AK\n    value: {i}\n  - name: HUAWEICLOUD_SDK_SK\n    value: {s}\n",
        'export HUAWEICLOUD_SDK_AK="{i}"\nexport HUAWEICLOUD_SDK_SK="{s}"\n',
    ],
    ids=["env-file", "container-spec", "shell"],
)
def test_huawei_keys_where_the_sdk_variables_name_them(template: str, ruleset: Ruleset) -> None:
    rng = random.Random(template)
    key_id, secret = _text(rng, 20, UPPER), _text(rng, 40)
    found = scan_text(template.format(i=key_id, s=secret), ruleset)
    assert [(f.rule_id, f.kind, f.key_id, f.secret) for f in found] == [
        ("huawei-access-key", Kind.PAIR, key_id, secret)
    ]


def test_a_huawei_shaped_value_without_its_variable_is_not_reported(ruleset: Ruleset) -> None:
    rng = random.Random(5)
    assert scan_text(f"build_id = {_text(rng, 20, UPPER)}\nsecret_hash = {_text(rng, 40)}\n", ruleset) == []


URLSAFE = ALNUM + "_-"


@pytest.mark.parametrize(
    ("provider", "template"),
    [
        ("qiniu", "QINIU_ACCESS_KEY={i}\nQINIU_SECRET_KEY={s}\n"),
        (
            "qiniu",
            'const qiniuConfig = {{\n  accessKey: process.env.QINIU_ACCESS_KEY || "{i}",\n'
            '  secretKey: process.env.QINIU_SECRET_KEY || "{s}",\n}};\n',
        ),
        ("qiniu", "env:\n  - name: QINIU_AK\n    value: {i}\n  - name: QINIU_SK\n    value: {s}\n"),
        ("ucloud", 'export UCLOUD_PUBLIC_KEY="{i}"\nexport UCLOUD_PRIVATE_KEY="{s}"\n'),
        ("ucloud", "UCLOUD_PUBLIC_KEY: {i}\nUCLOUD_PRIVATE_KEY: {s}\n"),
        ("ucloud", "<?php\n$UCLOUD_PUBLIC_KEY = '{i}==';\n$UCLOUD_PRIVATE_KEY = '{h}';\n"),
    ],
    ids=["qiniu-env", "qiniu-js-default", "qiniu-container", "ucloud-shell", "ucloud-ci-yaml", "ucloud-php-hex"],
)
def test_qiniu_and_ucloud_pairs_where_their_variables_name_them(provider: str, template: str, ruleset: Ruleset) -> None:
    rng = random.Random(template)
    if provider == "qiniu":
        key_id, secret = _text(rng, 40, URLSAFE), _text(rng, 40, URLSAFE)
    elif "{h}" in template:  # the classic private key: 40 hex digits, beside a base64 public key
        key_id, secret = _text(rng, 52) + "==", _text(rng, 40, "0123456789abcdef")
        template = template.replace("{i}==", "{i}").replace("{h}", "{s}")
    else:
        key_id, secret = _text(rng, 32), _text(rng, 40)
    found = scan_text(template.format(i=key_id, s=secret), ruleset)
    assert [(f.provider, f.kind, f.key_id, f.secret) for f in found] == [(provider, Kind.PAIR, key_id, secret)]


def test_qiniu_and_ucloud_shaped_values_without_their_variables_are_not_reported(ruleset: Ruleset) -> None:
    """Without Qiniu's names, a pair is Qiniu's only by the shape no other cloud issues (qiniu-shaped-access-key:
    a `_` or `-` in one of its two values); letters and digits alone, or an access key alone, are anyone's."""
    rng = random.Random(9)
    text = (
        f"access_key = '{_text(rng, 40)}'\nsecret_key = '{_text(rng, 40)}'\n\n\n\n"
        f"access_key = 'Ab{_text(rng, 18)}_{_text(rng, 19)}'\n\n\n\n"
        f"public_key: {_text(rng, 32)}\nprivate_key: {_text(rng, 40)}\n"
    )
    assert [f for f in scan_text(text, ruleset) if f.provider in ("qiniu", "ucloud")] == []


@pytest.mark.parametrize(
    "line",
    [
        "      - uses: actions/checkout@{h}",
        "echo '{h}  ucloud-cli.tar.gz' | sha1sum -c",
        "UCLOUD_PRIVATE_KEY_SHA1={h}",
        'url = "https://files.example.com/" "{h}/" "report.pdf"',  # a path segment closed by a slash
        'url = "https://files.example.com/{u}/report.pdf"',
    ],
)
def test_a_hex_digest_beside_a_ucloud_public_key_is_no_private_key(line: str, ruleset: Ruleset) -> None:
    """Hex is a classic private key only right after a private-key name; a pinned commit or a checksum
    beside UCLOUD_PUBLIC_KEY leaves the public key alone (it had been paired with the digest)."""
    rng = random.Random(line)
    public, digest = _text(rng, 32), _text(rng, 40, "0123456789abcdef")
    uuid = "-".join(_text(rng, n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    text = f"env:\n  UCLOUD_PUBLIC_KEY: {public}\n" + line.format(h=digest, u=uuid) + "\n"
    found = [f for f in scan_text(text, ruleset) if f.provider == "ucloud"]
    assert [(f.kind, f.key_id, f.secret) for f in found] == [(Kind.KEY_ID, public, None)]


def test_a_uuid_path_segment_is_no_token_private_key(ruleset: Ruleset) -> None:
    """A UFile signed URL split over Python literals: the TOKEN_ public key in its query, a UUID closed by
    a slash in its path. The UUID is the path's, not the token's private key (harvested: ucloud/123)."""
    rng = random.Random(123)
    hexes = "0123456789abcdef"
    token = "TOKEN_" + "-".join(_text(rng, n, hexes) for n in (8, 4, 4, 4, 12))
    segment = "-".join(_text(rng, n, hexes) for n in (8, 4, 4, 4, 12))
    text = (
        'URL = ("https://maas-log-prod.cn-wlcb.ufileos.com/anthropic/"\n'
        f'       "{segment}/"\n       "{_text(rng, 32, hexes)}.png"\n'
        f'       "?UCloudPublicKey={token}"\n       "&Expires=1786693936&Signature=U9KvDgMLBHzM2quaVWlTGNMWebE=")\n'
    )
    found = [f for f in scan_text(text, ruleset) if f.provider == "ucloud"]
    assert [(f.kind, f.key_id, f.secret) for f in found] == [(Kind.KEY_ID, token, None)]


def test_md5_values_under_alibabas_names_are_no_jd_cloud_pair(ruleset: Ruleset) -> None:
    """accessKeyId/accessKeySecret holding upper-case md5s, with no JD Cloud word near: not JD Cloud's old
    keys (the name is Alibaba's, used by many services); with a jdcloud-oss endpoint beside them they are."""
    rng = random.Random(71)
    key_id, secret = _text(rng, 32, "0123456789ABCDEF"), _text(rng, 32, "0123456789ABCDEF")
    text = f'accessKeyId: "{key_id}"\naccessKeySecret: "{secret}"\n'
    assert [f for f in scan_text(text, ruleset) if f.provider == "jdcloud"] == []
    found = scan_text(text + "endpoint: s3.cn-north-1.jdcloud-oss.com\n", ruleset)
    assert [(f.provider, f.kind, f.key_id, f.secret) for f in found] == [("jdcloud", Kind.PAIR, key_id, secret)]


@pytest.mark.parametrize("length", [3999, 4000, 4001, 7999, 8000, 8001])
def test_a_huawei_security_token_is_read_whole(length: int, ruleset: Ruleset) -> None:
    """Huawei's temporary tokens (MII…, PKI-signed) run to ~5,000 characters in IoTDA's samples; the token
    was cut at 4,000. Read whole up to 8,000, with the Python SDK's .with_security_token(…)."""
    rng = random.Random(length)
    ak = "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(20))
    sk = _text(rng, 40)
    token = "MIIO" + _text(rng, length - 4, string.ascii_letters + string.digits + "-_")
    text = (
        "from huaweicloudsdkcore.auth.credentials import BasicCredentials\n"
        f'credentials = BasicCredentials(ak="{ak}", sk="{sk}").with_security_token("{token}")\n'
    )
    findings = [f for f in scan_text(text, ruleset) if f.key_id == ak]
    assert [(f.secret, f.security_token) for f in findings] == [(sk, token[:8000])]  # past 8,000: its head


def test_a_printed_access_token_is_no_private_key(ruleset: Ruleset) -> None:
    """An SDK guide's output: the signed request for an access token with the public key in its query, then
    the token it got, a UUID. A UUID is a UFile token's private key only where a private/secret/key name or the
    TOKEN_ argument above says so; the access token is what the key was exchanged for."""
    rng = random.Random(5)
    public = "ucloud" + _text(rng, 10, string.ascii_lowercase) + "%40" + _text(rng, 6, string.ascii_lowercase) + ".cn"
    public += _text(rng, 20, string.digits)
    token = "-".join(_text(rng, n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    text = (
        f"    get :https://api.ucloud.cn?Action=GetAccessToken&PublicKey={public}&Region=cn-bj2&ExpireIn=7200"
        f"&Signature={_text(rng, 40, '0123456789abcdef')}\n    get token success : {token}\n"
    )
    found = [f for f in scan_text(text, ruleset) if f.provider == "ucloud"]
    assert [(f.kind, f.key_id, f.secret) for f in found] == [(Kind.KEY_ID, public, None)]
    named = text.replace("get token success :", "private key:")
    assert [f.secret for f in scan_text(named, ruleset) if f.provider == "ucloud"] == [token]


def test_a_sibling_disk_of_another_store_is_not_qinius(ruleset: Ruleset) -> None:
    """Laravel's filesystems.php lists its disks side by side: the Qiniu disk's pair is Qiniu's, the UpYun
    disk below it (keys of the same shape) is not, though Qiniu's words are a few lines above it."""
    rng = random.Random(3)
    q_ak, q_sk, u_ak, u_sk = (_text(rng, 40) for _ in range(4))
    text = (
        "<?php\nreturn [\n    'disks' => [\n        'qiniu' => [\n            'driver'  => 'qiniu',\n"
        "            'domain'  => 'p1.clouddn.com',\n"
        f"            'access_key'=> '{q_ak}',\n            'secret_key'=> '{q_sk}',\n        ],\n"
        "        'upyun' => [\n            'driver' => 'upyun',\n"
        f"            'access_key' => '{u_ak}',\n            'secret_key' => '{u_sk}',\n        ],\n    ],\n];\n"
    )
    found = [(f.provider, f.key_id, f.secret) for f in scan_text(text, ruleset)]
    assert found == [("qiniu", q_ak, q_sk)]


@pytest.mark.parametrize("gap", [" ", "\n" + " " * 99])
def test_a_ufile_token_pair_passed_positionally_is_whole(gap: str, ruleset: Ruleset) -> None:
    """The Java UFile SDK's own form, new UfileObjectLocalAuthorization("TOKEN_…", "<uuid>"), on one line or
    with the second argument aligned under the first: the UUID is the token's private key (the TOKEN_
    argument before it says so)."""
    rng = random.Random(len(gap))
    token = "TOKEN_" + "-".join(_text(rng, n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    private = "-".join(_text(rng, n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    text = (
        "import cn.ucloud.ufile.auth.UfileObjectLocalAuthorization;\n"
        f'    OBJECT_AUTHORIZER = new UfileObjectLocalAuthorization("{token}",{gap}"{private}");\n'
    )
    found = [(f.kind, f.key_id, f.secret) for f in scan_text(text, ruleset) if f.provider == "ucloud"]
    assert found == [(Kind.PAIR, token, private)]


def test_an_oss_temporary_id_takes_no_permanent_secret(ruleset: Ruleset) -> None:
    """A TMP. ID signs a shared link and carries no secret: a permanent secret on the next line is its own
    finding, not the temporary ID's partner (it would be told it expires by itself)."""
    rng = random.Random(8)
    temporary = "TMP." + _text(rng, 94)
    secret = _text(rng, 30)
    text = (
        "    // sample: https://b.oss-cn-shanghai.aliyuncs.com/a.wav?Expires=1655062013&OSSAccessKeyId="
        f'{temporary}&Signature=abc\n    private String accessKeySecret = "{secret}";\n'
    )
    found = sorted((f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset))
    assert found == [("alibaba-access-key-secret", None, secret), ("alibaba-oss-temporary-id", temporary, None)]


def test_ruby_oauth_new_is_no_qiniu_context(ruleset: Ruleset) -> None:
    """Qiniu's Go auth.New(…) opens its context; Ruby's OAuth.new(…) (a substring of it, case aside) does not."""
    rng = random.Random(6)
    text = (
        "require 'oauth'\nclass GithubClient\n  def initialize\n"
        "    @auth = OAuth.new(ENV['CONSUMER_KEY'], ENV['CONSUMER_SECRET'])\n"
        f'    @access_key = "{_text(rng, 40)}"\n  end\nend\n'
    )
    assert scan_text(text, ruleset) == []


@pytest.mark.parametrize("note", ["// " + "根据自己的包名，去百度云自行配置" * 3, "/* API Key */"])
def test_baidu_ocr_pair_after_any_note(note: str, ruleset: Ruleset) -> None:
    """The OCR SDK's pair after getApplicationContext(), a note above each value: a long Chinese line comment
    (over 120 bytes) or a block comment."""
    rng = random.Random(note)
    key, secret = _text(rng, 24), _text(rng, 32)
    text = (
        "import com.baidu.ocr.sdk.OCR;\n"
        "        OCR.getInstance(this).initAccessTokenWithAkSk(new OnResultListener<AccessToken>() {\n"
        "        }, getApplicationContext(),\n"
        f'                {note}\n                "{key}",\n                {note}\n                "{secret}");\n'
    )
    assert [(f.provider, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("baidu", key, secret)]


def test_go_chis_jwtauth_is_no_qiniu_context(ruleset: Ruleset) -> None:
    """Qiniu's Go idiom `mac := auth.New("…", "…")` opens its context; go-chi's jwtauth.New("HS256", …) beside
    an app's own AccessKey/SecretKey of the same shape does not (an attacker's read)."""
    rng = random.Random(12)
    text = (
        'package main\n\nimport (\n\t"github.com/go-chi/jwtauth/v5"\n)\n\n'
        'var tokenAuth = jwtauth.New("HS256", []byte("change-me"), nil)\n\nvar cfg = Config{\n'
        f'\tAccessKey: "{_text(rng, 40)}",\n\tSecretKey: "{_text(rng, 40)}",\n}}\n'
    )
    assert scan_text(text, ruleset) == []


@pytest.mark.parametrize(
    "call",
    [
        'new Qianfan("{a}", "{s}")',
        'new com.baidubce.qianfan.Qianfan("{a}", "{s}")',
        'new Qianfan (\n            "{a}",\n            "{s}")',
        'Qianfan("{a}", "{s}")',  # Kotlin
    ],
)
def test_the_qianfan_sdk_with_classic_keys(call: str, ruleset: Ruleset) -> None:
    """Baidu's Java/Kotlin Qianfan SDK built with the account's classic AK/SK (32 hex each)."""
    rng = random.Random(call)
    hexes = "0123456789abcdef"
    ak, sk = _text(rng, 32, hexes), _text(rng, 32, hexes)
    text = "import com.baidubce.qianfan.Qianfan;\n    val client = " + call.format(a=ak, s=sk) + "\n"
    assert [(f.provider, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("baidu", ak, sk)]


def test_a_voice_robots_iflytek_block_is_not_baidus(ruleset: Ruleset) -> None:
    """wukong-robot's config lists its speech engines side by side: baidu_yuyin's app keys are Baidu's, the
    xunfei_yuyin block's api_key/api_secret (32 hex) below it are iFlytek's, not a Baidu AI pair."""
    rng = random.Random(264)
    hexes = "0123456789abcdef"
    key, secret = _text(rng, 24), _text(rng, 32, hexes)
    text = (
        "# 百度语音服务\n# http://yuyin.baidu.com/\nbaidu_yuyin:\n    appid: '9670645'\n"
        f"    api_key: '{key}'\n    secret_key: '{secret}'\n    dev_pid: 1936\n\n\n"
        "# 讯飞语音服务\n# https://xfyun.cn/\nxunfei_yuyin:\n    appid: '5d45a9e9'\n"
        f"    api_key: '{_text(rng, 32, hexes)}'  # 语音听写\n"
        f"    api_secret: '{_text(rng, 32, hexes)}'\n    voice: 'xiaoyan'\n"
    )
    assert [(f.provider, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("baidu", key, secret)]
