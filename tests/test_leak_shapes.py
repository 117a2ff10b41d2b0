"""Table-driven: each leak shape people actually commit, with the exact pair, kind and line expected."""

from __future__ import annotations

import json

import pytest

from akscan.engine.rules import Ruleset
from akscan.model import Kind, Severity
from tests.conftest import scan_text
from tests.keys import FakeKeys

# (name, template, line of the ID, line of the secret). {id} and {secret} are filled with fresh fakes.
PAIR_SHAPES = [
    ("python-oss2-positional", "import oss2\nauth = oss2.Auth('{id}', '{secret}')\n", 2, 2),
    ("java-getProfile", 'DefaultProfile p = DefaultProfile.getProfile("cn-hangzhou", "{id}", "{secret}");', 1, 1),
    ("go-NewClientWithAccessKey", 'client, err := ecs.NewClientWithAccessKey("cn-hangzhou", "{id}", "{secret}")', 1, 1),
    (
        "csharp-GetProfile",
        'var c = new DefaultAcsClient(DefaultProfile.GetProfile("cn-shanghai", "{id}", "{secret}"));',
        1,
        1,
    ),
    ("python-tuple", "CREDENTIALS = (\n    '{id}',\n    '{secret}',\n)\n", 2, 3),
    # a README's properties with // comments glued to the values (in Chinese: "see it in the OSS console")
    (
        "properties-glued-comments",
        "spring.oss.accesskeyid={id}//在OSS对象平中查看\nspring.oss.accesskeysecret={secret}//在OSS对象平台中查看\n",
        1,
        2,
    ),
    ("python-dict", "cfg = {{'ak': '{id}', 'sk': '{secret}', 'region': 'cn-hangzhou'}}", 1, 1),
    (
        "aliyun-cli-config-json",
        '{{\n  "current": "default",\n  "profiles": [\n    {{\n      "name": "default",\n      "mode": "AK",\n'
        '      "access_key_id": "{id}",\n      "access_key_secret": "{secret}",\n      "region_id": "cn-hangzhou"\n'
        "    }}\n  ]\n}}\n",
        7,
        8,
    ),
    ("yaml", "aliyun:\n  oss:\n    accessKeyId: {id}\n    accessKeySecret: {secret}\n    bucket: demo\n", 3, 4),
    ("spring-properties", "alibaba.cloud.access-key={id}\nalibaba.cloud.secret-key={secret}\n", 1, 2),
    (
        "terraform-hcl",
        'provider "alicloud" {{\n  access_key = "{id}"\n  secret_key = "{secret}"\n  region     = "cn-beijing"\n}}\n',
        2,
        3,
    ),
    ("php-array", "<?php\nreturn [\n    'accessKeyId' => '{id}',\n    'accessKeySecret' => '{secret}',\n];\n", 3, 4),
    ("php-positional", "$client = new OssClient('{id}', '{secret}', $endpoint);", 1, 1),
    (
        "cli-flags",
        "aliyun configure set --mode AK --access-key-id {id} --access-key-secret {secret} --region cn-hangzhou",
        1,
        1,
    ),
    (
        "node-pop-core",
        "const client = new Core({{\n  accessKeyId: '{id}',\n  accessKeySecret: '{secret}',\n}});\n",
        2,
        3,
    ),
    ("env-export", "export ALIBABA_CLOUD_ACCESS_KEY_ID={id}\nexport ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n", 1, 2),
    ("dotenv-crlf", "REGION=cn-hangzhou\r\nALIYUN_AK={id}\r\nALIYUN_SK={secret}\r\n", 2, 3),
    ("ini-credentials", "[default]\ntype = access_key\naccess_key_id = {id}\naccess_key_secret = {secret}\n", 3, 4),
    (
        "ossutilconfig",
        "[Credentials]\nlanguage=EN\nendpoint=oss-cn-hangzhou.aliyuncs.com\naccessKeyID={id}\n"
        "accessKeySecret={secret}\n",
        4,
        5,
    ),
    (
        "xml",
        "<config>\n  <accessKeyId>{id}</accessKeyId>\n  <accessKeySecret>{secret}</accessKeySecret>\n</config>",
        2,
        3,
    ),
    ("markdown-table", "| AccessKey ID | AccessKey Secret |\n|---|---|\n| {id} | {secret} |\n", 3, 3),
    ("oss-url", "OSS_URL = 'oss://{id}:{secret}@my-bucket.oss-cn-hangzhou.aliyuncs.com/backups'", 1, 1),
    (
        "go-tea-config",
        'config := &openapi.Config{{AccessKeyId: tea.String("{id}"), AccessKeySecret: tea.String("{secret}")}}',
        1,
        1,
    ),
    ("secret-before-id", "access_key_secret: {secret}\naccess_key_id: {id}\n", 2, 1),
    (
        "far-apart",
        "# storage settings\nOSS_KEY = '{id}'\nBUCKET = 'logs'\nENDPOINT = 'oss-cn-beijing.aliyuncs.com'\n"
        "TIMEOUT = 30\nRETRIES = 3\nOSS_PASSWORD = '{secret}'\n",
        2,
        7,
    ),
]


@pytest.mark.parametrize(("name", "template", "id_line", "secret_line"), PAIR_SHAPES, ids=[s[0] for s in PAIR_SHAPES])
@pytest.mark.parametrize("id_length", [24, 16])
def test_pair_shapes(
    name: str, template: str, id_line: int, secret_line: int, id_length: int, ruleset: Ruleset, keys: FakeKeys
) -> None:
    key_id, secret = keys.alibaba_id(id_length), keys.alibaba_secret()
    findings = scan_text(template.format(id=key_id, secret=secret), ruleset)
    assert [(f.kind, f.key_id, f.secret) for f in findings] == [(Kind.PAIR, key_id, secret)]
    finding = findings[0]
    assert finding.rule_id == "alibaba-access-key"
    assert finding.severity == Severity.HIGH
    assert finding.location.line == id_line
    assert finding.secret_location is not None and finding.secret_location.line == secret_line


def test_minified_javascript_with_noise_on_one_line(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    noise = ";".join(f"var a{i}=function(b){{return b*{i}}}" for i in range(300))
    text = (
        f'{noise};var c=new OSS({{region:"oss-cn-hangzhou",accessKeyId:"{key_id}",accessKeySecret:"{secret}",'
        f'bucket:"b"}});{noise}'
    )
    findings = scan_text(text, ruleset, "app.min.js")
    assert [(f.kind, f.key_id, f.secret, f.location.line) for f in findings] == [(Kind.PAIR, key_id, secret, 1)]
    assert findings[0].location.column == text.index(key_id) + 1


def test_notebook_json_with_escaped_newlines(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    cell = {"cell_type": "code", "source": ["import oss2\n", f'auth = oss2.Auth("{key_id}",\n', f'    "{secret}")\n']}
    text = json.dumps({"cells": [cell], "nbformat": 4})
    findings = scan_text(text, ruleset, "analysis.ipynb")
    assert [(f.kind, f.key_id, f.secret) for f in findings] == [(Kind.PAIR, key_id, secret)]


def test_escaped_newline_between_id_and_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    findings = scan_text(f'{{"env": "AK={key_id}\\nSK={secret}\\n"}}', ruleset)
    assert [(f.key_id, f.secret) for f in findings] == [(key_id, secret)]


def test_two_profiles_pair_with_their_own_secrets(ruleset: Ruleset, keys: FakeKeys) -> None:
    (id1, s1), (id2, s2) = (keys.alibaba_id(), keys.alibaba_secret()), (keys.alibaba_id(), keys.alibaba_secret())
    text = (
        f"[prod]\naccess_key_id = {id1}\naccess_key_secret = {s1}\n\n"
        f"[staging]\naccess_key_id = {id2}\naccess_key_secret = {s2}\n"
    )
    assert {(f.key_id, f.secret) for f in scan_text(text, ruleset)} == {(id1, s1), (id2, s2)}


def test_secret_first_layout_pairs_consistently(ruleset: Ruleset, keys: FakeKeys) -> None:
    (id1, s1), (id2, s2) = (keys.alibaba_id(), keys.alibaba_secret()), (keys.alibaba_id(), keys.alibaba_secret())
    text = f"- secret: {s1}\n  id: {id1}\n- secret: {s2}\n  id: {id2}\n"
    assert {(f.key_id, f.secret) for f in scan_text(text, ruleset)} == {(id1, s1), (id2, s2)}


def test_no_cartesian_product(ruleset: Ruleset, keys: FakeKeys) -> None:
    ids = [keys.alibaba_id() for _ in range(3)]
    secrets = [keys.alibaba_secret() for _ in range(3)]
    text = "\n".join(f"    ('{i}', '{s}')," for i, s in zip(ids, secrets, strict=True))
    findings = scan_text(f"ACCOUNTS = [\n{text}\n]\n", ruleset)
    assert sorted((f.key_id, f.secret) for f in findings) == sorted(zip(ids, secrets, strict=True))


def test_lone_id_is_low_severity(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    findings = scan_text(f"# rotate {key_id} before friday\n", ruleset)
    assert [(f.kind, f.key_id, f.secret, f.severity) for f in findings] == [(Kind.KEY_ID, key_id, None, Severity.LOW)]


@pytest.mark.parametrize(
    "template",
    [
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}",
        "access_key_secret: '{secret}'",
        '"AccessKeySecret": "{secret}"',
        'ALICLOUD_SECRET_KEY = "{secret}"',
        "--access-key-secret {secret}",
    ],
)
def test_lone_secret_with_strong_context(template: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    secret = keys.alibaba_secret()
    findings = scan_text("x = 1\n" + template.format(secret=secret) + "\n", ruleset)
    assert [(f.kind, f.rule_id, f.secret, f.severity, f.location.line) for f in findings] == [
        (Kind.SECRET, "alibaba-access-key-secret", secret, Severity.MEDIUM, 2)
    ]


def test_lone_secret_without_context_is_not_reported(ruleset: Ruleset, keys: FakeKeys) -> None:
    assert scan_text(f"checksum = '{keys.alibaba_secret()}'\n", ruleset) == []


def test_id_not_paired_with_secret_beyond_window(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    filler = "\n".join(f"line_{i} = {i}" for i in range(40))
    findings = scan_text(f"ak = '{key_id}'\n{filler}\nunrelated = '{secret}'\n", ruleset)
    assert [(f.kind, f.key_id) for f in findings] == [(Kind.KEY_ID, key_id)]


def test_sts_credentials_reported_as_one_finding(ruleset: Ruleset, keys: FakeKeys) -> None:
    sts_id, secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    text = json.dumps(
        {
            "RequestId": "6894B13B-6D71-4EF5-88FA-F32781734A7F",
            "Credentials": {
                "SecurityToken": token,
                "AccessKeyId": sts_id,
                "AccessKeySecret": secret,
                "Expiration": "2026-11-28T10:00:00Z",
            },
        },
        indent=2,
    )
    findings = scan_text(text, ruleset)
    assert [(f.kind, f.key_id, f.secret, f.security_token) for f in findings] == [(Kind.STS, sts_id, secret, token)]
    assert findings[0].rule_id == "alibaba-sts-credentials"


def test_sts_env_file(ruleset: Ruleset, keys: FakeKeys) -> None:
    sts_id, secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    text = (
        f"ALIBABA_CLOUD_ACCESS_KEY_ID={sts_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={secret}\n"
        f"ALIBABA_CLOUD_SECURITY_TOKEN={token}\n"
    )
    assert [(f.kind, f.security_token) for f in scan_text(text, ruleset)] == [(Kind.STS, token)]


def test_fake_cais_string_is_not_a_token(ruleset: Ruleset, keys: FakeKeys) -> None:
    sts_id, secret = keys.sts_id(), keys.sts_secret()
    text = f"id={sts_id}\nsecret={secret}\ntoken=CAISnotreallyatokenjustletters1234567890\n"
    findings = scan_text(text, ruleset)
    assert [(f.kind, f.security_token) for f in findings] == [(Kind.STS, None)]


def test_aws_pair_and_tencent_pair(ruleset: Ruleset, keys: FakeKeys) -> None:
    aws_id, aws_secret = keys.aws_id(), keys.aws_secret()
    tc_id, tc_secret = keys.tencent_id(), keys.tencent_secret()
    text = (
        f"[default]\naws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n\n"
        f'cred = credential.Credential("{tc_id}", "{tc_secret}")\n'
    )
    found = {(f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset)}
    assert found == {("aws-access-key", aws_id, aws_secret), ("tencent-secret-id", tc_id, tc_secret)}


def test_utf8_column_counts_characters(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    findings = scan_text(f"密钥 = '{key_id}'", ruleset)
    assert findings[0].location.column == 7


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_kubernetes_secret_with_base64_values(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = (
        f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: oss\ntype: Opaque\ndata:\n"
        f"  ALIBABA_CLOUD_ACCESS_KEY_ID: {_b64(key_id)}\n  ALIBABA_CLOUD_ACCESS_KEY_SECRET: {_b64(secret)}\n"
    )
    findings = scan_text(text, ruleset, "secret.yaml")
    assert [(f.kind, f.key_id, f.secret, f.location.line, f.encoding) for f in findings] == [
        (Kind.PAIR, key_id, secret, 7, "base64")
    ]


@pytest.mark.parametrize("prefix", ["0", "2"])
def test_amqp_username_derived_from_an_access_key(prefix: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    username = _b64(f"{prefix}:amqp-cn-st21x7kv0001:{key_id}")
    text = (
        f"spring.rabbitmq.host=amqp-cn-st21x7kv0001.mq-amqp.cn-hangzhou-a.aliyuncs.com\n"
        f"spring.rabbitmq.username={username}\nspring.rabbitmq.password=${{AMQP_SECRET}}\n"
    )
    findings = scan_text(text, ruleset)
    assert [(f.kind, f.key_id, f.location.line, f.encoding) for f in findings] == [(Kind.KEY_ID, key_id, 2, "base64")]


def test_base64_of_binary_is_left_alone(ruleset: Ruleset) -> None:
    import base64

    noise = base64.b64encode(bytes(range(256)) * 4).decode()
    assert scan_text(f"secret_blob = '{noise}'\n", ruleset) == []


def test_aws_temporary_credentials_with_session_token(ruleset: Ruleset, keys: FakeKeys) -> None:
    import base64
    import random

    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    rng = random.Random(4)
    body = bytes(rng.getrandbits(8) for _ in range(300))
    token = base64.b64encode(b"!\n\torigin_ec" + body).decode()
    assert token.startswith("IQoJb3JpZ2luX2Vj")
    text = f"[temp]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\naws_session_token = {token}\n"
    findings = scan_text(text, ruleset)
    assert [(f.rule_id, f.key_id, f.secret, f.security_token) for f in findings] == [
        ("aws-access-key", key_id, secret, token)
    ]


@pytest.mark.parametrize(
    "header",
    [
        b"!\n\torigin_ec",  # IQoJb3JpZ2luX2Vj…, today's tokens
        b"\x17\n\x06er/aws",  # FwoGZXIvYXdzE…, tokens issued before 2020
        b"\x15\n\x06er/aws",  # FQoGZXIvYXdzE…
        b"\x02\n\x06origin",  # AgoGb3JpZ2lu…, 2019's
        b"\x02\n\torigin_ec",  # AgoJb3JpZ2luX2Vj…
    ],
)
def test_aws_session_tokens_as_sts_issues_them(ruleset: Ruleset, keys: FakeKeys, header: bytes) -> None:
    """A real token's protobuf has 0xFF-filled fields: base64 '//////////' inside its first 256 characters,
    which is not a placeholder's repeated characters."""
    import base64
    import random

    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    rng = random.Random(7)
    field = b"\x10"  # the protobuf field that follows the header (its tag: an "E" after the old prefix)
    body = (
        field
        + bytes(rng.getrandbits(8) for _ in range(60))
        + b"\xff" * 8
        + bytes(rng.getrandbits(8) for _ in range(300))
    )
    token = base64.b64encode(header + body).decode()
    assert "//////////" in token[:256]
    text = f"aws_access_key_id={key_id}\naws_secret_access_key={secret}\naws_session_token={token}\n"
    findings = scan_text(text, ruleset)
    assert [(f.rule_id, f.kind, f.key_id, f.secret, f.security_token) for f in findings] == [
        ("aws-access-key", Kind.STS, key_id, secret, token)
    ]


def test_a_commit_id_next_to_sts_credentials_is_not_their_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    import hashlib

    sts_id, secret, token = keys.sts_id(), keys.sts_secret(), keys.sts_token()
    commit = hashlib.sha1(b"x").hexdigest()
    text = f"id={sts_id} rev={commit}\n\n\nsecret={secret}\ntoken={token}\n"
    findings = scan_text(text, ruleset)
    assert [(f.key_id, f.secret) for f in findings] == [(sts_id, secret)]


@pytest.mark.parametrize(
    "template",
    [
        "https://hooks.example/?next=https%3A%2F%2Fapi.example%2F%3Fid%3D{i}%26secret%3D{s}",
        '{{"cfg": "{{\\u0022AccessKeyId\\u0022:\\u0022{i}\\u0022,\\u0022AccessKeySecret\\u0022:\\u0022{s}\\u0022}}"}}',
        "var c = '\\x3d{i}\\x26\\x3d{s}';",
    ],
    ids=["percent-encoded-url", "json-unicode-escapes", "js-hex-escapes"],
)
def test_keys_right_after_an_escape_sequence_pair(template: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    found = scan_text(template.format(i=key_id, s=secret), ruleset)
    assert [(f.kind, f.key_id, f.secret) for f in found] == [(Kind.PAIR, key_id, secret)]


def test_jupyter_notebook_outputs_are_scanned_like_sources(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A credentials dict printed in a cell's output (stream text, or an execute_result's text/plain split
    over lines) is found as a pair, at the notebook's line."""
    printed_id, printed_secret = keys.alibaba_id(), keys.alibaba_secret()
    shown_id, shown_secret = keys.alibaba_id(), keys.alibaba_secret()
    cells = [
        {
            "cell_type": "code",
            "source": ["creds = load()\n", "print(creds)"],
            "outputs": [
                {
                    "name": "stdout",
                    "output_type": "stream",
                    "text": [str({"AccessKeyId": printed_id, "AccessKeySecret": printed_secret}) + "\n"],
                }
            ],
        },
        {
            "cell_type": "code",
            "source": ["creds"],
            "outputs": [
                {
                    "output_type": "execute_result",
                    "data": {
                        "text/plain": [
                            f"{{'access_key_id': '{shown_id}',\n",
                            f" 'access_key_secret': '{shown_secret}'}}",
                        ]
                    },
                }
            ],
        },
    ]
    notebook = json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    found = {(f.key_id, f.secret) for f in scan_text(notebook, ruleset, "analysis.ipynb") if f.kind == Kind.PAIR}
    assert found == {(printed_id, printed_secret), (shown_id, shown_secret)}


def test_base64_inside_base64_without_an_outer_anchor(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A Kubernetes Secret whose .env value holds an AMQP username that is itself base64 of the key ID:
    the outer layer shows no base64 form of LTAI, only a form of one of its forms. Each alignment of
    the inner value inside the outer one is found, through both layers."""
    for shift in range(3):
        key_id = keys.alibaba_id()
        username = _b64(f"{'0' * (shift + 1)}:amqp-cn-st21x7kv0001:{key_id}")
        host = "amqp-cn-st21x7kv0001.mq-amqp.cn-hangzhou-a.aliyuncs.com"
        env = f"{'#' * shift}AMQP_HOST={host}\nAMQP_USERNAME={username}\n"
        text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: queue\ndata:\n  .env: {_b64(env)}\n"
        assert "TFRBS" not in text and "xUQU" not in text and "MVEFJ" not in text
        findings = scan_text(text, ruleset, "secret.yaml")
        assert [(f.key_id, f.location.line, f.encoding) for f in findings] == [(key_id, 6, "base64>base64")], shift


HEX_DIGITS = "0123456789abcdef"
URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


@pytest.mark.parametrize(
    ("provider", "template", "id_shape", "secret_shape"),
    [
        # A type between the name and its value: Rust, TypeScript, Kotlin, Swift, Go.
        (
            "qiniu",
            'static ACCESS_KEY: &str = "{id}";\nstatic SECRET_KEY: &str = "{secret}";\n'
            "let credential = Credential::new(ACCESS_KEY, SECRET_KEY); // qiniu\n",
            (40, URL_SAFE),
            (40, URL_SAFE),
        ),
        (
            "huawei",
            '// obs.myhuaweicloud.com\nconst ak: string = "{id}";\nconst sk: string = "{secret}";\n',
            (20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            (40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
        ),
        (
            "baidu",
            '// bcebos.com\nvar accessKey string = "{id}"\nvar secretKey string = "{secret}"\n',
            (32, HEX_DIGITS),
            (32, HEX_DIGITS),
        ),
        # A default after a reader: the value is used whenever the option or variable is missing.
        (
            "kingsoft",
            "Ks3.config.AK = opt.ak || '{id}';  // ks3\nKs3.config.SK = opt.sk || '{secret}';\n",
            (20, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
            (40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
        ),
        (
            "baidu",
            "# bcebos.com\nak = os.getenv('BOS_AK') or '{id}'\nsk = os.getenv('BOS_SK') or '{secret}'\n",
            (32, HEX_DIGITS),
            (32, HEX_DIGITS),
        ),
    ],
    ids=["rust-static-str", "typescript-annotation", "go-var-string", "js-or-default", "python-or-default"],
)
def test_a_type_or_a_default_between_name_and_value(
    provider: str,
    template: str,
    id_shape: tuple[int, str],
    secret_shape: tuple[int, str],
    ruleset: Ruleset,
    keys: FakeKeys,
) -> None:
    key_id, secret = keys._text(*id_shape), keys._text(*secret_shape)
    findings = scan_text(template.format(id=key_id, secret=secret), ruleset)
    found = [(f.provider, f.kind, f.key_id, f.secret) for f in findings]
    assert found == [(provider, Kind.PAIR, key_id, secret)]
