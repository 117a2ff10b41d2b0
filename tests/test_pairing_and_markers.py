"""Pairing tie-breaks and every inline suppression marker, through the real engine: each test here fails
if the rule it pins is changed (they were written against deliberate bugs)."""

from __future__ import annotations

import itertools

import pytest

from akscan.engine.pipeline import scan_blob
from akscan.engine.positions import Positions
from akscan.engine.rules import Ruleset
from akscan.model import Blob, Finding, Kind, Origin, ScanStats
from tests.conftest import scan_text
from tests.keys import FakeKeys


def scan_suppressed(text: str, ruleset: Ruleset) -> list[Finding]:
    """The engine plus the inline-marker stage, as every source runs them."""
    return scan_blob(Blob(text.encode(), Origin("sample.py")), ruleset, ScanStats())


def _pairs(text: str, ruleset: Ruleset) -> set[tuple[str, str | None, str | None]]:
    return {(str(f.kind), f.key_id, f.secret) for f in scan_text(text, ruleset)}


def test_positional_call_pairs_the_secret_with_the_id_before_it(ruleset: Ruleset, keys: FakeKeys) -> None:
    id1, id2, secret = keys.alibaba_id(), keys.alibaba_id(), keys.alibaba_secret()
    assert _pairs(f"client = f('{id1}', '{secret}', '{id2}')\n", ruleset) == {
        ("pair", id1, secret),
        ("key-id", id2, None),
    }


def test_secret_equidistant_above_and_below_an_id_pairs_below(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, above, below = keys.alibaba_id(), keys.alibaba_secret(), keys.alibaba_secret()
    found = _pairs(f"x = '{above}'\nid = '{key_id}'\ny = '{below}'\n", ruleset)
    assert ("pair", key_id, below) in found and ("pair", key_id, above) not in found


def test_secret_between_two_ids_belongs_to_the_one_above(ruleset: Ruleset, keys: FakeKeys) -> None:
    id1, id2, secret = keys.alibaba_id(), keys.alibaba_id(), keys.alibaba_secret()
    # The byte gap to id2 is shorter than to id1: distance alone would pick id2.
    text = f"first_id = '{id1}'\nsecret = '{secret}'\nid2 = '{id2}'\n"
    assert _pairs(text, ruleset) == {("pair", id1, secret), ("key-id", id2, None)}


def test_secret_first_layout_is_recognised(ruleset: Ruleset, keys: FakeKeys) -> None:
    (id1, s1), (id2, s2) = (keys.alibaba_id(), keys.alibaba_secret()), (keys.alibaba_id(), keys.alibaba_secret())
    text = f"s1 = '{s1}'\na1 = '{id1}'\ns2 = '{s2}'\na2 = '{id2}'\n"
    assert _pairs(text, ruleset) == {("pair", id1, s1), ("pair", id2, s2)}


SAME_LINE_MARKERS = ["akscan:allow", "gitleaks:allow", "pragma: allowlist secret"]


@pytest.mark.parametrize("marker", SAME_LINE_MARKERS)
@pytest.mark.parametrize("where", ["id", "secret"])
def test_each_same_line_marker_suppresses(marker: str, where: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    id_line = f"AK = '{key_id}'" + (f"  # {marker}" if where == "id" else "")
    secret_line = f"SK = '{secret}'" + (f"  # {marker}" if where == "secret" else "")
    assert scan_suppressed(f"{id_line}\n{secret_line}\n", ruleset) == []
    # The same text without the marker is a finding: the marker, not the layout, silenced it.
    assert [f.kind for f in scan_suppressed(f"AK = '{key_id}'\nSK = '{secret}'\n", ruleset)] == [Kind.PAIR]


def test_nextline_marker_covers_only_the_next_line(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    marker = "# pragma: allowlist nextline secret"
    assert scan_suppressed(f"{marker}\nAK = '{key_id}'\n", ruleset) == []
    assert [f.key_id for f in scan_suppressed(f"{marker}\n\nAK = '{key_id}'\n", ruleset)] == [key_id]
    assert [f.key_id for f in scan_suppressed(f"AK = '{key_id}'\n{marker}\n", ruleset)] == [key_id]


def test_marker_on_an_unrelated_line_does_not_suppress(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    assert [f.key_id for f in scan_suppressed(f"# akscan:allow\n\nAK = '{key_id}'\n", ruleset)] == [key_id]


def _entropy(value: str) -> float:
    """Shannon entropy in bits per character, computed here rather than with the engine's own helper."""
    import math
    from collections import Counter

    return -sum(n / len(value) * math.log2(n / len(value)) for n in Counter(value).values())


def _value_with_entropy_near(target: float, above: bool, length: int = 30) -> str:
    """A mixed-case alphanumeric value of ``length`` whose entropy is the closest to ``target`` from the
    given side: ``k`` well-spread characters, used as evenly as possible, in a shuffled order."""
    import random

    spread = "Ak7Qd2Wp9Ms4Gx6Tb8Rf3Hn5Jv"
    rng = random.Random(1)
    best: str | None = None
    for k in range(2, len(spread) + 1):
        counts = [length // k + (1 if i < length % k else 0) for i in range(k)]
        chars = [c for c, n in zip(spread[:k], counts, strict=True) for _ in range(n)]
        for _ in range(50):  # a shuffle with no character twice in a row
            rng.shuffle(chars)
            if all(a != b for a, b in itertools.pairwise(chars)):
                break
        value = "".join(chars)
        if (_entropy(value) >= target) == above and (
            best is None or abs(_entropy(value) - target) < abs(_entropy(best) - target)
        ):
            best = value
    assert best is not None
    return best


def test_secret_entropy_floor_is_the_rules(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A secret just over the rule's ``min_entropy`` pairs; one just under does not: raising or
    lowering the floor in the rule file fails here."""
    floor = next(r for r in ruleset.rules if r.id == "alibaba-access-key-secret").min_entropy
    over, under = _value_with_entropy_near(floor, above=True), _value_with_entropy_near(floor, above=False)
    assert floor <= _entropy(over) < floor + 0.2 and floor - 0.2 < _entropy(under) < floor
    key_id = keys.alibaba_id()
    assert _pairs(f"oss2.Auth('{key_id}', '{over}')\n", ruleset) == {("pair", key_id, over)}
    assert _pairs(f"oss2.Auth('{key_id}', '{under}')\n", ruleset) == {("key-id", key_id, None)}


def test_every_uniformly_random_pair_is_found(ruleset: Ruleset) -> None:
    """1,000 pairs drawn the way the cloud draws them (uniform, unfiltered): each is reported, paired
    right. A filter or entropy floor stricter than real keys fails here, not by chance."""
    keys = FakeKeys(seed=424242)
    lines = []
    expected = set()
    for _ in range(1000):
        key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
        expected.add(("pair", key_id, secret))
        lines.append(f"clients.append(oss2.Auth('{key_id}', '{secret}'))\n\n\n")
    assert _pairs("".join(lines), ruleset) == expected


@pytest.mark.parametrize("comment", ["//", "#"])
def test_a_commented_out_pair_beside_a_live_one_is_not_crossed(ruleset: Ruleset, keys: FakeKeys, comment: str) -> None:
    """An old pair kept in a comment above (or below) the live one: each ID with its own secret, not the
    nearest line's (seen in Kingsoft's and KS3's own SDK samples)."""
    old_id, old_secret = keys.alibaba_id(), keys.alibaba_secret()
    new_id, new_secret = keys.alibaba_id(), keys.alibaba_secret()
    text = (
        f'{comment} String accessKeyId = "{old_id}";\n'
        f'String accessKeyId = "{new_id}";\n'
        f'{comment} String accessKeySecret = "{old_secret}";\n'
        f'String accessKeySecret = "{new_secret}";\n'
    )
    pairs = {(f.key_id, f.secret) for f in scan_text(text, ruleset) if f.secret}
    assert pairs == {(old_id, old_secret), (new_id, new_secret)}


@pytest.mark.parametrize("comment", ["//", "  #"])
def test_a_pair_in_trailing_comments_is_not_crossed_with_the_live_values(
    ruleset: Ruleset, keys: FakeKeys, comment: str
) -> None:
    """A component's fields hold one pair and the comments after them another (a GCS HMAC pair kept
    beside a local MinIO one): the ID in a trailing comment takes the secret in the next trailing comment,
    not the nearer live value (it had been paired with the wrong secret)."""
    gcs_id = "GOOG1E" + keys._text(55, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    live_secret, gcs_secret = keys.aws_secret(), keys.aws_secret()
    text = (
        "    endpoint = 'http://127.0.0.1:9000'; // https://storage.googleapis.com\n"
        f"    accessKey = 'minio-local-user'; {comment} {gcs_id}\n"
        f"    secretKey = '{live_secret}'; {comment} {gcs_secret}\n"
    )
    assert ("pair", gcs_id, gcs_secret) in _pairs(text, ruleset)


@pytest.mark.parametrize(
    ("line", "in_comment"),
    [
        ("x = 'a'; // ", True),
        ("a = 1  # ", True),
        ("url = 'https://host/", False),  # a URL's // inside quotes
        ("endpoint: https://host/?id=", False),  # a bare URL: `://`
        ('a = "x // y" + ', False),
        ('s = "#{name}" ', False),  # Ruby's interpolation
        ("x = 'don\\'t' // ", True),  # an escaped quote does not open a string
        ("  key: ", False),
        ('a = "x // ', False),  # inside a string the line has not closed
        ("see #12 AccessKeyId=", False),  # an issue's number
        ("style = color #fff; id = ", False),  # a colour
        ("endpoint = //oss-cn-hangzhou.aliyuncs.com, ak = ", False),  # a protocol-relative URL
    ],
)
def test_a_trailing_comment_is_read_outside_quotes(line: str, in_comment: bool) -> None:
    positions = Positions(line.encode() + b"VALUE")
    assert positions.commented(len(line.encode())) == int(in_comment)


@pytest.mark.parametrize(("older", "newer"), [("//    //", "//"), ("# #", "#"), ("////", "//")])
def test_a_pair_commented_out_twice_beside_one_commented_once_is_not_crossed(
    ruleset: Ruleset, keys: FakeKeys, older: str, newer: str
) -> None:
    """A service moved off Baidu BOS kept both old pairs in comments, the older one commented out twice
    and interleaved line by line with the newer: each ID with the secret at its own comment depth."""
    hex_digits = "abcdef0123456789"
    old_id, old_secret, new_id, new_secret = (keys._text(32, hex_digits) for _ in range(4))
    text = (
        '//    String endpoint = "https://gz.bcebos.com";\n'
        f'{older}    String ACCESS_KEY_ID = "{old_id}";    // 用户的Access Key ID\n'
        f'{newer}    String ACCESS_KEY_ID = "{new_id}";    // 用户的Access Key ID\n'
        f'{older}    String SECRET_ACCESS_KEY = "{old_secret}";    // 用户的Secret Access Key\n'
        f'{newer}    String SECRET_ACCESS_KEY = "{new_secret}";    // 用户的Secret Access Key\n'
    )
    assert _pairs(text, ruleset) == {("pair", old_id, old_secret), ("pair", new_id, new_secret)}


def test_an_upper_case_secret_name_is_no_id_name(ruleset: Ruleset, keys: FakeKeys) -> None:
    """``SECRET_ACCESS_KEY`` ends in ``ACCESS_KEY``, an ID's name: read in any case, the ``SECRET_`` before
    it says the value is the secret (it was reported as a second, lone Baidu ID)."""
    key_id, secret = keys._text(32, "abcdef0123456789"), keys._text(32, "abcdef0123456789")
    text = (
        f'String ACCESS_KEY_ID = "{key_id}";\n'
        f'String SECRET_ACCESS_KEY = "{secret}";\n'
        'config.setEndpoint("gz.bcebos.com");\n'
    )
    assert _pairs(text, ruleset) == {("pair", key_id, secret)}


def test_a_value_named_as_an_id_is_never_a_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Two presigned URLs side by side on a CDN's domain (no cloud's word near them), one signed by a JDC_
    key and one by another key (32 lower-case hex): the hex value is named an ID (``AWSAccessKeyId=``), so
    it is never the JDC_ key's secret; the JDC_ ID is reported alone."""
    new_id = "JDC_" + keys._text(28, "ABCDEF0123456789")
    other_id = keys._text(32, "abcdef0123456789")
    url = "https://img.cdn.example/{}.png?AWSAccessKeyId={}&Expires=1725363827&Signature=x"
    text = f'avatar = "{url.format("a", new_id)}"\ncover = "{url.format("b", other_id)}"\n'
    assert _pairs(text, ruleset) == {("key-id", new_id, None)}


def test_documented_example_ids_are_reported_only_with_their_secret(ruleset: Ruleset) -> None:
    """Baidu's signed-request examples show one engineer's old AK on every API page: alone it is
    documentation; with its secret beside it (Baidu's own SDK tests) it is still a pair. Huawei OBS's
    example AK is documentation in any company."""
    documented = "46bd9968a6194b4bbdf0341f2286ccce"
    header = f"host: bcc.bj.baidubce.com\nauthorization: bce-auth-v1/{documented}/2015-03-24T13:02:00Z/1800/host/0f1e\n"
    assert _pairs(header, ruleset) == set()
    secret = "3b9d0e52c61f4a8e97d2b5a0c4e1f763"
    config = f'bos_host = "bj.bcebos.com"\naccess_key_id = "{documented}"\nsecret_access_key = "{secret}"\n'
    assert _pairs(config, ruleset) == {("pair", documented, secret)}
    obs = "curl https://b.obs.cn-north-4.myhuaweicloud.com/ \\\n"
    obs += "  -H 'Authorization: OBS H4IPJX0TQTHTHEBQQCEC:X7HtzGsIEkzJbd8vo1DRu30vVrs='\n"
    assert _pairs(obs, ruleset) == set()
    # tools' own manuals, installed with them (a scan of site-packages or /usr/share finds them)
    awscli = "X-Amz-Credential=AKIA32P3D2JDNMVAJLGF%2F20190814%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Signature=91613\n"
    gcloud = "To delete a specific HMAC key:\n\n.RS 2m\n$ gcloud storage hmac delete GOOG56JBMFZX6PMPTQ62VD2\n.RE\n"
    assert _pairs(awscli, ruleset) == set()
    assert _pairs(gcloud, ruleset) == set()
    # COS's XML API reference: every request example's Authorization carries the same q-ak
    cos = "Authorization: q-sign-algorithm=sha1&q-ak=AKIDWtTCBYjM5OwLB9CAwA1Qb2ThTSUjfGFO&q-sign-time=1484639384;325\n"
    assert _pairs(cos, ruleset) == set()


def test_a_pair_only_rule_nearer_the_id_does_not_silence_it(ruleset: Ruleset, keys: FakeKeys) -> None:
    """An old-format JD Cloud ID (32 upper-case hex) alone in a presigned jdcloud-oss.com URL: the pair-only
    rule (its ``AccessKeyId`` name is nearer than the word "jdcloud") reads it first, finds no secret, and
    the provider's context rule reports it alone, as for any other ID of that provider."""
    old_id = keys._text(32, "ABCDEF0123456789")
    text = f'img = "https://b.s3.cn-north-1.jdcloud-oss.com/p.jpg?AWSAccessKeyId={old_id}&Expires=1718187207"\n'
    assert [(f.rule_id, f.kind, f.key_id) for f in scan_text(text, ruleset)] == [
        ("jdcloud-context-access-key", Kind.KEY_ID, old_id)
    ]


def test_a_value_deep_in_a_long_line_is_live(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Past the 4 KB a value's line is read back, the line's start is unknown: the value is live. (It had
    been read from the file's start, so a `# settings` comment on line 1 made a live ID "commented" and
    paired it with the old secret kept in a comment below; and the read was quadratic on long lines.)"""
    key_id, live, old = keys.alibaba_id(), keys.alibaba_secret(), keys.alibaba_secret()
    pad = ",".join(f'"{keys._text(8)}"' for _ in range(500))
    text = (
        "import os  # settings\n"
        f'REGIONS = [{pad}]; ACCESS_KEY_ID = "{key_id}"\n'
        f'ACCESS_KEY_SECRET = "{live}"\n'
        f'# ACCESS_KEY_SECRET = "{old}"\n'
    )
    assert ("pair", key_id, live) in _pairs(text, ruleset)
    assert Positions(text.encode()).commented(text.index(key_id)) == 0
