"""A secret alone under a name every service uses (``secret_key``) is a provider's only near the provider's
own words (``needs_near`` on a secret rule): Tencent's SecretKey in code that calls Tencent Cloud, with its
SecretId read from elsewhere or gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from akscan.engine.rules import RuleError, load_ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

RULES = load_ruleset()


def _mixed(keys: FakeKeys) -> str:
    """A SecretKey with all three classes (a lone secret needs them)."""
    while True:
        value = keys.tencent_secret()
        if any(c.isupper() for c in value) and any(c.islower() for c in value) and any(c.isdigit() for c in value):
            return value


@pytest.mark.parametrize(("extra", "found"), [(-1, True), (0, True), (1, False)])
def test_tencents_words_at_the_edge_of_the_secrets_reach(keys: FakeKeys, extra: int, found: bool) -> None:
    """``needs_near_bytes`` (3000) from the word's start to the value's start: within it the secret is
    Tencent's, one byte farther it is any service's and not reported."""
    reach = RULES.rule("tencent-context-secret").needs_near_bytes
    assert reach == 3000
    secret = _mixed(keys)
    head = "# myqcloud\n"
    line = f'secret_key = "{secret}"\n'
    # The word starts at 2; the value at len(head) + pad + len('secret_key = "'): reach + extra apart.
    pad = reach + extra + 2 - len(head) - len('secret_key = "')
    text = head + "#" * (pad - 1) + "\n" + line
    assert text.index(secret) - text.index("myqcloud") == reach + extra
    findings = [(f.rule_id, f.kind, f.secret) for f in scan_text(text, RULES)]
    assert findings == ([("tencent-context-secret", Kind.SECRET, secret)] if found else []), findings


@pytest.mark.parametrize(
    "text",
    [
        'signstr = "POSTaai.qcloud.com/asr/v1/"\n    # secret_key = "{s}"\n',
        "cos:\n  domain: https://photos-1250000000.cos.ap-guangzhou.myqcloud.com\n  secretKey: '{s}'\n",
        "// 腾讯云 COS\nconst secret-key = `{s}`;\n",
        "COS_SECRET_KEY={s}\nCOS_HOST=photos-1250000000.cos.ap-guangzhou.myqcloud.com\n",
    ],
)
def test_a_tencent_secret_alone_in_tencent_code(keys: FakeKeys, text: str) -> None:
    secret = _mixed(keys)
    findings = [(f.rule_id, f.kind, f.secret) for f in scan_text(text.format(s=secret), RULES)]
    assert findings == [("tencent-context-secret", Kind.SECRET, secret)], findings


def test_with_its_secret_id_it_is_the_pair_once(keys: FakeKeys) -> None:
    """Beside its SecretId the secret is the pair's, not also a lone secret."""
    key_id, secret = keys.tencent_id(), _mixed(keys)
    text = f"# qcloud_cos\nsecret_id = '{key_id}'\nsecret_key = '{secret}'\n"
    findings = [(f.kind, f.key_id, f.secret) for f in scan_text(text, RULES)]
    assert findings == [(Kind.PAIR, key_id, secret)], findings


def test_two_classes_or_hex_are_not_a_lone_secret(keys: FakeKeys) -> None:
    """WeChat's app secrets and Tencent SMS app keys are 32 hex digits: never a SecretKey alone."""
    text = (
        "# myqcloud.com uploads\nsecret_key = '9f86d081884c7d659a2feaa0c55ad015'\n"
        "secretKey = 'abcdefghijklmnopqrstuvwxyzabcdef'\n"
    )
    assert scan_text(text, RULES) == []


def test_needs_near_on_a_secret_rule_only_with_a_lone_severity(tmp_path: Path) -> None:
    """A secret reported only in a pair has no use for the words: the key is refused there, accepted on a
    secret rule that reports secrets alone."""
    rule = (
        '[[rules]]\nid = "acme-secret"\nprovider = "acme"\nkind = "secret"\npattern = \'([a-z]{20})\'\n'
        'context_words = ["acme_secret"]\nneeds_near = ["acme"]\ndescription = "d"\nremediation = "r"\n'
    )
    (tmp_path / "acme.toml").write_text(rule)
    with pytest.raises(RuleError, match="needs_near is for key-ID rules and secret rules with a lone_severity"):
        load_ruleset((tmp_path,))
    (tmp_path / "acme.toml").write_text(rule + 'lone_severity = "low"\n')
    assert load_ruleset((tmp_path,)).rule("acme-secret").needs_near == ("acme",)


@pytest.mark.parametrize("name", ["JWT_SECRET_KEY", "SECRET_KEY", "app_secret_key", "secret_key_base"])
def test_another_secrets_name_beside_tencents_words(keys: FakeKeys, name: str) -> None:
    """Qualified by another's word, or a web framework's bare all-capitals signing key, or longer: not
    Tencent's, though its OCR is configured a few lines above."""
    text = f"# 腾讯云 OCR\nTENCENT_OCR_REGION=ap-guangzhou\n{name}={_mixed(keys)}\n"
    assert scan_text(text, RULES) == []


def test_the_tccli_readmes_example_secret_alone_is_documentation() -> None:
    """TCCLI's README configures its documented example pair; a copy that masks the SecretId keeps the
    SecretKey, which is no leak."""
    text = "$ tccli configure list\nsecretKey = OxXj7khcV1234dQSSYNABcdCc1LiArFd\n"
    assert scan_text(text, RULES) == []


@pytest.mark.parametrize(
    "text",
    [
        # another storage's block below Tencent's, in one file (Dromara x-file-storage's settings)
        "tencent-cos:\n  domain: https://b-1250000000.cos.ap-guangzhou.myqcloud.com/\n"
        "minio:\n  end-point: http://127.0.0.1:9000\n  secret-key: {s}\n",
        # a JWT section beside a Tencent upload block
        '# 腾讯云 COS uploads\ncos:\n  bucket: b-1250000000\njwt:\n  secret_key: "{s}"\n',
        # Baidu's AI keys in a speech helper that falls back to Tencent's OCR
        "# fallback: tencentcloud ocr\nfrom aip import AipSpeech\nBAIDU = {{'app_id': '1', 'secret_key': '{s}'}}\n",
        # a WeChat Pay block above a Tencent SMS block
        "// 腾讯云短信\n'wechat' => [\n  'mch_id' => '1601234567',\n  'secret_key' => '{s}',\n],\n"
        "'qcloud_sms' => ['app_key' => env('K')],\n",
        # jQCloud (a word-cloud plugin) is no Tencent word
        "$('#tags').jQCloud(words);\nvar pusher = {{ secretKey: '{s}' }};\n",
        # a longer password's head: the value must end where its quotes do
        "# tencentcloud\nsecret_key = '{s}!2024'\nSECRET_KEY_B = \"{s}@db.example.com\"\n",
    ],
)
def test_another_services_secret_near_tencents_words(keys: FakeKeys, text: str) -> None:
    """The secret is the service's whose word is nearer it (above it first: a block's header precedes its
    values); Tencent's words farther off, or none (jQCloud), leave it unreported."""
    found = scan_text(text.format(s=_mixed(keys)), RULES)
    assert [f.rule_id for f in found if f.rule_id == "tencent-context-secret"] == [], found


def test_yields_to_on_a_secret_rule_only_beside_needs_near(tmp_path: Path) -> None:
    """Another service's words are weighed against the provider's own: a secret rule without ``needs_near``
    (or that reports no secret alone) has none, and is refused the key."""
    rule = (
        '[[rules]]\nid = "acme-secret"\nprovider = "acme"\nkind = "secret"\npattern = \'([a-z]{20})\'\n'
        'context_words = ["acme_secret"]\nyields_to = ["minio"]\ndescription = "d"\nremediation = "r"\n'
    )
    for extra in ('lone_severity = "low"\n', 'needs_near = ["acme"]\n'):
        (tmp_path / "acme.toml").write_text(rule + extra)
        with pytest.raises(RuleError, match="yields_to is for key-ID rules"):
            load_ruleset((tmp_path,))
    (tmp_path / "acme.toml").write_text(rule + 'lone_severity = "low"\nneeds_near = ["acme"]\n')
    assert load_ruleset((tmp_path,)).rule("acme-secret").yields_to == ("minio",)


@pytest.mark.parametrize(
    "text",
    [
        # a web back end's imports name other libraries; they head no block of settings
        "from qcloud_cos import CosConfig, CosS3Client\nimport jwt\nfrom django.http import JsonResponse\n"
        "secret_id = os.environ['COS_SECRET_ID']\nsecret_key = \"{s}\"\n",
        # the COS SDKs of Java, PHP, Node and iOS by their packages
        'import com.qcloud.cos.COSClient;\nprivate static final String secretKey = "{s}";\n',
        'use Qcloud\\Cos\\Client;\n$secretKey = "{s}";\n',
        "const COS = require('cos-nodejs-sdk-v5');\nconst secretKey = \"{s}\";\n",
        '#import <QCloudCOSXML/QCloudCOSXML.h>\nstatic NSString *const secretKey = @"{s}";\n',
    ],
)
def test_a_tencent_secret_beside_other_libraries_words(keys: FakeKeys, text: str) -> None:
    secret = _mixed(keys)
    found = [(f.rule_id, f.secret) for f in scan_text(text.format(s=secret), RULES)]
    assert found == [("tencent-context-secret", secret)], found


def test_a_service_word_inside_the_value_takes_nothing(keys: FakeKeys) -> None:
    """The value itself spells a service's word (JwT): it is no block of another service's."""
    while True:
        secret = _mixed(keys)
        if "jwt" not in secret.lower():
            break
    secret = secret[:20] + "JwT" + secret[23:]
    text = f'secret_key = "{secret}"\n# upload to tencentcloud COS\n'
    found = [(f.rule_id, f.secret) for f in scan_text(text, RULES)]
    assert found == [("tencent-context-secret", secret)], found


def test_an_ini_section_of_another_service_takes_its_secret(keys: FakeKeys) -> None:
    text = f"# uploads: myqcloud.com\n[cos]\nregion = ap-guangzhou\n[minio]\nsecret_key = {_mixed(keys)}\n"
    assert [f for f in scan_text(text, RULES) if f.rule_id == "tencent-context-secret"] == []
