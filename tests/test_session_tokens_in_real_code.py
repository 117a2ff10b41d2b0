"""Session tokens as real code writes them where no name says "token" in the usual place: Huawei's
positional ``ObsClient(ak, sk, token, endpoint)`` and an S3-style presigned OBS URL (known by the token's
region header), Tencent's COSN settings in a Java ``properties.put("…sessionToken", "…")``."""

from __future__ import annotations

import base64

import pytest

from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import ALNUM, FakeKeys

URL_SAFE = ALNUM + "-_"


def _huawei_token(keys: FakeKeys, region: str = "cn-north-4") -> str:
    """A Huawei security token: base64url of 0x82, the region's length and name, then the body."""
    header = base64.urlsafe_b64encode(bytes([0x82, len(region)]) + region.encode()).decode().rstrip("=")
    return header + keys._text(600, URL_SAFE)


def _huawei_ak(keys: FakeKeys) -> str:
    return keys._text(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@pytest.mark.parametrize("region", ["cn-north-4", "cn-east-3"])
def test_a_huawei_token_passed_by_position_is_read_by_its_region_header(
    region: str, ruleset: Ruleset, keys: FakeKeys
) -> None:
    ak, sk, token = _huawei_ak(keys), keys._text(40), _huawei_token(keys, region)
    assert token.startswith(("ggpjbi1", "ggljbi1"))
    text = (
        "import com.obs.services.ObsClient;\n"
        f'//\t\tObsClient obsClient = new ObsClient("{ak}",\n'
        f'//\t\t\t\t"{sk}",\n'
        f'//\t\t\t\t"{token}",\n'
        "//\t\t\t\tendPoint);\n"
    )
    [finding] = scan_text(text, ruleset)
    assert (finding.provider, finding.key_id, finding.secret, finding.security_token) == ("huawei", ak, sk, token)
    assert finding.temporary


def test_an_s3_style_presigned_obs_url_gives_its_id_the_token(ruleset: Ruleset, keys: FakeKeys) -> None:
    ak, token = _huawei_ak(keys), _huawei_token(keys)
    url = (
        f"https://media.obs.cn-north-4.myhuaweicloud.com/a.png?AWSAccessKeyId={ak}&Expires=1714180482"
        f"&x-amz-security-token={token}&Signature=Zm9vYmFyYmF6cXV4cXV1eA%3D%3D"
    )
    [finding] = scan_text(f"![img]({url})\n", ruleset)
    assert (finding.provider, finding.key_id, finding.security_token) == ("huawei", ak, token)


def test_a_token_header_inside_a_longer_run_starts_no_token(ruleset: Ruleset, keys: FakeKeys) -> None:
    """The header reads a token only where a value starts: inside another base64 run it is chance."""
    ak, sk = _huawei_ak(keys), keys._text(40)
    blob = keys._text(64) + _huawei_token(keys)
    text = f'ObsClient obsClient = new ObsClient("{ak}", "{sk}", endPoint);\nString image = "{blob}";\n'
    [finding] = scan_text(text, ruleset)
    assert (finding.key_id, finding.secret, finding.security_token) == (ak, sk, None)


def test_a_tencent_session_token_in_a_put_call(ruleset: Ruleset, keys: FakeKeys) -> None:
    temporary_id = "AKID" + keys._text(64, URL_SAFE)
    secret = base64.b64encode(bytes(keys.random.getrandbits(8) for _ in range(32))).decode()
    token = keys._text(700, URL_SAFE)
    text = (
        f'        properties.put("fs.cosn.userinfo.secretId", "{temporary_id}");\n'
        f'        properties.put("fs.cosn.userinfo.secretKey", "{secret}");\n'
        f'        properties.put("fs.cosn.userinfo.sessionToken", "{token}");\n'
    )
    [finding] = scan_text(text, ruleset)
    assert (finding.rule_id, finding.secret, finding.security_token) == ("tencent-temporary-id", secret, token)


def test_a_comma_after_a_name_that_is_no_token_name_takes_nothing(ruleset: Ruleset, keys: FakeKeys) -> None:
    """`"tokenizer", "…"` is not a token's name; a token name before a comma with no quoted value after it
    (an argument list) takes nothing either."""
    temporary_id = "AKID" + keys._text(64, URL_SAFE)
    secret = base64.b64encode(bytes(keys.random.getrandbits(8) for _ in range(32))).decode()
    text = (
        f'cred.put("secretId", "{temporary_id}");\ncred.put("secretKey", "{secret}");\n'
        f'cred.put("tokenizer", "{keys._text(700, URL_SAFE)}");\nsign(token, {keys._text(60)});\n'
    )
    [finding] = scan_text(text, ruleset)
    assert (finding.key_id, finding.secret, finding.security_token) == (temporary_id, secret, None)


@pytest.mark.parametrize(
    "line",
    ['headers.put("token", "{v}");', "wx.setStorageSync('token', '{v}');", 'params.put("accessToken", "{v}");'],
)
def test_a_web_apps_token_beside_a_long_term_pair_is_not_its_session_token(
    line: str, ruleset: Ruleset, keys: FakeKeys
) -> None:
    """A put call under a name that is no session token's leaves a CAM pair long-term (high, to disable):
    read as its token, the pair had become "temporary, expires on its own" (and, verified, "expired")."""
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    text = f'Credential cred = new Credential("{key_id}", "{secret}");\n' + line.format(v=keys._text(46)) + "\n"
    [finding] = scan_text(text, ruleset)
    assert (finding.key_id, finding.secret, finding.security_token, str(finding.severity)) == (
        key_id,
        secret,
        None,
        "high",
    )


def test_an_unnamed_huawei_token_outside_the_call_is_not_the_pairs(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A token-shaped string in a list a few lines below a long-term pair: not an argument after the AK and
    SK of one call, so the pair stays long-term."""
    ak, sk = _huawei_ak(keys), keys._text(40)
    text = (
        f'obs = ObsClient(access_key_id="{ak}", secret_access_key="{sk}", server="obs.myhuaweicloud.com")\n'
        f'SAMPLES = ["short", "{_huawei_token(keys)}"]\n'
    )
    [finding] = scan_text(text, ruleset)
    assert (finding.key_id, finding.secret, finding.security_token) == (ak, sk, None)


def _metadata_answer(keys: FakeKeys, token: str, width: int, indent: str = "") -> str:
    """An ECS metadata answer as a terminal shows it: the token's line broken every ``width`` columns."""
    line = f'  "SecurityToken" : "{token}",'
    wrapped = "\n".join(indent + line[i : i + width] for i in range(0, len(line), width))
    return (
        f'{{\n  "AccessKeyId" : "STS.{keys.alibaba_id()[4:]}",\n'
        f'  "AccessKeySecret" : "{keys.alibaba_secret()}{keys.alibaba_secret()[:14]}",\n'
        f'  "Expiration" : "2025-01-13T15:30:13Z",\n{wrapped}\n  "Code" : "Success"\n}}\n'
    )


@pytest.mark.parametrize(("width", "indent"), [(208, ""), (80, ""), (120, "    ")])
def test_an_alibaba_token_hard_wrapped_inside_its_quotes_is_read_whole(
    ruleset: Ruleset, keys: FakeKeys, width: int, indent: str
) -> None:
    token = keys.sts_token()
    [finding] = scan_text(_metadata_answer(keys, token, width, indent), ruleset)
    assert finding.rule_id == "alibaba-sts-credentials" and finding.security_token == token


def test_an_unquoted_or_closed_token_never_takes_the_next_line(ruleset: Ruleset, keys: FakeKeys) -> None:
    token = keys.sts_token()
    follow = "QmFzZTY0T25UaGVOZXh0TGluZUFsb25l"
    never_closed = f'"SecurityToken": "{token}\n{follow}\n{follow}, "next": 1\n'
    two_unquoted = f"security_token:\n{token}\n{token[:40]}{follow}\n"
    layouts = (f"security_token = {token}\n{follow}\n", f'"SecurityToken": "{token}",\n{follow}\n', never_closed)
    for text in (*layouts, two_unquoted):
        answer = f"access_key_id = STS.{keys.alibaba_id()[4:]}\naccess_key_secret = {keys.alibaba_secret()}\n{text}"
        [finding] = scan_text(answer, ruleset)
        assert finding.security_token == token


@pytest.mark.parametrize(
    ("token", "temporary"),
    [
        ("4b1f0d8e2a9c7e5b3d1f0a8c6e4b2d0f9a7c5e3b30001", True),  # the STS answers of old: 40 hex and a tail
        ("Pq7wwwZr2kkkLm9tttXc4bbbNv1yyyHs3dddJd5fffGq2", False),  # 45, not hex: a web app's, or planted
        ("Xk3Qp9Lm2Vb7Nc4Hd8Tf1Rz6Wy5Js0Ga", False),  # 32: no Tencent token's length
    ],
)
def test_a_tencent_session_token_has_its_clouds_shape(
    ruleset: Ruleset, keys: FakeKeys, token: str, temporary: bool
) -> None:
    """Under a name as plain as ``token``, only the shapes Tencent's STS issues make a pair temporary: a
    token of another shape planted beside a long-term pair must not lower its severity."""
    text = f'SecretId = "{keys.tencent_id()}"\nSecretKey = "{keys.tencent_secret()}"\ntoken = "{token}"\n'
    [finding] = scan_text(text, ruleset)
    assert (finding.kind == Kind.STS) == temporary


@pytest.mark.parametrize("length", [99, 100, 119, 120])
def test_a_short_tencent_token_goes_only_to_a_temporary_id(ruleset: Ruleset, length: int) -> None:
    """A federation token of 2019 is 118 characters (a Laravel package's README, beside a 64-character
    temporary ID): from 100 it is the temporary ID's. Beside a 36-character SecretId it must reach 120, or a
    web app's token planted there would make a long-term pair temporary."""
    import random
    import string

    rng = random.Random(length)
    urlsafe = string.ascii_letters + string.digits + "_-"
    token = "".join(rng.choice(urlsafe) for _ in range(length))
    alnum = string.ascii_letters + string.digits
    temporary_id = "AKID" + "".join(rng.choice(urlsafe) for _ in range(64))
    temporary_secret = "".join(rng.choice(alnum + "+/") for _ in range(43)) + "="
    answer = (
        f"    'token' => '{token}',\n    'tmp_secret_id' => '{temporary_id}',\n"
        f"    'tmp_secret_key' => '{temporary_secret}',\n"
    )
    [finding] = scan_text(answer, ruleset)
    assert finding.kind == Kind.STS and finding.security_token == (token if length >= 100 else None)
    long_term = "AKID" + "".join(rng.choice(alnum) for _ in range(32))
    text = f'SecretId = "{long_term}"\nSecretKey = "{"".join(rng.choice(alnum) for _ in range(32))}"\n'
    [finding] = scan_text(text + f'token = "{token}"\n', ruleset)
    assert (finding.kind == Kind.STS) == (length >= 120)


def test_a_short_web_token_never_pushes_the_sts_token_onto_a_long_term_pair(ruleset: Ruleset) -> None:
    """An STS block with a web app's 110-character "token" beside its TmpSecretId and the answer's own Token
    further down, a long-term pair above: full-length tokens are handed out first, so the temporary ID keeps
    its Token and the long-term pair stays long-term (it had become temporary, and the block's old
    ExpiredTime then silenced it: exit 0 under --fail-on high; an attacker's read)."""
    import random
    import string

    rng = random.Random(110)
    urlsafe = string.ascii_letters + string.digits + "_-"
    alnum = string.ascii_letters + string.digits
    long_id, long_secret = (
        "AKID" + "".join(rng.choice(alnum) for _ in range(32)),
        "".join(rng.choice(alnum) for _ in range(32)),
    )
    temporary_id = "AKID" + "".join(rng.choice(urlsafe) for _ in range(64))
    temporary_secret = "".join(rng.choice(alnum + "+/") for _ in range(43)) + "="
    web, sts = ("".join(rng.choice(urlsafe) for _ in range(n)) for n in (110, 300))
    text = (
        f'TENCENT_SECRET_ID = "{long_id}"\nTENCENT_SECRET_KEY = "{long_secret}"\n\nsts = {{\n'
        f'    "ExpiredTime": 1600000000,\n    "TmpSecretId": "{temporary_id}",\n    "token": "{web}",\n'
        f'    "TmpSecretKey": "{temporary_secret}",\n    "Token": "{sts}",\n}}\n'
    )
    found = {f.key_id: f for f in scan_text(text, ruleset)}
    assert (found[long_id].kind, found[long_id].security_token, found[long_id].severity.name) == (
        Kind.PAIR,
        None,
        "HIGH",
    )
    assert (found[temporary_id].kind, found[temporary_id].security_token) == (Kind.STS, sts)


@pytest.mark.parametrize(
    "call",
    [
        'COSCredentials cred = new BasicSessionCredentials("{i}", "{s}", "{t}");',
        'VodUploadClient client = new VodUploadClient("{i}",\n        "{s}",\n        "{t}");',
        'cred = credential.Credential("{i}", "{s}", "{t}")',
    ],
)
def test_a_tencent_token_passed_third_after_its_pair_is_read(call: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    """The SDKs' constructors for temporary credentials take (SecretId, SecretKey, Token) by position: the
    token is the third argument of the call, with no name; the temporary triple is one finding."""
    key_id = "AKID" + keys._text(64, URL_SAFE)
    secret = keys._text(43, ALNUM + "+/") + "="
    token = keys._text(420, URL_SAFE)
    findings = scan_text(call.format(i=key_id, s=secret, t=token), ruleset)
    assert [(f.kind, f.key_id, f.secret, f.security_token) for f in findings] == [(Kind.STS, key_id, secret, token)]
    # a third argument that is no token (a region; an endpoint URL) adds nothing
    for third in ("ap-guangzhou", "https://sts.tencentcloudapi.com"):
        plain = scan_text(call.format(i=key_id, s=secret, t=third), ruleset)
        assert [(f.key_id, f.secret, f.security_token) for f in plain] == [(key_id, secret, None)]


def test_also_tokens_is_checked_when_rules_load() -> None:
    """pair.also_tokens names token rules, each checked like pair.token; it needs pair.token."""
    from akscan.engine.rules import RuleError, compile_rules

    def rule(rule_id: str, kind: str, **extra: object) -> tuple[dict[str, object], str, bool]:
        entry: dict[str, object] = {
            "id": rule_id,
            "provider": "acme",
            "kind": kind,
            "anchors": ["acme"],
            "pattern": "acme=([A-Za-z0-9]{24})",
            "description": "d",
            "remediation": "r",
            **extra,
        }
        return entry, "test", True

    secret = rule("s", "secret")
    token, other = rule("t", "token"), rule("u", "token")
    good = {"secret": "s", "token": "t", "also_tokens": ["u"]}
    loaded = compile_rules([rule("k", "key-id", pair=good), secret, token, other])
    assert loaded.rules[0].pair is not None and loaded.rules[0].pair.tokens == ("t", "u")
    for pair, message in [
        ({"secret": "s", "also_tokens": ["u"]}, "also_tokens needs pair.token"),
        ({"secret": "s", "token": "t", "also_tokens": "u"}, "must be a list"),
        ({"secret": "s", "token": "t", "also_tokens": ["nope"]}, "unknown rule 'nope'"),
        ({"secret": "s", "token": "t", "also_tokens": ["s"]}, "it must name a token rule"),
    ]:
        with pytest.raises(RuleError, match=message):
            compile_rules([rule("k", "key-id", pair=pair), secret, token, other])
