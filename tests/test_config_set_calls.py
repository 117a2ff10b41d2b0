"""Shapes a data-pipeline and native-code round found missing (4eo, 4ep): a Hadoop configuration's
``set(name, value)`` with the connectors' dotted names (``fs.bos.access.key``, ``fs.qiniu.access.key``) or S3A's
constants as the first argument (``set(ACCESS_KEY, "…")`` beside OBS); the 2012 OSS C SDK's "ACS" IDs with their
10-character secrets; an iOS app's own OSS signer handing the secret to ``withSecret:@"…"`` ten lines above
the ID; Objective-C's selector words (``authWithAK:@"…" andSK:@"…"``) naming no one else's key."""

from __future__ import annotations

import pytest

from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys
from tests.rule_shapes import URLSAFE

HEX = "0123456789abcdef"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _pairs(findings: list) -> set[tuple[str, str, str]]:
    return {(f.provider, f.key_id, f.secret) for f in findings if f.kind == Kind.PAIR}


@pytest.mark.parametrize(
    ("provider", "head", "id_name", "secret_name", "id_shape", "secret_shape"),
    [
        (
            "baidu",
            '"fs.bos.endpoint", "bj.bcebos.com"',
            '"fs.bos.access.key"',
            '"fs.bos.secret.access.key"',
            (32, HEX),
            (32, HEX),
        ),
        (
            "qiniu",
            '"fs.qiniu.bucket.domain", "http://x.clouddn.com"',
            '"fs.qiniu.access.key"',
            '"fs.qiniu.secret.key"',
            (40, URLSAFE),
            (40, URLSAFE),
        ),
        (
            "huawei",
            '"fs.obs.endpoint", "obs.cn-north-4.myhuaweicloud.com"',
            '"fs.obs.access.key"',
            '"fs.obs.secret.key"',
            (20, UPPER),
            (40, None),
        ),
        ("huawei", 'ENDPOINT, "obs.cn-east-2.myhwclouds.com"', "ACCESS_KEY", "SECRET_KEY", (20, UPPER), (40, None)),
        (
            "huawei",
            'ENDPOINT, "obs.cn-east-2.myhwclouds.com"',
            "Constants.ACCESS_KEY",
            "Constants.SECRET_KEY",
            (20, UPPER),
            (40, None),
        ),
    ],
)
def test_a_hadoop_configurations_set_calls_pair(
    ruleset: Ruleset,
    keys: FakeKeys,
    provider: str,
    head: str,
    id_name: str,
    secret_name: str,
    id_shape: tuple[int, str],
    secret_shape: tuple[int, str | None],
) -> None:
    key_id = keys._text(id_shape[0], id_shape[1])
    secret = keys._text(secret_shape[0], secret_shape[1]) if secret_shape[1] else keys._text(secret_shape[0])
    text = f'hadoopConf.set({head})\nhadoopConf.set({id_name}, "{key_id}")\nhadoopConf.set({secret_name}, "{secret}")\n'
    assert _pairs(scan_text(text, ruleset, "Job.scala")) == {(provider, key_id, secret)}


def test_a_constant_set_from_the_environment_is_no_key(ruleset: Ruleset) -> None:
    text = '// huawei obs\nhadoopConf.set(ACCESS_KEY, System.getenv("OBS_AK"))\nhadoopConf.set(SECRET_KEY, sk)\n'
    assert scan_text(text, ruleset, "Job.scala") == []


def _acs(keys: FakeKeys) -> tuple[str, str]:
    return "ACS" + keys._text(13), keys._text(10)


def test_an_acs_id_pairs_with_the_ten_character_secret_on_the_next_line(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = _acs(keys)
    text = (
        'static const char *endpoint   = "storage.aliyun.com";\n'
        f'static const char *access_id  = "{key_id}"; /*用户帐号*/\n'
        f'static const char *access_key = "{secret}"; /*用户密码*/\n'
    )
    assert _pairs(scan_text(text, ruleset, "main.c")) == {("alibaba", key_id, secret)}


@pytest.mark.parametrize(
    "layout",
    [
        # two lines below: another setting between them
        'access_id = "{id}";\nendpoint = "storage.aliyun.com";\naccess_key = "{secret}";\n',
        # under a name that is no key's
        'access_id = "{id}";\nbucket = "{secret}";\n',
        # after an ID of another shape (no ACS)
        'access_id = "LTAI{rest}";\naccess_key = "{secret}";\n',
    ],
)
def test_a_ten_character_value_pairs_only_as_an_acs_ids_next_line_key(
    ruleset: Ruleset, keys: FakeKeys, layout: str
) -> None:
    key_id, secret = _acs(keys)
    text = "// storage.aliyun.com\n" + layout.format(id=key_id, secret=secret, rest=keys._text(12))
    assert all(f.secret != secret for f in scan_text(text, ruleset, "main.c"))


def _signer(key_id: str, secret: str, gap: int, name: str) -> str:
    filler = "".join(f"            // step {n}\n" for n in range(gap))
    return (
        "id<OSSCredentialProvider> credential = [[OSSCustomSignerCredentialProvider alloc] "
        "initWithImplementedSigner:^NSString *(NSString *contentToSign, NSError **error) {\n"
        f'    NSString *signature = [OSSUtil calBase64Sha1WithData:contentToSign {name}:@"{secret}"];\n'
        + filler
        + f'    return [NSString stringWithFormat:@"OSS %@:%@", @"{key_id}", signature];\n'
        "}];\n"
    )


def test_an_unnamed_id_takes_the_secret_handed_to_its_signer(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(16), keys.alibaba_secret()
    found = scan_text(_signer(key_id, secret, 10, "withSecret"), ruleset, "OssSigner.m")
    assert _pairs(found) == {("alibaba", key_id, secret)}


def test_a_value_under_no_secrets_name_is_not_an_unnamed_ids_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(16), keys.alibaba_secret()
    found = scan_text(_signer(key_id, secret, 10, "withSalt"), ruleset, "OssSigner.m")
    assert _pairs(found) == set()


def test_a_record_printed_on_one_line_keeps_its_secret_from_another_id(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A tool's log names one long-term ID, then prints a temporary credential whose ID it hides: the secret is
    that record's, not the named ID's."""
    key_id = "AKIA" + keys._text(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    secret = keys._text(40)
    text = (
        f'[INFO] Starting permission enumeration for access-key-id "{key_id}"\n'
        + "".join(f"[INFO] -- service{n}.describe() worked!\n" for n in range(16))
        + "  sts.get_session_token: {'Credentials': {'AccessKeyId': 'ASIA3<REDACTED>', "
        f"'SecretAccessKey': '{secret}', 'Expiration': None}}}}\n"
    )
    assert _pairs(scan_text(text, ruleset, "writeup.md")) == set()


def test_objective_c_selector_words_pair_an_ai_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    api_key, secret = keys._text(24), keys._text(32)
    text = f'    [[AipOcrService shardService] authWithAK:@"{api_key}" andSK:@"{secret}"];\n'
    assert _pairs(scan_text(text, ruleset, "ViewController.m")) == {("baidu", api_key, secret)}


def test_a_planted_named_secret_does_not_outvote_a_signing_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A value written as the signer's key (``"AWS4" + …``) says so by itself; a value merely named a secret nearby
    (planted, or another's) makes no second candidate for the unnamed ID."""
    key_id = "AKIA" + keys._text(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    secret, planted = keys._text(40), keys._text(40)
    steps = "".join(f"//        byte[] k{n} = hmacSHA256(k{n - 1}, parts[{n}]);\n" for n in range(1, 9))
    text = (
        f'//        String secret = "{planted}";\n'
        f'//        String kSecret = "AWS4" + "{secret}";\n'
        + steps
        + '//        authStr.append("AWS4-HMAC-SHA256 ")\n'
        + f'//                .append("Credential=").append("{key_id}").append("/").append(area)\n'
    )
    assert {(k, s) for _, k, s in _pairs(scan_text(text, ruleset, "Signer.java"))} == {(key_id, secret)}


@pytest.mark.parametrize(
    "declared",
    [
        'private static final String JWT_SECRET = "{value}";',  # qualified by another thing's word
        'private static final String CLIENT_SECRET = "{value}";',  # declared, passed to nothing
        'String secret = "{value}";',
        'github = Github(client_secret="{value}");',  # another call's argument, no signer's
        'log.info("[warn] :-("); String secret = "{value}";',  # a bracket inside quotes is text
        'hmacSign(data); String note = "("; String secret = "{value}";',  # the signer's call closed before
    ],
)
def test_an_unnamed_id_takes_no_secret_merely_declared_nearby(ruleset: Ruleset, keys: FakeKeys, declared: str) -> None:
    """The ID's own call reads its secret from the environment; a secret declared ten lines on is another's."""
    key_id, jwt = keys.alibaba_id(), keys.alibaba_secret()
    steps = "".join(f"    // step {n}\n" for n in range(10))
    text = (
        "import com.aliyun.oss.OSSClient;\npublic class Upload {\n    void run() {\n"
        f'        OSSClient client = new OSSClient(endpoint, "{key_id}", System.getenv("OSS_SECRET"));\n'
        "    }\n" + steps + "    " + declared.format(value=jwt) + "\n}\n"
    )
    found = scan_text(text, ruleset, "Upload.java")
    assert _pairs(found) == set()
    assert [f.key_id for f in found] == [key_id]


def test_adjacent_pairs_are_never_split_by_planted_names(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Unevenly qualified names (``ossAccessKeyId`` over ``accessKeySecret``) between a planted plain ID above and a
    planted ``oss…Secret`` below: a pair written side by side is never swapped apart."""
    planted_id, real_id = keys.alibaba_id(), keys.alibaba_id()
    real_secret, planted_secret = keys.alibaba_secret(), keys.alibaba_secret()
    text = (
        "# oss settings\n"
        f'accessKeyId = "{planted_id}"\n'
        f'ossAccessKeyId = "{real_id}"\n'
        f'accessKeySecret = "{real_secret}"\n'
        f'ossAccessKeySecret = "{planted_secret}"\n'
    )
    assert ("alibaba", real_id, real_secret) in _pairs(scan_text(text, ruleset, "settings.py"))
