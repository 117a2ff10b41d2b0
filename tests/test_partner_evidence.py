"""What the text around a credential says about its other half, from the twelfth sitting's blind rounds:
names glued without separators, a "token" that holds the whole credential, a long-term ID beside a
session token, and hand-typed sketches whose impossible half marks the whole block as made up."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.rules import load_ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

RULES = load_ruleset()
ALNUM = string.ascii_letters + string.digits


def _text(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _pairs(text: str, path: str = "sample.txt") -> list[tuple[str, str | None, str | None]]:
    return [(f.provider, f.key_id, f.secret) for f in scan_text(text, RULES, path)]


def test_acronym_names_split_like_words() -> None:
    """``AWSAccessKey``/``AWSSecretKey`` (C# App.config, a seed script's JSON): the acronym is its own word,
    so the two names agree instead of contradicting (``awsaccess`` against ``awssecret``)."""
    from akscan.engine.names import words

    assert words("AWSAccessKey") == ["aws", "access", "key"] and words("OSSAccessKeyID") == [
        "oss",
        "access",
        "key",
        "id",
    ]
    keys = FakeKeys(21)
    key_id, secret = keys.aws_id(), keys.aws_secret()
    text = f'<add key="AWSAccessKey" value="{key_id}" />\n<add key="AWSSecretKey" value="{secret}" />\n'
    assert _pairs(text) == [("aws", key_id, secret)]


def test_names_glued_without_separators_agree() -> None:
    """``APIKEY``/``APISECRET`` (a Go const block of the Baidu AI SDK): one word each, read as ``api`` +
    ``key`` and ``api`` + ``secret``; ``smsaccesskeyid`` still contradicts ``ossaccesskeysecret``."""
    from akscan.engine.names import agreement

    assert agreement("APIKEY", "APISECRET") == 0
    assert agreement("ossaccesskeyid", "ossaccesskeysecret") == 1
    assert agreement("smsaccesskeyid", "ossaccesskeysecret") == -1
    rng = random.Random(22)
    api_key, secret = _text(rng, 24), _text(rng, 32)
    text = (
        'import "github.com/chenqinghe/baidu-ai-go-sdk/vision/ocr"\n\n'
        f'const (\n\tAPIKEY    = "{api_key}"\n\tAPISECRET = "{secret}"\n)\n'
    )
    assert _pairs(text, "main.go") == [("baidu", api_key, secret)]


def test_a_token_that_holds_the_id_leaves_its_secret_free() -> None:
    """``const token = 'bce-v3/ALTAK-…/<secret>;<session token>'``: Tencent's `token =` rule reads the whole
    bearer as a session token; it holds the Baidu ID, so it is the credential itself, and the secret
    inside it still pairs (temporary, with Baidu's session token)."""
    rng = random.Random(23)
    key_id = "ALTAK-" + _text(rng, 21)
    secret = _text(rng, 40, "0123456789abcdef")
    token = "ZjkyZmQ2YmQxZTQ3NDcyNjk0ZTg1ZjYyYjlkZjNjODB8" + _text(rng, 300, ALNUM + "+/") + "=="
    found = scan_text(f"const token = 'bce-v3/{key_id}/{secret};{token}';\n", RULES, "App.jsx")
    assert [(f.key_id, f.secret, f.kind) for f in found] == [(key_id, secret, Kind.STS)]
    assert found[0].security_token == token


def test_a_long_term_aws_id_never_takes_a_session_token() -> None:
    """An AKIA key is long-term: a session token beside it (another key's, under ``API_TOKEN``) is not its
    own, so the pair stays a permanent key (high), not a temporary one (medium)."""
    keys = FakeKeys(24)
    key_id, secret = keys.aws_id(), keys.aws_secret()
    token = "IQoJb3JpZ2luX2Vj" + _text(random.Random(24), 400, ALNUM + "+/") + "=="
    text = (
        f"os.environ['AWS_ACCESS_KEY_ID'] = '{key_id}'\nos.environ['AWS_SECRET_ACCESS_KEY'] = '{secret}'\n"
        f"os.environ['API_TOKEN'] = '{token}'\n"
    )
    [finding] = scan_text(text, RULES, "app.py")
    assert (finding.key_id, finding.secret, finding.kind, finding.security_token) == (key_id, secret, Kind.PAIR, None)
    # the same triple with an ASIA key is temporary (control)
    asia = "ASIA" + key_id[4:]
    [temporary] = scan_text(text.replace(key_id, asia), RULES, "app.py")
    assert (temporary.kind, temporary.security_token) == (Kind.STS, token)


@pytest.mark.parametrize(
    "text",
    [
        # a docstring sketching an AssumeRole answer: a "secret" of hand-typed filler beside the ASIA ID
        "{{'AccessKeyId': '{key_id}',\n 'SecretAccessKey': 'kKJ(324kljd,sfs.sl32423489/dakwu423nsdf'}}\n",
        # a vault demo's generated pair: an ID AWS never issues (hex: 0, 1, 8, 9) beside the named secret
        'aws_access_key_id = "AKIAE2647DD83A384175",\naws_secret_key    = "{secret}"\n',
    ],
)
def test_a_planted_partner_never_silences_the_other_half(text: str) -> None:
    """Text beside a key may change whom it pairs with, never whether it is reported: a lone ID beside a
    hand-typed "secret", or a real secret beside an impossible ID, is still reported (low or medium), since
    such a neighbour is one line any hostile file can plant. (Two near misses of the corpus are reviewed
    as such: a docstring's sketch and a vault demo's generated pairs.)"""
    keys = FakeKeys(25)
    key_id, secret = keys.aws_id("ASIA"), keys.aws_secret()
    found = scan_text(text.format(key_id=key_id, secret=secret), RULES, "sketch.py")
    assert [(f.key_id, f.secret) for f in found] in ([(key_id, None)], [(None, secret)])


def test_an_id_is_never_its_secrets_name() -> None:
    """``Auth('LTAI…', '<secret>')`` reads like a SQL row's ``'name', 'value'``; an ID with no digits whose
    letters split into words (``LTA Id VDx …``) once made its own secret "named as an ID" and unpaired it
    (2 of 1,000 uniformly drawn pairs)."""
    key_id, secret = "LTAIdVDxWUclUUVENCUHmJSQ", FakeKeys(27).alibaba_secret()
    assert _pairs(f"clients.append(oss2.Auth('{key_id}', '{secret}'))\n", "app.py") == [("alibaba", key_id, secret)]


@pytest.mark.parametrize(
    ("id_name", "secret_name"),
    [("COSSecretId", "COSsecret"), ("OSSAccessKeyId", "OSSsecret"), ("OSSAccessKeyId", "OSSKeySecret")],
)
def test_an_acronym_before_a_lower_case_word_is_read_both_ways(id_name: str, secret_name: str) -> None:
    """Split at acronyms, ``COSsecret`` reads "CO" + "Ssecret" and contradicted ``COSSecretId`` (cos): the
    names are read again without that split before they are called contradictory."""
    from akscan.engine.names import agreement

    assert agreement(id_name, secret_name) >= 0
    assert agreement("SMSAccessKeyId", "OSSsecret") == -1  # two services still contradict
    keys = FakeKeys(28)
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    text = f'{id_name} = "{key_id}"\n{secret_name} = "{secret}"\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, RULES, "cos.py")] == [(key_id, secret)]


@pytest.mark.parametrize(("count", "paired"), [(199, True), (200, True), (201, False)])
def test_far_pairing_reads_at_most_far_most_names(count: int, paired: bool) -> None:
    """Far pairing compares every lone ID's name with every lone secret's: a planted .env of thousands of
    each took minutes. Up to FAR_MOST of each, names pair them across the file; past it, each is reported
    alone (and the blob stays linear)."""
    from akscan.engine.pairs import FAR_MOST

    assert FAR_MOST == 200
    rng = random.Random(count)
    keys = FakeKeys(count)
    names = ["".join(rng.choice(string.ascii_uppercase) for _ in range(8)) for _ in range(count)]
    pairs = [(keys.alibaba_id(), keys.alibaba_secret()) for _ in names]
    text = "".join(f"{n}_ACCESS_KEY_ID={i}\n" for n, (i, _) in zip(names, pairs, strict=True))
    text += "".join(f"{n}_ACCESS_KEY_SECRET={s}\n" for n, (_, s) in zip(names, pairs, strict=True))
    found = {(f.key_id, f.secret) for f in scan_text(text, RULES, ".env")}
    whole = set(pairs) <= found
    assert whole == paired
    assert {f[0] for f in found} >= {i for i, _ in pairs}  # every ID is reported, paired or not


def test_a_qianfan_key_with_its_secret_masked_takes_no_other_services_key(keys: FakeKeys) -> None:
    """A .env listing several services: ``APPBUILDER_TOKEN=bce-v3/ALTAK-…/<secret masked with X>`` a few lines
    below another service's 32-character key. The slot after the ID is its secret's, whatever it holds: the ID
    is alone, and the other key stays the other service's (here no finding of its own)."""
    key_id = "ALTAK-" + keys.alibaba_secret()[:21]
    other = keys.alibaba_secret()[:30] + "Qz"
    masked = "24a428924XXXXXXXf80XXXXXXXXX"
    text = f"# 零一万物\nYI_KEY={other}\n\n# 千帆AppBuilder\nAPPBUILDER_TOKEN=bce-v3/{key_id}/{masked}\n"
    [finding] = scan_text(text, RULES)
    assert (finding.rule_id, finding.key_id, finding.secret) == ("baidu-access-key", key_id, None)
    whole = keys.alibaba_secret()[:30] + "Wx"
    text = text.replace(masked, whole)
    [finding] = scan_text(text, RULES)
    assert (finding.key_id, finding.secret) == (key_id, whole)  # its own slot, when it holds one, still pairs


def test_a_qianfan_key_with_json_escaped_slashes_is_read_as_one(keys: FakeKeys) -> None:
    """``"bce-v3\\/ALTAK-…\\/<masked>"`` in a JSON file beside another service's secret: the escaped slashes are
    the same composite, so the ID stays alone (it took the WeChat secret); with its slot whole it pairs."""
    key_id = "ALTAK-" + keys.alibaba_secret()[:21]
    wechat = keys.alibaba_secret()[:30] + "Qz"
    text = '{"qianfan_key":"bce-v3\\/' + key_id + '\\/8b25d0dbXXXXXXXXXXXXXXXX","wechat_app_secret":"' + wechat + '"}\n'
    [finding] = scan_text(text, RULES)
    assert (finding.key_id, finding.secret) == (key_id, None)
    whole = keys.alibaba_secret()[:30] + "Wx"
    [finding] = scan_text(text.replace("8b25d0dbXXXXXXXXXXXXXXXX", whole), RULES)
    assert (finding.key_id, finding.secret) == (key_id, whole)


def test_an_id_inside_a_baidu_request_signature_takes_no_neighbouring_hex(keys: FakeKeys) -> None:
    """A README table of signed BOS record links: ``| <32-hex record id> | https://….bcebos.com/…?authorization=
    bce-auth-v1/ALTAK…/<time>/-1/host/<signature> |``. The ID signed the request; the record ids in the next
    column are no secrets of it (three wrong pairs in a harvested file)."""
    key_id = "ALTAK" + keys.alibaba_secret()[:21]
    rows = []
    for n in range(3):
        record = "".join(keys.random.choice("0123456789abcdef") for _ in range(32))
        signature = "".join(keys.random.choice("0123456789abcdef") for _ in range(64))
        rows.append(
            f"| {record} | https://apollo.bj.bcebos.com/r/{record}.record?authorization=bce-auth-v1/{key_id}"
            f"/2024-10-28T06%3A27%3A5{n}Z/-1/host/{signature} |\n"
        )
    found = scan_text("".join(rows), RULES)
    assert {(f.key_id, f.secret) for f in found} == {(key_id, None)}


def test_a_named_secret_above_a_signed_request_still_pairs_with_its_id(keys: FakeKeys) -> None:
    """A debug script: ``BCE_SECRET_KEY=<32 hex>`` above a curl of a BOS URL signed ``bce-auth-v1/<AK>/…``. Inside
    a signed request the ID takes no unnamed neighbour (a table's record ids), but a value its name calls a
    secret is its partner (an attacker's read: the named secret had disappeared)."""
    hexes = ["".join(keys.random.choice("0123456789abcdef") for _ in range(32)) for _ in range(2)]
    signature = "".join(keys.random.choice("0123456789abcdef") for _ in range(64))
    text = (
        "#!/bin/sh\n# debug a BOS presigned download (baidu bce)\n"
        f"BCE_SECRET_KEY={hexes[1]}\n"
        f'curl "https://b.bj.bcebos.com/r.csv?authorization=bce-auth-v1/{hexes[0]}/2024-01-01T00:00:00Z/1800/host/'
        f'{signature}"\n'
    )
    assert [(f.key_id, f.secret) for f in scan_text(text, RULES)] == [(hexes[0], hexes[1])]
