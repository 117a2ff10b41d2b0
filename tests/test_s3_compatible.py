"""S3-compatible services issue keys of a cloud's shape: Ceph RGW (`radosgw-admin user create`), MinIO, Linode,
QingStor and Civo make a 20-character ID of upper-case letters and digits with a 40-character secret, the shape
of Huawei's AK/SK and of AWS's IDs before AKIA. Such a pair is not reported as a cloud's: named Huawei's or AWS's,
it would send its owner to the wrong console, and a verification against AWS would call a live key "not found".

The documents' layouts (a radosgw user's JSON, Linode's API answer, an s3cmd config, QingStor's SDK config, a
MinIO .env), filled with fresh fakes of those services' shapes; a rule that knows the pair by its shape alone
(tried in the fourteenth sitting, rules/qiniu.toml says) fails here."""

from __future__ import annotations

import random
import string

import pytest

from akscan.engine.rules import Ruleset
from tests.conftest import scan_text

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits


def _pair(rng: random.Random, secret_alphabet: str) -> tuple[str, str]:
    key_id = "".join(rng.choice(UPPER_DIGITS) for _ in range(20))
    secret = "".join(rng.choice(secret_alphabet) for _ in range(40))
    return key_id, secret


LAYOUTS = {
    "ceph radosgw user": '{{\n    "user": "backup",\n    "keys": [\n        {{\n            "user": "backup",\n'
    '            "access_key": "{id}",\n            "secret_key": "{secret}"\n        }}\n    ],\n}}\n',
    "linode object storage key": '{{\n  "id": 1234,\n  "label": "my-key",\n  "access_key": "{id}",\n'
    '  "secret_key": "{secret}",\n  "limited": false\n}}\n',
    "s3cmd config of a MinIO server": "[default]\naccess_key = {id}\nsecret_key = {secret}\n"
    "host_base = minio.internal:9000\nhost_bucket = minio.internal:9000\n",
    "qingstor sdk config": "access_key_id: '{id}'\nsecret_access_key: '{secret}'\nhost: 'qingstor.com'\n"
    "port: 443\nprotocol: 'https'\n",
    "aws names for a ceph endpoint": "[ceph]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"
    "endpoint_url = http://rgw.internal:7480\n",
    "minio env": "MINIO_ACCESS_KEY={id}\nMINIO_SECRET_KEY={secret}\n",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("secret_alphabet", [ALNUM, ALNUM + "+/"], ids=["letters-digits", "base64"])
def test_an_s3_compatible_pair_is_no_clouds(layout: str, secret_alphabet: str, ruleset: Ruleset) -> None:
    rng = random.Random(f"{layout}/{len(secret_alphabet)}")
    for _ in range(20):
        key_id, secret = _pair(rng, secret_alphabet)
        findings = scan_text(LAYOUTS[layout].format(id=key_id, secret=secret), ruleset)
        assert [(f.rule_id, f.provider) for f in findings if f.key_id == key_id] == [], layout
        if layout == "aws names for a ceph endpoint":  # nor its secret alone: the endpoint says whose it is
            assert [(f.rule_id, f.secret) for f in findings] == [], layout


@pytest.mark.parametrize("where", ["id", "secret"])
def test_a_providers_word_spelled_inside_a_random_value_is_no_context(where: str, ruleset: Ruleset) -> None:
    """KS3 is Kingsoft's word; 0.07% of random 40-character secrets (and some IDs) spell it. Inside a value (or
    in the middle of the long run of key characters beside it) it names no provider; at a run's start it does
    (Ks3Client, KS3_ACCESS_KEY)."""
    rng = random.Random(where)
    key_id, secret = _pair(rng, ALNUM + "+/")
    if where == "id":
        key_id = key_id[:8] + "KS3" + key_id[11:]
    else:
        secret = secret[:20] + "Ks3" + secret[23:]
    text = LAYOUTS["ceph radosgw user"].format(id=key_id, secret=secret)
    assert [f.rule_id for f in scan_text(text, ruleset) if f.provider == "kingsoft"] == []
    named = f"// ks3 storage\n{text}"
    assert [f.key_id for f in scan_text(named, ruleset) if f.provider == "kingsoft"] == [key_id]


def test_each_word_is_judged_once_per_blob(ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile file of name-bound values, each line also holding "ks3" inside a random run: every value
    walking every word of its window made 1 MB take 14 s. Each word is judged once, whatever the values."""
    from akscan.engine import candidates

    calls: list[int] = []
    judge = candidates.CandidateFinder._short_word_inside_a_run

    def counted(self: candidates.CandidateFinder, rule: object, at: int) -> bool:
        calls.append(at)
        return judge(self, rule, at)  # type: ignore[arg-type]

    monkeypatch.setattr(candidates.CandidateFinder, "_short_word_inside_a_run", counted)
    rng = random.Random(7)
    lines = [
        f'ak = "{_pair(rng, ALNUM)[0][:19]}A" x9{_pair(rng, ALNUM)[1][:6]}ks3{"Q7vX2mK9pR4t"}1\n' for _ in range(300)
    ]
    assert [f for f in scan_text("".join(lines), ruleset) if f.provider == "kingsoft"] == []
    assert calls and len(calls) == len(set(calls)) <= 300


# A cloud's word nearby, but a store's name nearer: a comment listing the clouds a project supports above its
# MinIO block, a MinIO client class that pings www.baidu.com to check the network.
NEARER_A_STORE = {
    "a list of clouds above a minio block": "# supported: aliyun oss, tencent cos, huawei obs, qiniu kodo,"
    " kingsoft ks3, minio\nstorage:\n  type: minio\n  access-key: {id}\n  secret-key: {secret}\n",
    "a minio client that pings baidu": 'public class MinioConfig {{\n    private String accessKey = "{id}";\n'
    '    private String secretKey = "{secret}";\n    // health check: ping https://www.baidu.com\n}}\n',
    "ceph beside a huawei note": "# migrated from huawei obs last year\n\n\n\n\n\n\n\n\n[ceph]\n"
    "ak = {id}\nsk = {secret}\n",
}
# The cloud's word nearer than a store's: its block, with a MinIO block further on, is still the cloud's.
NEARER_THE_CLOUD = {
    "huawei": "obs:\n  endpoint: obs.cn-north-4.myhuaweicloud.com\n  ak: {id}\n  sk: {secret}\n"
    "minio:\n  endpoint: http://127.0.0.1:9000\n  access-key: minioadmin\n",
    "kingsoft": "# ks3 (kingsoft)\nks3:\n  ak: {id}\n  sk: {secret}\n\n# local dev\nminio:\n  endpoint: http://minio:9000\n",
}


@pytest.mark.parametrize("layout", sorted(NEARER_A_STORE))
def test_a_store_named_nearer_than_the_cloud_makes_the_pair_no_clouds(layout: str, ruleset: Ruleset) -> None:
    key_id, secret = _pair(random.Random(layout), ALNUM)
    text = NEARER_A_STORE[layout].format(id=key_id, secret=secret)
    assert [(f.rule_id, f.key_id) for f in scan_text(text, ruleset)] == [], text


@pytest.mark.parametrize("provider", sorted(NEARER_THE_CLOUD))
def test_the_cloud_named_nearer_keeps_its_pair(provider: str, ruleset: Ruleset) -> None:
    key_id, secret = _pair(random.Random(provider), ALNUM)
    text = NEARER_THE_CLOUD[provider].format(id=key_id, secret=secret)
    assert [(f.provider, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(provider, key_id, secret)]


def test_a_clouds_word_spelled_inside_the_value_is_not_the_nearest(ruleset: Ruleset) -> None:
    """A random ID that spells "KS3" is not Kingsoft's nearest word: with Kingsoft named far above and MinIO
    just beside the pair, the pair is MinIO's (measured from the value, "ks3" inside it would always win)."""
    key_id, secret = "X24ZT2BTKS33VGMAJNP3", _pair(random.Random(3), ALNUM)[1]
    text = "# ks3 bucket (old)\n" + "\n" * 30 + f"minio:\n  ak: {key_id}\n  sk: {secret}\n"
    assert [(f.rule_id, f.key_id) for f in scan_text(text, ruleset)] == [], text


# A lone secret under AWS's names and the endpoint setting of its store (a Django app's Ceph bucket, a MinIO
# behind velero): the store's, not AWS's. Eight lines either side is one settings block (``ENDPOINT_LINES``).
CEPH_SETTINGS = "ACCESS_ID = '{id}'\nSECRET_ACCESS_KEY = '{secret}'\n{gap}{endpoint}\n"


def _lone_secret_findings(text: str, ruleset: Ruleset) -> list[tuple[str, str | None]]:
    return [(f.rule_id, f.secret) for f in scan_text(text, ruleset)]


@pytest.mark.parametrize(
    "endpoint",
    [
        'ENDPOINT_URL = "https://s3-west.nrp-nautilus.io"',
        "endpoint_url = http://rgw.internal:7480",
        "host_base = minio.internal:9000",
        "AWS_S3_ENDPOINT_URL = 'https://s3.wasabisys.com'",
        "velero_storage_s3url: http://minio.minio.svc.cluster.local:9000",
        "S3_ENDPOINT=s3.eu-central-1.linodeobjects.com",
    ],
)
def test_a_lone_aws_secret_beside_another_stores_endpoint_is_not_awss(endpoint: str, ruleset: Ruleset) -> None:
    key_id, secret = _pair(random.Random(endpoint), ALNUM + "+/")
    key_id = key_id[:4] + "0" + key_id[5:]  # a store's ID (0 is not base32: no AWS ID)
    text = CEPH_SETTINGS.format(id=key_id, secret=secret, gap="", endpoint=endpoint)
    assert _lone_secret_findings(text, ruleset) == []


@pytest.mark.parametrize(
    "endpoint",
    [
        'ENDPOINT_URL = "https://s3.us-west-2.amazonaws.com"',
        "endpoint_url = https://s3.cn-north-1.amazonaws.com.cn",
        "host_base = s3.amazonaws.com",
        "ENDPOINT_URL = config.endpoint",  # code: names no host
        "AWS_S3_ENDPOINT_URL = os.environ['S3_ENDPOINT']",
        'EMAIL_HOST = "smtp.example.org"',  # another service's host, not the store's
        'DATABASE_URL = "postgres://db.example.org:5432/app"',
        "endpoint = localhost",
    ],
)
def test_a_lone_aws_secret_beside_awss_endpoint_or_none_is_reported(endpoint: str, ruleset: Ruleset) -> None:
    _, secret = _pair(random.Random(endpoint), ALNUM + "+/")
    text = CEPH_SETTINGS.format(id="", secret=secret, gap="", endpoint=endpoint)
    assert _lone_secret_findings(text, ruleset) == [("aws-secret-access-key", secret)]


@pytest.mark.parametrize(("lines_between", "reported"), [(6, False), (7, False), (8, True)])
@pytest.mark.parametrize("where", ["above", "below"])
def test_the_endpoint_counts_within_eight_lines(
    lines_between: int, reported: bool, where: str, ruleset: Ruleset
) -> None:
    """The endpoint on the 7th or 8th line from the secret counts; on the 9th it is another block's."""
    _, secret = _pair(random.Random(lines_between), ALNUM + "+/")
    endpoint = 'ENDPOINT_URL = "https://rgw.example.org"\n'
    filler = "".join(f"SETTING_{n} = {n}\n" for n in range(lines_between))
    line = f"SECRET_ACCESS_KEY = '{secret}'\n"
    text = endpoint + filler + line if where == "above" else line + filler + endpoint
    expected = [("aws-secret-access-key", secret)] if reported else []
    assert _lone_secret_findings(text, ruleset) == expected


def test_an_aws_pair_beside_another_stores_endpoint_is_still_awss(ruleset: Ruleset) -> None:
    """An AKIA ID is AWS's wherever it is pointed: the endpoint silences only a secret alone."""
    rng = random.Random(1)
    key_id = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    _, secret = _pair(random.Random(2), ALNUM + "+/")
    text = CEPH_SETTINGS.format(id=key_id, secret=secret, gap="", endpoint="endpoint_url = http://rgw.internal:7480")
    assert [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("aws-access-key", key_id, secret)]


_LONE_SECRET = {"kind": "secret", "anchors": [], "lone_severity": "low"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"own_hosts": ["example.org"], "lone_severity": "low"}, "own_hosts is for secret rules with a lone_severity"),
        ({"kind": "secret", "anchors": [], "own_hosts": ["example.org"]}, "own_hosts is for secret rules"),
        ({**_LONE_SECRET, "own_hosts": ["Example.org"]}, "lower-case domain"),
        ({**_LONE_SECRET, "own_hosts": ["localhost"]}, "lower-case domain"),
        ({**_LONE_SECRET, "own_hosts": ["*.example.org"]}, "lower-case domain"),
    ],
)
def test_own_hosts_is_checked_when_rules_load(extra: dict[str, object], message: str) -> None:
    from akscan.engine.rules import RuleError, compile_rules

    base = {
        "id": "acme",
        "provider": "acme",
        "kind": "key-id",
        "anchors": ["acme"],
        "pattern": "(?:key=)([A-Za-z0-9]{24})",
        "description": "d",
        "remediation": "r",
    }
    with pytest.raises(RuleError, match=message):
        compile_rules([({**base, **extra}, "test", True)])
    good = {**base, "kind": "secret", "anchors": [], "lone_severity": "low", "own_hosts": ["store.example.org"]}
    assert compile_rules([(good, "test", True)]).rules[0].own_hosts == ("store.example.org",)
    pair_only = {**base, "pair": {"secret": "acme-secret"}, "own_hosts": ["store.example.org"]}  # never alone
    secret = {**base, "id": "acme-secret", "kind": "secret", "anchors": []}
    loaded = compile_rules([(pair_only, "test", True), (secret, "test", True)])
    assert loaded.rule("acme").own_hosts == ("store.example.org",)


# AWS's IDs before AKIA (until about 2009): a digit, then 19 upper-case letters and digits, in Rails apps'
# config/amazon_s3.yml (the aws-s3 gem, Paperclip). The shape is every S3 store's: Amazon's words or a file named
# for it make it AWS's, only with its secret, and not beside another store's endpoint.
AMAZON_S3_YML = "development:\n  bucket_name: photos\n  access_key_id: {id}\n  secret_access_key: {secret}\n{after}"


def _legacy_pair(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    key_id = rng.choice(string.digits) + "".join(rng.choice(UPPER_DIGITS) for _ in range(19))
    return key_id, "".join(rng.choice(ALNUM + "+/") for _ in range(40))


@pytest.mark.parametrize(
    ("path", "after", "reported"),
    [
        ("config/amazon_s3.yml", "", True),  # the file's name says whose
        ("config/s3_credentials.yml", "", True),
        ("config/storage.yml", "", False),  # nothing says whose: every S3 store's shape
        ("config/storage.yml", "  distribution_domain: d3k9.cloudfront.net\n", True),  # Amazon's word
        ("config/amazon_s3.yml", "  endpoint: https://rgw.example.org\n", False),  # another store's endpoint
        ("config/amazon_s3.yml", "  endpoint: https://s3.amazonaws.com\n", True),  # Amazon's own
        ("config/amazon_s3.md", "", False),  # a document is no config file named for it
    ],
)
def test_an_early_aws_id_is_awss_where_amazon_is_named(path: str, after: str, reported: bool, ruleset: Ruleset) -> None:
    for seed in range(10):
        key_id, secret = _legacy_pair(seed)
        findings = scan_text(AMAZON_S3_YML.format(id=key_id, secret=secret, after=after), ruleset, path)
        expected = [("aws-legacy-access-key", key_id, secret)] if reported else []
        assert [(f.rule_id, f.key_id, f.secret) for f in findings if f.key_id] == expected, (path, after)
        if not reported and "endpoint" in after:  # nor its secret alone: the endpoint says whose it is
            assert findings == [], (path, after)


def test_an_early_aws_id_needs_its_secret_and_its_leading_digit(ruleset: Ruleset) -> None:
    key_id, secret = _legacy_pair(1)
    alone = AMAZON_S3_YML.format(id=key_id, secret="", after="")
    assert [f.rule_id for f in scan_text(alone, ruleset, "config/amazon_s3.yml")] == []
    lettered = AMAZON_S3_YML.format(id="Q" + key_id[1:], secret=secret, after="")
    assert [f.key_id for f in scan_text(lettered, ruleset, "config/amazon_s3.yml") if f.key_id] == []


# Lines near a real AWS secret that name no store's address for it (an attacker's read of the first version):
# other services' endpoints, AWS's own switches, code, a comment, an endpoint commented out beside a live
# secret, another block's endpoint, and a few bytes planted after the secret.
NO_STORES_ENDPOINT = {
    "otel collector": "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4317",
    "elasticsearch": "ELASTICSEARCH_ENDPOINT = 'https://search.example.org:9243'",
    "dynamodb local": "DYNAMODB_ENDPOINT=http://localhost:8000",
    "fips switch": 'AWS_USE_FIPS_ENDPOINT="true"',
    "sts regional": 'AWS_STS_REGIONAL_ENDPOINTS: "regional"',
    "endpoint type": "endpointType: 'REGIONAL'",
    "a word": '"endpoint": "primary"',
    "code": "endpoint: this.config.s3.endpoint,",
    "comment": "# API endpoint: https://api.example.com/v1",
    "commented out": "# AWS_ENDPOINT_URL=http://localhost:9000",
    "a lambda url": 'AWS_ENDPOINT_URL = "https://abc123.lambda-url.us-east-1.on.aws"',
    "planted after the secret": " #s3url='a.b.c'",
}


@pytest.mark.parametrize("layout", sorted(NO_STORES_ENDPOINT))
def test_a_line_that_names_no_stores_address_keeps_the_secret(layout: str, ruleset: Ruleset) -> None:
    _, secret = _pair(random.Random(layout), ALNUM + "+/")
    line = NO_STORES_ENDPOINT[layout]
    text = (
        f"AWS_SECRET_ACCESS_KEY={secret}{line}\n"
        if line.startswith(" ")
        else f"AWS_SECRET_ACCESS_KEY={secret}\n{line}\n"
    )
    assert _lone_secret_findings(text, ruleset) == [("aws-secret-access-key", secret)]


@pytest.mark.parametrize(
    "layout",
    [
        "amazon:\n  service: S3\n  secret_access_key: {secret}\n  region: us-east-1\n\n"
        'minio:\n  service: S3\n  endpoint: "http://minio:9000"\n',
        "services:\n  app:\n    environment:\n      - AWS_SECRET_ACCESS_KEY={secret}\n"
        "  minio:\n    environment:\n      - MINIO_ENDPOINT=http://minio:9000\n",
        "[aws]\naws_secret_access_key = {secret}\n[minio]\nendpoint_url = http://minio:9000\n",
    ],
    ids=["rails storage", "compose services", "ini sections"],
)
def test_another_blocks_endpoint_keeps_the_secret(layout: str, ruleset: Ruleset) -> None:
    _, secret = _pair(random.Random(layout), ALNUM + "+/")
    assert _lone_secret_findings(layout.format(secret=secret), ruleset) == [("aws-secret-access-key", secret)]


def test_the_same_blocks_endpoint_in_yaml_silences_it(ruleset: Ruleset) -> None:
    _, secret = _pair(random.Random(5), ALNUM + "+/")
    text = f'minio:\n  service: S3\n  secret_access_key: {secret}\n  endpoint: "http://minio:9000"\n'
    assert _lone_secret_findings(text, ruleset) == []


def test_endpoint_settings_are_read_once_per_blob(ruleset: Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dump of a thousand lone secrets reads the blob's endpoint settings once, not once per secret."""
    from akscan.engine import endpoints

    calls: list[int] = []
    pattern = endpoints._SETTING

    class Counted:
        def finditer(self, data: bytes) -> object:
            calls.append(len(data))
            return pattern.finditer(data)

    monkeypatch.setattr(endpoints, "_SETTING", Counted())
    rng = random.Random(9)
    secrets = [_pair(rng, ALNUM + "+/")[1] for _ in range(1000)]
    dump = "".join(f'AWS_SECRET_ACCESS_KEY="{secret}"\n' for secret in secrets)
    alone = {found for _, found in _lone_secret_findings(dump, ruleset)}
    calls.clear()
    beside = {found for _, found in _lone_secret_findings(dump + "S3_ENDPOINT_URL=https://rgw.example.org\n", ruleset)}
    assert alone - beside == alone & set(secrets[-8:])  # the eight lines above the endpoint are the store's
    assert len(calls) == 1


def test_an_early_aws_id_yields_to_a_clouds_own_rule(ruleset: Ruleset) -> None:
    """A fallback: Huawei's context rule reading the same value takes it (an attacker's read: an OBS pair in
    config/s3.yml was dropped with the early-AWS reading, and an AWS SDK pointed at OBS named it AWS's)."""
    for seed in range(10):
        key_id, _ = _legacy_pair(seed)
        rng = random.Random(seed)
        secret = "".join(rng.choice(ALNUM) for _ in range(40))
        text = (
            f"access_key_id: {key_id}\nsecret_access_key: {secret}\nbucket: backups\n"
            "endpoint: https://obs.cn-north-4.myhuaweicloud.com\n"
        )
        found = [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset, "config/s3.yml")]
        assert found == [("huawei-context-access-key", key_id, secret)]


def test_an_early_aws_id_planted_between_an_akia_pair_takes_nothing(ruleset: Ruleset) -> None:
    """Its IDs pair once every prefixed ID has chosen: a line of its shape between an AKIA ID and its secret
    never takes the secret (the real pair would have gone unverified, reported as an ID alone)."""
    rng = random.Random(7)
    akia = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    planted, secret = _legacy_pair(7)
    text = (
        f"# amazon s3.amazonaws.com\nAWS_ACCESS_KEY_ID = '{akia}'\nACCESS_KEY = '{planted}'\n"
        f"AWS_SECRET_ACCESS_KEY = '{secret}'\n"
    )
    assert [(f.rule_id, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [("aws-access-key", akia, secret)]


@pytest.mark.parametrize(
    "store",
    [
        "  :server            => 'objects.dreamhost.com',",  # the aws-s3 gem's own option, DreamObjects
        "  # MinIO in docker-compose",
        "  s3_host_name: s3.wasabisys.com",
        "  # S3_HOSTNAME=s3.us-east-1.linodeobjects.com",
    ],
)
def test_an_early_aws_id_beside_another_stores_word_is_no_awss(store: str, ruleset: Ruleset) -> None:
    """The aws-s3 gem drove S3-compatible stores too: a store's word near the pair leaves the secret alone, as
    before the rule (reported alone, medium), never an AWS pair."""
    key_id, secret = _legacy_pair(3)
    text = f"require 'aws/s3'\n{store}\n  :access_key_id     => '{key_id}',\n  :secret_access_key => '{secret}'\n"
    assert [f.key_id for f in scan_text(text, ruleset, "config/initializers/s3.rb") if f.key_id] == []
