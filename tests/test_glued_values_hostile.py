"""What a stranger's file can do with the twentieth sitting's new shapes (an attacker's read of them): a value
glued to a `//` comment, a Tencent token passed third after its pair, a masked SecretId near a nonce, and the new
context words (`uptoken`, Qianfan's `Auth.TYPE_OAUTH`). Each case failed before its fix."""

from __future__ import annotations

import base64

from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import ALNUM, FakeKeys

URL_SAFE = ALNUM + "-_"


def test_a_base64_payload_passed_third_is_no_token_and_is_still_decoded(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A deploy helper passes a base64 .env third, after a long-term Tencent pair: the pair stays long-term
    (high, not temporary), and the Alibaba pair inside the payload is still decoded and reported."""
    tencent_id, tencent_secret = keys.tencent_id(), keys.tencent_secret()
    ali_id, ali_secret = keys.alibaba_id(), keys.alibaba_secret()
    env = f"ALIBABA_CLOUD_ACCESS_KEY_ID={ali_id}\nALIBABA_CLOUD_ACCESS_KEY_SECRET={ali_secret}\n"
    payload = base64.b64encode(env.encode()).decode()
    text = f'deploy_function("{tencent_id}", "{tencent_secret}", "{payload}")\n'
    found = {(f.kind, f.key_id, f.secret, f.security_token) for f in scan_text(text, ruleset)}
    assert found == {(Kind.PAIR, tencent_id, tencent_secret, None), (Kind.PAIR, ali_id, ali_secret, None)}


def test_a_long_run_passed_third_after_a_temporary_pair_needs_its_closing_quote(
    ruleset: Ruleset, keys: FakeKeys
) -> None:
    """Only a whole quoted argument is a positional token: a run that goes on past the quote's place (no
    quote closes it) is none."""
    key_id = "AKID" + keys._text(64, URL_SAFE)
    secret = keys._text(43, ALNUM + "+/") + "="
    token = keys._text(300, URL_SAFE)
    closed = f'c = Credential("{key_id}", "{secret}", "{token}")\n'
    assert [f.security_token for f in scan_text(closed, ruleset)] == [token]
    unclosed = f'c = Credential("{key_id}", "{secret}", "{token} + suffix)\n'
    assert [f.security_token for f in scan_text(unclosed, ruleset)] == [None]


def test_whitespace_before_an_akid_stays_cheap_and_keeps_the_token_rule(ruleset: Ruleset, keys: FakeKeys) -> None:
    """200 KB of blank lines before an AKID: the positional token's lookbehind is bounded, so the token rule
    is not timed out (and switched off for the rest of the scan); an STS answer after it keeps its token."""
    hostile = "\n" * 200_000 + "akid " + keys.tencent_id() + "\n"
    scan_text(hostile, ruleset)
    assert "tencent-session-token" not in ruleset.switched_off  # (its regex timed out on the unbounded lookbehind)
    key_id = "AKID" + keys._text(64, URL_SAFE)
    secret = keys._text(43, ALNUM + "+/") + "="
    token = keys._text(400, URL_SAFE)
    answer = f'{{"TmpSecretId": "{key_id}", "TmpSecretKey": "{secret}", "Token": "{token}"}}\n'
    assert [f.security_token for f in scan_text(answer, ruleset)] == [token]


# The start of a real PNG attached to a mail (an icon), its MIME lines of 76 columns: the third line holds `//`
# 38 characters in, where a value cut before `//` would be a Volcengine secret's shape.
PNG_LINES = (
    "iVBORw0KGgoAAAANSUhEUgAAAgAAAAIACAYAAAD0eNT6AAAACXBIWXMAAA7DAAAOwwHHb6hkAAAA\n"
    "GXRFWHRTb2Z0d2FyZQB3d3cuaW5rc2NhcGUub3Jnm+48GgAAABd0RVh0QXV0aG9yAExhcG8gQ2Fs\n"
    "YW1hbmRyZWnfkRoqAAAYh0lEQVR4nO3dbZBldZ3Y8d//3u6e6XkWFhgYENDNipjojizBB5ptZpqR\n"
)


def test_a_base64_line_with_a_double_slash_is_no_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A value may end at a glued `//` comment only when the comment is text: `//` inside base64 (an image's
    MIME lines, a 40-character AWS-style secret with `//` in it) goes on, and cuts no secret out of it."""
    key_id = "AKLT" + base64.b64encode(keys._text(32, "0123456789abcdef").encode()).decode().rstrip("=")
    mail = f"Use AccessKeyId {key_id} (the secret is in the vault).\n\n" + PNG_LINES
    assert [(f.kind, f.key_id, f.secret) for f in scan_text(mail, ruleset)] == [(Kind.KEY_ID, key_id, None)]
    env = 'oss_endpoint = "oss-cn-hangzhou.aliyuncs.com"\nsecret_key = "37HyVaQXekW9LctXb03rEMU64yTY6B//Y4rUmer/"\n'
    assert scan_text(env, ruleset) == []
    glued = f'oss_endpoint = "oss-cn-hangzhou.aliyuncs.com"\nsecret_key = "{keys.alibaba_secret()}"//老的\n'
    assert [f.kind for f in scan_text(glued, ruleset)] == [Kind.SECRET]


def test_a_nonce_below_a_masked_secret_id_is_no_secret_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A masked SecretId in a logged request and a 32-character nonce below it, the key read from the
    environment: nothing. The same value named as a secret is the masked ID's SecretKey."""
    nonce = keys.tencent_secret()
    text = (
        'secret = os.environ["TENCENT_SECRET_KEY"]\n'
        "#   SecretId=AKIDPcY*****CVYLn3zT&Action=SendMessage\n"
        f'nonce = "{nonce}"\n'
    )
    assert scan_text(text, ruleset) == []
    named = text.replace("nonce =", "secret_key =")
    assert [(f.key_id, f.secret) for f in scan_text(named, ruleset)] == [("AKIDPcY*****CVYLn3zT", nonce)]


def test_words_inside_other_words_open_no_provider(ruleset: Ruleset, keys: FakeKeys) -> None:
    """`groupToken` holds "uptoken" and an i18n key `auth.type_oauth2` holds Qianfan's `Auth.TYPE_OAUTH`:
    neither makes an S3-compatible store's keys Qiniu's, or a demo OAuth app's Baidu's."""
    store = (
        f"const ACCESS_KEY = '{keys._text(40)}';\nconst SECRET_KEY = '{keys._text(40)}';\n"
        "function inviteLink(groupToken) {\n  return `https://example.com/join?g=${groupToken}`;\n}\n"
    )
    assert scan_text(store, ruleset) == []
    oauth = (
        'case "oauth2": return t("auth.type_oauth2");\n'
        f'export const demo = {{ clientId: "{keys._text(24)}", clientSecret: "{keys._text(32)}" }};\n'
    )
    assert scan_text(oauth, ruleset) == []
    uptoken = f'  private uptoken = "{keys._text(40, URL_SAFE)}";\n'
    assert [f.rule_id for f in scan_text(uptoken, ruleset)] == ["qiniu-context-access-key"]


# A second read, of the late changes: each a credential lost or a false pair the first fixes had made.


def test_a_baidu_pair_below_a_spark_url_is_still_baidus(ruleset: Ruleset, keys: FakeKeys) -> None:
    """iFlytek Spark's URL one line above Baidu's speech keys (24 and 32): the pair is Baidu's."""
    api_key, secret = keys._text(24), keys._text(32)
    text = (
        "from aip import AipSpeech\n"
        "SPARK_URL = 'wss://spark-api.xf-yun.com/v3.5/chat'  # its keys are read from the environment\n"
        f"APP_ID = '28473915'\nAPI_KEY = '{api_key}'\nSECRET_KEY = '{secret}'\n"
    )
    assert [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [
        ("baidu-ai-api-key", api_key, secret)
    ]


def test_qiniu_get_up_token_helpers_are_context(ruleset: Ruleset, keys: FakeKeys) -> None:
    """`getUptoken()` is Qiniu's own idiom: its keys are Qiniu's, though "uptoken" is inside a longer word."""
    ak, sk = keys._text(40, URL_SAFE), keys._text(40, URL_SAFE)
    text = f"async function getUptoken() {{\n  const accessKey = '{ak}'\n  const secretKey = '{sk}'\n}}\n"
    assert [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("qiniu-context-access-key", ak, sk)]


def test_a_glued_comment_in_english_ends_the_value(ruleset: Ruleset, keys: FakeKeys) -> None:
    """`…//see the RAM console`: a word and a space after `//` is a comment (base64 has no spaces)."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = (
        "spring.oss.endpoint=oss-cn-hangzhou.aliyuncs.com//the region of your bucket\n"
        f"spring.oss.accesskeyid={key_id}//see the RAM console\n"
        f"spring.oss.accesskeysecret={secret}//see the RAM console\n"
    )
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


def test_a_masked_ids_secret_under_key_password_or_a_bare_name(ruleset: Ruleset, keys: FakeKeys) -> None:
    """`key:`, `password:` and an unquoted `secret = …` beside a masked SecretId (and a secret key's name in the
    text, which the masked-ID rule needs) still name its SecretKey."""
    secret = keys.tencent_secret()
    for layout in (
        "# the SecretId / SecretKey pair from the CAM console, id masked for the issue\n"
        f"cos:\n  region: ap-guangzhou\n  id: AKIDyP***5cKq\n  key: {secret}\n",
        f"Rotated the Tencent Cloud secret key today.\nnew SecretId: AKIDyP…5cKq\npassword: {secret}\n",
        f"[cos]\nregion = ap-shanghai\nid = AKIDyP***5cKq\nsecret = {secret}\n",
    ):
        assert [f.secret for f in scan_text(layout, ruleset)] == [secret], layout


def test_baidu_named_beside_other_services_keys_opens_no_baidu_context(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A `// baidu site verification` comment, a list of search engines `['google','baidu','bing']` and a
    `// baidu map` comment beside a comment service's appKey (24) and an analytics id (32): nothing."""
    app_key, site = keys._text(24), keys._text(32, "0123456789abcdef")
    for text in (
        f"    // baidu site verification\n    ['vuepress-plugin-baidu-tongji', {{ hm: '{site}' }}],\n"
        f"    valineConfig: {{ appId: 'Fwy2Ht4ujRfr5eDe4QSgkPXa-gzGzoHsz', appKey: '{app_key}' }},\n",
        f"const ENGINES = ['google','baidu','bing','sogou','so']\nconst TONGJI_SITE = '{site}'\n"
        f"AV.init({{ appId: 'Fwy2Ht4ujRfr5eDe4QSgkPXa-gzGzoHsz', appKey: '{app_key}' }})\n",
        f"  // baidu map\n  mapApiKey: '{keys._text(32)}',\n  // baidu tongji\n  apiKey: '{app_key}',\n"
        f"  siteId: '{site}',\n",
    ):
        assert scan_text(text, ruleset) == [], text


def test_a_long_or_deeply_indented_positional_token_is_read(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Tokens of up to 4,096 characters, and arguments indented deep on lines of their own."""
    key_id = "AKID" + keys._text(64, URL_SAFE)
    secret = keys._text(43, ALNUM + "+/") + "="
    token = keys._text(2100, URL_SAFE)
    indent = "\n" + " " * 44
    for text in (
        f'c = new Credential("{key_id}", "{secret}", "{token}");\n',
        f'c = new Credential("{key_id}",{indent}"{secret}",{indent}"{token}");\n',
    ):
        assert [f.security_token for f in scan_text(text, ruleset)] == [token]
