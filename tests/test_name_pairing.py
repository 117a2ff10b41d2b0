"""Pairing that reads the names values are bound to: interleaved pairs told apart by their qualifiers, far
pairs in long settings files, and a property: N pairs laid out the ways people write them, shuffled,
never produce a wrong pair."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from akscan.engine.names import agreement, binding_name, qualifiers
from akscan.engine.rules import Ruleset
from akscan.model import Kind
from tests.conftest import scan_text
from tests.keys import FakeKeys

SERVICES = ["oss", "sms", "ecs", "rds", "cdn", "log", "nas", "mq", "vod", "dns", "slb", "kms"]


def _pairs(findings: list) -> set[tuple[str, str]]:
    return {(f.key_id, f.secret) for f in findings if f.kind == Kind.PAIR}


@pytest.mark.parametrize(
    "template",
    [
        "{s}_ACCESS_KEY_ID={i}\n",
        '"{s}.access_key_id": "{i}",\n',
        "{s}AccessKeyId: {i}\n",
        "export ALIBABA_CLOUD_{S}_ACCESS_KEY_ID='{i}'\n",
    ],
)
def test_interleaved_pairs_are_told_apart_by_their_names(template: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    made = {s: (keys.alibaba_id(), keys.alibaba_secret()) for s in ("oss", "sms")}
    secret_template = template.replace("ACCESS_KEY_ID", "ACCESS_KEY_SECRET").replace(
        "access_key_id", "access_key_secret"
    )
    secret_template = secret_template.replace("AccessKeyId", "AccessKeySecret")
    text = "".join(template.format(s=s, S=s.upper(), i=made[s][0]).replace("{s}", s) for s in ("oss", "sms"))
    text += "".join(secret_template.format(s=s, S=s.upper(), i=made[s][1]) for s in ("oss", "sms"))
    text = text.replace("oss_ACCESS", "OSS_ACCESS").replace("sms_ACCESS", "SMS_ACCESS")
    assert _pairs(scan_text(text, ruleset)) == set(made.values()), text


def test_contradicting_names_never_pair_however_close(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    found = scan_text(f"OSS_ACCESS_KEY_ID={key_id}\nSMS_ACCESS_KEY_SECRET={secret}\n", ruleset)
    assert _pairs(found) == set()
    assert {f.kind for f in found} == {Kind.KEY_ID, Kind.SECRET}


def test_a_pair_far_apart_in_a_settings_file_is_paired_by_its_names(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    filler = "".join(f"SETTING_{n} = {n}\n" for n in range(30))
    text = f"ALIBABA_CLOUD_ACCESS_KEY_ID = '{key_id}'\n{filler}ALIBABA_CLOUD_ACCESS_KEY_SECRET = '{secret}'\n"
    (finding,) = scan_text(text, ruleset)
    assert (finding.kind, finding.key_id, finding.secret) == (Kind.PAIR, key_id, secret)
    assert finding.location.line == 1 and finding.secret_location is not None and finding.secret_location.line == 32


def test_far_pairs_need_unambiguous_names(ruleset: Ruleset, keys: FakeKeys) -> None:
    filler = "".join(f"SETTING_{n} = {n}\n" for n in range(30))
    ids = [keys.alibaba_id() for _ in range(2)]
    secrets = [keys.alibaba_secret() for _ in range(2)]
    # Two IDs and two secrets, names saying nothing about which goes with which: no pair is invented.
    text = f"ACCESS_KEY_ID = '{ids[0]}'\nBACKUP_ACCESS_KEY_ID = '{ids[1]}'\n{filler}"
    text += f"ACCESS_KEY_SECRET = '{secrets[0]}'\nACCESS_KEY_SECRET_2 = '{secrets[1]}'\n"
    assert _pairs(scan_text(text, ruleset)) == set()
    # Qualified names single each other out: both pairs.
    text = f"OSS_ACCESS_KEY_ID = '{ids[0]}'\nSMS_ACCESS_KEY_ID = '{ids[1]}'\n{filler}"
    text += f"SMS_ACCESS_KEY_SECRET = '{secrets[1]}'\nOSS_ACCESS_KEY_SECRET = '{secrets[0]}'\n"
    assert _pairs(scan_text(text, ruleset)) == {(ids[0], secrets[0]), (ids[1], secrets[1])}


def _s3cfg(key_id: str, secret: str, token: str = "", gap: int = 60) -> str:
    """An s3cmd configuration as `s3cmd --configure` writes it: settings in alphabetical order, so the
    access key and its session token stand at the top and the secret key some sixty lines below."""
    filler = "".join(f"setting_{n:02d} = {n}\n" for n in range(gap))
    return f"[default]\naccess_key = {key_id}\naccess_token = {token}\n{filler}secret_key = {secret}\n"


def test_an_s3cmd_configuration_pairs_its_far_secret_key(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.aws_id(), keys.aws_secret()
    (finding,) = scan_text(_s3cfg(key_id, secret), ruleset)
    assert (finding.kind, finding.key_id, finding.secret) == (Kind.PAIR, key_id, secret)
    rng = random.Random(3)
    token = "IQoJb3JpZ2luX2Vj" + "".join(rng.choice(string.ascii_letters + "+/") for _ in range(300))
    temporary = keys.aws_id("ASIA")
    (finding,) = scan_text(_s3cfg(temporary, secret, token), ruleset)
    assert (finding.kind, finding.key_id, finding.secret, finding.security_token) == (
        Kind.STS,
        temporary,
        secret,
        token,
    )


def test_a_far_secret_key_pairs_only_when_it_is_the_one(ruleset: Ruleset, keys: FakeKeys) -> None:
    """Two secret-named values of the shape, two IDs, a name that says another service's, an ID no name
    calls an access key: the ID stays alone."""
    key_id, secret, other = keys.aws_id(), keys.aws_secret(), keys.aws_secret()
    two_secrets = _s3cfg(key_id, secret) + f"secret_key = {other}\n"
    two_ids = f"access_key = {keys.aws_id()}\n" + _s3cfg(key_id, secret)
    minio = (
        _s3cfg(key_id, secret).replace("secret_key =", "minio_secret_key =").replace("access_key =", "aws_access_key =")
    )
    unnamed = _s3cfg(key_id, secret).replace("access_key =", "user =")
    for text in (two_secrets, two_ids, minio, unnamed):
        assert _pairs(scan_text(text, ruleset)) == set(), text


@pytest.mark.parametrize(
    "layout",
    [
        # another store's block, with its own access key, between them
        "[aws]\naccess_key = {i}\n{filler}[minio]\naccess_key = minioadmin\nsecret_key = {s}\n",
        # the ID's own secret read from elsewhere, and an application's secret far below
        "aws: {{ accessKeyId: '{i}', secretAccessKey: process.env.AWS_SECRET }},\n{filler}"
        "session: {{ secret: '{s}' }}\n",
        # a bare SECRET_KEY (an application's) below an access key ID
        "AWS_ACCESS_KEY_ID={i}\n{filler}SECRET_KEY={s}\n",
        # another object of an array
        '[\n  {{"service": "aws", "access_key": "{i}"}},\n{filler}  {{"service": "b2", "secret_key": "{s}"}}\n]\n',
        # a YAML list's next item
        "- name: aws\n  access_key: {i}\n{filler}- name: wasabi\n  secret_key: {s}\n",
    ],
)
def test_a_far_secret_of_another_block_is_never_taken(ruleset: Ruleset, keys: FakeKeys, layout: str) -> None:
    """Far apart, a secret is the ID's only when nothing says it is another's: no other key's name, no
    section, list item or closed object between them, and a secret key's name, not any secret's."""
    filler = "".join(f"  k{n}: v{n}\n" for n in range(12))
    text = layout.format(i=keys.aws_id(), s=keys.aws_secret(), filler=filler)
    assert _pairs(scan_text(text, ruleset)) == set(), text


@pytest.mark.parametrize(("extra", "paired"), [(-1, True), (0, True), (1, False)])
def test_the_far_secrets_reach_at_its_edge(ruleset: Ruleset, keys: FakeKeys, extra: int, paired: bool) -> None:
    """The secret must end within FAR_REACH bytes of the ID's end: at the limit it pairs, one byte past it
    the ID stays alone."""
    from akscan.engine.pairs import FAR_REACH

    key_id, secret = keys.aws_id(), keys.aws_secret()
    tail = f"secret_key = {secret}\n"
    pad = FAR_REACH - (1 + 1 + len("secret_key = ") + len(secret)) + extra
    text = f"access_key = {key_id}\n" + "#" * pad + "\n" + tail
    assert (_pairs(scan_text(text, ruleset)) == {(key_id, secret)}) == paired


def _row(name: str, value: str, sibling: str = "name") -> str:
    """One element of a FastAdmin addon's config.php: the setting's name, its labels, then its value."""
    return (
        f"  array (\n    '{sibling}' => '{name}',\n    'title' => '{name}',\n    'type' => 'string',\n"
        f"    'content' => \n    array (\n    ),\n    'value' => '{value}',\n    'rule' => 'required',\n  ),\n"
    )


@pytest.mark.parametrize(
    ("id_name", "secret_name", "sibling"),
    [
        ("accessKeyId", "accessKeySecret", "name"),
        ("app_id", "app_key", "name"),
        ("web_oss_key", "web_oss_sercet", "sign"),
        # FastAdmin's SMS addon: single words, an ID's then a secret's, as two rows of one settings list
        ("key", "secret", "name"),
        ("ak", "sk", "name"),
    ],
)
def test_settings_rows_name_their_value_in_a_sibling_field(
    ruleset: Ruleset, keys: FakeKeys, id_name: str, secret_name: str, sibling: str
) -> None:
    """Rows fifteen lines apart, each naming its value in a field above it: the ID and the secret pair by
    those names, as far apart as they are."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = "return array (\n" + _row(id_name, key_id, sibling) + _row("bucket", "photos", sibling)
    text += _row(secret_name, secret, sibling) + ");\n"
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}, text


@pytest.mark.parametrize(
    "layout",
    [
        # single words far apart, not settings rows: a YAML file's `key:` and an unrelated `secret:`
        "key: {i}\n" + "option: 1\n" * 12 + "secret: {s}\n",
        # one a row, the other a plain binding
        "__ROW_ID__" + "option = 1\n" * 12 + "secret = '{s}'\n",
        # rows whose single words are not an ID's then a secret's
        "__ROW_ID__" + "__ROW_BUCKET__" + "__ROW_TOKEN__",
    ],
)
def test_single_word_names_far_apart_pair_only_as_settings_rows(ruleset: Ruleset, keys: FakeKeys, layout: str) -> None:
    """``key``/``secret`` say which half each is only inside a settings list's rows; elsewhere single words so
    far apart are any setting's (a JWT ``secret``), and a row named ``token`` is no secret's."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = layout.replace("__ROW_ID__", _row("key", key_id)).replace("__ROW_BUCKET__", _row("bucket", "photos"))
    text = text.replace("__ROW_TOKEN__", _row("token", secret)).replace("{i}", key_id).replace("{s}", secret)
    assert _pairs(scan_text(text, ruleset)) == set(), text


def test_a_rows_name_is_never_the_previous_rows(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A value with no name of its own in its row: the name above it belongs to the row before (another
    ``value`` stands between), so the two are not paired by names."""
    from akscan.engine.names import binding_name

    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = _row("accessKeySecret", "placeholder-value") + f"  array (\n    'value' => '{secret}',\n  ),\n"
    assert binding_name(text.encode(), text.index(secret)) == "value"
    far = "return array (\n" + _row("accessKeyId", key_id) + _row("bucket", "photos") + "  array (\n"
    far += "    'title' => 'x',\n" * 4 + f"    'value' => '{secret}',\n  ),\n);\n"
    assert _pairs(scan_text(far, ruleset)) == set()


def test_a_rows_name_after_its_value_on_its_line_is_its_own(ruleset: Ruleset, keys: FakeKeys) -> None:
    """``['value' => '…', 'name' => '…']``: the name after the value on its line is the row's; the row above
    (closed before this one opens) lends it nothing."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f"['value' => '{key_id}', 'name' => 'accessKeyId'],\n['value' => '{secret}', 'name' => 'accessKeySecret'],\n"
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}


def test_a_yaml_items_bare_name_is_its_own(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A Kubernetes env list: each item's bare ``name:`` names its ``value:``; an earlier item's secretKeyRef
    key is not the name of the next item's value."""
    from akscan.engine.names import binding_name

    key_id, token = keys.aws_id(), keys.aws_secret()
    filler = "".join(f"- name: SETTING_{n}\n  value: '{n}'\n" for n in range(6))
    text = (
        f'- name: "AWS_ACCESS_KEY_ID"\n  value: "{key_id}"\n- name: AWS_SECRET_ACCESS_KEY\n  valueFrom:\n'
        f'    secretKeyRef:\n      name: aws\n      key: "secret_key"\n{filler}'
        f'- name: SENTRY_AUTH_TOKEN\n  value: "{token}"\n'
    )
    data = text.encode()
    assert binding_name(data, data.index(key_id.encode())) == "AWS_ACCESS_KEY_ID"
    assert binding_name(data, data.index(token.encode())) == "value"  # its own name, no credential's
    assert _pairs(scan_text(text, ruleset)) == set()


# -- the property ---------------------------------------------------------------------------------------
def _layout(kind: str, pairs: list[tuple[str, str, str]], rng: random.Random) -> str:
    """Pairs (service, id, secret) written the way ``kind`` says, in a shuffled order."""
    pairs = list(pairs)
    rng.shuffle(pairs)
    if kind == "call":
        return "".join(f"{s}_client = oss2.Auth('{i}', '{k}')\n" for s, i, k in pairs)
    if kind == "consecutive":
        return "".join(f"access_key_id = {i}\naccess_key_secret = {k}\n\n" for _, i, k in pairs)
    if kind == "json":
        return json.dumps([{"AccessKeyId": i, "AccessKeySecret": k, "Name": s} for s, i, k in pairs], indent=2)
    if kind == "ini":
        return "".join(
            f"[{s}]\naccess_key_id = {i}\naccess_key_secret = {k}\nregion = cn-hangzhou\n\n" for s, i, k in pairs
        )
    if kind == "csv":
        return "AccessKeyId,AccessKeySecret\n" + "".join(f"{i},{k}\n" for _, i, k in pairs)
    if kind == "named-shuffled":  # every line on its own, in any order: the names say which goes with which
        lines = [f"{s.upper()}_ACCESS_KEY_ID={i}" for s, i, _ in pairs]
        lines += [f"{s.upper()}_ACCESS_KEY_SECRET={k}" for s, _, k in pairs]
        rng.shuffle(lines)
        return "\n".join(lines) + "\n"
    if kind == "secret-first":
        return "".join(f"AccessKeySecret: {k}\nAccessKeyId: {i}\n---\n" for _, i, k in pairs)
    if kind == "columns":  # environments side by side in trailing comments: IDs on a line, secrets below
        ids, secrets = ",\t".join(i for _, i, _ in pairs), ",\t".join(k for _, _, k in pairs)
        return f'\tAccessKeyId     string `c:"id"`     //{ids}\n\tAccessKeySecret string `c:"secret"` //{secrets}\n'
    if kind == "columns-secrets-above":
        ids, secrets = "  ".join(i for _, i, _ in pairs), "  ".join(k for _, _, k in pairs)
        return f"# secrets: {secrets}\n# ids:     {ids}\n"
    raise AssertionError(kind)


LAYOUTS = [
    "call",
    "consecutive",
    "json",
    "ini",
    "csv",
    "named-shuffled",
    "secret-first",
    "columns",
    "columns-secrets-above",
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_shuffled_pairs_never_make_a_wrong_pair(layout: str, ruleset: Ruleset) -> None:
    wrong = found = expected = 0
    for seed in range(25):
        rng = random.Random(seed)
        keys = FakeKeys(seed)
        count = rng.randint(1, len(SERVICES))
        pairs = [(s, keys.alibaba_id(), keys.alibaba_secret()) for s in rng.sample(SERVICES, count)]
        truth = {(i, k) for _, i, k in pairs}
        reported = _pairs(scan_text(_layout(layout, pairs, rng), ruleset))
        wrong += len(reported - truth)
        found += len(reported & truth)
        expected += len(truth)
    assert wrong == 0
    assert found == expected  # and in these layouts every pair is found


def test_names_helpers() -> None:
    assert qualifiers("OSS_ACCESS_KEY_ID") == {"oss"} and qualifiers("smsAccessKeySecret") == {"sms"}
    assert qualifiers("ALIBABA_CLOUD_ACCESS_KEY_ID") == frozenset()
    assert agreement("OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET") == 1
    assert agreement("OSS_ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET") == -1
    assert agreement("ACCESS_KEY_ID", "SMS_ACCESS_KEY_SECRET") == 0
    data = b"  prod.accessKeyId: 'X'"
    assert binding_name(data, data.index(b"X")) == "prod.accessKeyId"
    data = b"oss2.Auth('A', 'X')"
    assert binding_name(data, data.index(b"X")) == ""


@pytest.mark.parametrize(
    ("id_name", "secret_name", "agree"),
    [
        ("LTAK", "LTSK", 1),  # long-term AK/SK in a signing URL's query
        ("OSSAK", "OSSSK", 1),
        ("LTAK", "TOSSK", -1),  # glued halves still tell two services apart
        ("ABCDEAK", "ABCDESK", -1),  # a qualifier of 5 letters is a word of its own: not unglued
        ("risk", "disk", -1),
    ],
)
def test_ak_and_sk_glued_to_a_short_qualifier(id_name: str, secret_name: str, agree: int) -> None:
    assert agreement(id_name, secret_name) == agree


def test_long_term_ak_and_sk_in_a_query_pair(ruleset: Ruleset) -> None:
    """A signing service's URL with its caller's keys as ``LTAK=``/``LTSK=`` (a Volcengine VOD demo): one
    pair, not a lone ID beside a secret whose name seemed to contradict it."""
    key_id = "AKLT" + base64.b64encode(b"5f1c0e9a7b3d4c2e8a6b0d1f3e5c7a9b").decode().rstrip("=")
    secret = base64.b64encode(base64.b64encode(b"0c9e7a5b3d1f2e4c6a8b0d2f4e6c8a1b")).decode()
    text = f'url = @"https://vod.example.net/api/sts2/v2/upload?LTAK={key_id}&LTSK={secret}&expiredTime=10";\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


def test_an_equally_good_second_secret_makes_the_pair_low_confidence(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, first, second = keys.alibaba_id(), keys.alibaba_secret(), keys.alibaba_secret()
    (finding,) = [
        f for f in scan_text(f'client = Client("{key_id}", "{first}", "{second}")\n', ruleset) if f.kind == Kind.PAIR
    ]
    assert finding.secret == first and finding.confidence == "low"  # the nearer one, and the doubt said
    (alone,) = scan_text(f'client = Client("{key_id}", "{first}")\n', ruleset)
    assert alone.confidence == "high"
    ids = [keys.alibaba_id() for _ in range(2)]
    secrets = [keys.alibaba_secret() for _ in range(2)]
    both = scan_text(f"pairs = [('{ids[0]}', '{secrets[0]}'), ('{ids[1]}', '{secrets[1]}')]\n", ruleset)
    assert {(f.key_id, f.secret, f.confidence) for f in both} == {
        (ids[0], secrets[0], "high"),
        (ids[1], secrets[1], "high"),
    }


def test_a_far_pair_whose_secret_has_no_digit_is_still_paired_by_names(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A real secret lacks a digit one time in 200. Alone, two character classes are not enough to report
    it; bound to the secret's name, with the ID bound to the ID's name in the same file, they are."""
    key_id = keys.alibaba_id()
    rng = random.Random(3)
    secret = "".join(rng.choice(string.ascii_letters) for _ in range(30))
    filler = "".join(f"SETTING_{n} = {n}\n" for n in range(30))
    text = f"ALIBABA_CLOUD_ACCESS_KEY_ID = '{key_id}'\n{filler}ALIBABA_CLOUD_ACCESS_KEY_SECRET = '{secret}'\n"
    assert [(f.kind, f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(Kind.PAIR, key_id, secret)]
    alone = f"{filler}ALIBABA_CLOUD_ACCESS_KEY_SECRET = '{secret}'\n"
    assert scan_text(alone, ruleset) == []


def test_key_value_elements_and_short_names_pair(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A .NET appSettings pair (``<add key="AccessKeyId" value="…"/>``: the name is the key attribute's)
    and YAML's ``keyid``/``keysecret`` (names that say only "the ID" and "the secret", not two services)."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    element = '    <add key="{}" value="{}" />\n'
    dotnet = "<appSettings>\n" + element.format("OssAccessKeyId", key_id)
    dotnet += element.format("Bucket", "photos") + element.format("OssAccessKeySecret", secret) + "</appSettings>\n"
    assert binding_name(dotnet.encode(), dotnet.index(key_id)) == "OssAccessKeyId"
    assert _pairs(scan_text(dotnet, ruleset)) == {(key_id, secret)}
    yaml = f"aliyun:\n  oss:\n    endpoint: oss-cn-beijing.aliyuncs.com\n    keyid: {key_id}\n    keysecret: {secret}\n"
    assert _pairs(scan_text(yaml, ruleset)) == {(key_id, secret)}
    assert agreement("keyid", "keysecret") >= 0


@pytest.mark.parametrize(
    ("line", "name"),
    [
        (b"INSERT INTO `t_global_parameter` VALUES ('22', 'aliyunAccessKeyID', '", "aliyunAccessKeyID"),
        (b'VALUES (\'44\', "oss.accessKeySecret", "', "oss.accessKeySecret"),
        (b"VALUES ('21', 'aliyunBucketName', '", ""),  # a row, but not a credential's
        (b"client = oss2.Auth('LTAI5tAbcIdXyz12345678', '", ""),  # a key's own value before its secret
        (b"ak,sk\nLTAI5tAbc,", ""),  # an unquoted CSV: no name, no regex
    ],
)
def test_a_key_value_rows_name_is_the_literal_before_it(line: bytes, name: str) -> None:
    assert binding_name(line, len(line)) == name


def test_a_settings_tables_rows_pair_far_apart(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A SQL dump of a key/value settings table: the ID's and the secret's rows 20 lines apart, each
    named by its row; paired by those names (they had been a lone ID and a lone secret)."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    rows = [f"INSERT INTO `t_param` VALUES ('{n}', 'setting{n}', 'value {n}', '', 'misc');" for n in range(20)]
    rows.insert(2, f"INSERT INTO `t_param` VALUES ('22', 'aliyunAccessKeyID', '{key_id}', '', 'oss');")
    rows.append(f"INSERT INTO `t_param` VALUES ('44', 'aliyunAccessKeySecret', '{secret}', '', 'oss');")
    findings = scan_text("\n".join(rows) + "\n", ruleset)
    assert [(f.kind, f.key_id, f.secret) for f in findings] == [(Kind.PAIR, key_id, secret)]


@pytest.mark.parametrize("swapped", [True, False])
def test_swapped_names_still_pair(swapped: bool, ruleset: Ruleset, keys: FakeKeys) -> None:
    """`secretAccessKey: "AKIA…"` over `accessKeyId: "<secret>"`: the author swapped the names, the pair is
    leaked all the same. A secret named as an ID pairs only with an ID named as a secret: beside an ID
    under its own name it is another key's ID (two signed URLs side by side), never this one's secret."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    id_name, secret_name = ("secretAccessKey", "accessKeyId") if swapped else ("accessKeyId", "accessKeyId2")
    text = f'aws.config.update({{\n    {id_name}: "{key_id}",\n    {secret_name}: "{secret}",\n}});\n'
    found = [(f.key_id, f.secret) for f in scan_text(text, ruleset) if f.key_id == key_id]
    assert found == ([(key_id, secret)] if swapped else [(key_id, None)]), text


def test_columns_of_two_providers_pair_each_with_its_own(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A row of an AWS and an Alibaba ID over their secrets in the other order: each ID's partner is the secret
    of its own kind, wherever it stands in the row below (a row is counted per kind of secret)."""
    aws_id, aws_secret = keys.aws_id(), keys.aws_secret()
    ali_id, ali_secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f"# keys:    {aws_id}  {ali_id}\n# secrets: {ali_secret}  {aws_secret}\n"
    assert _pairs(scan_text(text, ruleset)) == {(aws_id, aws_secret), (ali_id, ali_secret)}


@pytest.mark.parametrize("second_row", ["three secrets", "an ID among the secrets", "a secret among the IDs"])
def test_rows_that_are_no_columns_pair_by_distance(second_row: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    """Two IDs over a row that is not theirs alone (one secret more, another ID in it, or a secret on the
    IDs' own row) are no columns: the usual pairing decides, and never pairs a value twice."""
    id1, id2, id3 = keys.alibaba_id(), keys.alibaba_id(), keys.alibaba_id()
    s1, s2, s3 = keys.alibaba_secret(), keys.alibaba_secret(), keys.alibaba_secret()
    rows = {
        "three secrets": f"// {id1}, {id2}\n// {s1}, {s2}, {s3}\n",
        "an ID among the secrets": f"// {id1}, {id2}\n// {s1}, {id3}, {s2}\n",
        "a secret among the IDs": f"// {id1}, {id2}, {s3}\n// {s1}, {s2}\n",
    }
    found = _pairs(scan_text(rows[second_row], ruleset))
    ids, secrets = [i for i, _ in found], [k for _, k in found]
    assert len(ids) == len(set(ids)) and len(secrets) == len(set(secrets)) and found


# Two rows of values where the names or the words, not the columns, say which goes with which (an attacker's
# read of the first column pairing, which forced them by position): each is paired as its names say.
NAMED_ROWS = {
    "rotation note": "Rotated access key {a1} -> {a2} (2024-05-02)\nNew secret: {s2}   (old secret {s1} deleted)\n",
    "docker -e over two lines": "docker run -e AWS_ACCESS_KEY_ID={a1} -e BACKUP_AWS_ACCESS_KEY_ID={a2} \\\n"
    "  -e BACKUP_AWS_SECRET_ACCESS_KEY={s2} -e AWS_SECRET_ACCESS_KEY={s1} myimage\n",
    "terraform maps": 'access_keys = {{ prod = "{a1}", dev = "{a2}" }}\n'
    'secret_keys = {{ dev = "{s2}", prod = "{s1}" }}\n',
    "python tuples": 'prod_id, test_id = "{a1}", "{a2}"\ntest_secret, prod_secret = "{s2}", "{s1}"\n',
}


@pytest.mark.parametrize("layout", sorted(NAMED_ROWS))
def test_rows_told_apart_by_names_are_no_columns(layout: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    a1, a2, s1, s2 = keys.aws_id(), keys.aws_id(), keys.aws_secret(), keys.aws_secret()
    text = NAMED_ROWS[layout].format(a1=a1, a2=a2, s1=s1, s2=s2)
    assert _pairs(scan_text(text, ruleset)) == {(a1, s1), (a2, s2)}


def test_three_columns_under_a_header_pair_by_column(ruleset: Ruleset, keys: FakeKeys) -> None:
    ids = [keys.aws_id() for _ in range(3)]
    secrets = [keys.aws_secret() for _ in range(3)]
    text = f"#         prod  staging  dev\n# id:     {'  '.join(ids)}\n# secret: {'  '.join(secrets)}\n"
    assert _pairs(scan_text(text, ruleset)) == set(zip(ids, secrets, strict=True))


def _urlsafe(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_letters + string.digits + "-_") for _ in range(n))


@pytest.mark.parametrize(("id_name", "secret_name"), [("qiniuak", "qiniusk"), ("QNAK", "QNSK"), ("qiniuAk", "qiniuSk")])
def test_qiniu_names_glued_to_the_provider_pair(ruleset: Ruleset, id_name: str, secret_name: str) -> None:
    """``String qiniuak = "…"; String qiniusk = "…";`` in an upload helper, ``QNAK``/``QNSK`` in a controller:
    AK/SK glued to the provider's name (or Qiniu's QN) are the pair, not two names that contradict."""
    rng = random.Random(id_name)
    ak, sk = _urlsafe(rng, 40), _urlsafe(rng, 40)
    text = f'    private static String {id_name} = "{ak}";\n    private static String {secret_name} = "{sk}";\n'
    found = scan_text(text, ruleset)
    assert [(f.provider, f.key_id, f.secret) for f in found] == [("qiniu", ak, sk)]


def test_a_provider_glued_to_ak_is_one_qualifier_not_a_long_word() -> None:
    """``qiniuak`` reads qiniu + ak; a longer word merely ending so (``outbreak``, ``asterisk``) stays whole."""
    assert agreement("qiniuak", "qiniusk") >= 0
    assert agreement("outbreak", "asterisk") < 0


@pytest.mark.parametrize("signature", ["ed5ccd667678292a08dae1828710b4ef4bb57085", "ndLjX2BnJZnSkj2USsM7kg2gpMN="])
def test_a_value_named_signature_is_no_secret(ruleset: Ruleset, signature: str) -> None:
    """An API reference's request: ``"PublicKey":…, "Signature":"<40 hex>"``. A signature or digest, spelled as
    one (hex digits, or base64 with its padding), is what a key makes, never the key: the public key is
    alone, not paired with its request's signature."""
    rng = random.Random(signature)
    public = _urlsafe(rng, 42).replace("-", "A").replace("_", "b")
    text = (
        f'-d \'{{"Action":"DescribeUHostInstance",\n "PublicKey":"{public}",\n "Signature":"{signature}"}}\' # ucloud\n'
    )
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(public, None)]


def test_a_secret_under_a_signature_name_but_not_spelled_as_one_still_pairs(ruleset: Ruleset) -> None:
    """An OBS config whose author named the SK after what it makes (``signature: '<40 letters and digits>'``):
    no digest is spelled so, and the pair stands."""
    rng = random.Random(7)
    ak = "HPUA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    sk = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40))
    text = f"  // const obsConfig = {{\n  //   accessKeyId: '{ak}', // AK\n  //   signature: '{sk}', // 签名\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(ak, sk)]


def test_hex_digits_only_are_no_ucloud_public_key(ruleset: Ruleset) -> None:
    """An SDK test's profile of 32 hex digits under public_key/private_key (ucloud-sdk-go's test fixtures): no
    UCloud public key is hex digits only; the same names with a key of UCloud's shape still pair."""
    rng = random.Random(3)
    hexes = ["".join(rng.choice("0123456789abcdef") for _ in range(32)) for _ in range(2)]
    text = '[{{"public_key": "{}", "private_key": "{}", "profile": "ucloud"}}]\n'
    assert scan_text(text.format(*hexes), ruleset) == []
    public = _urlsafe(rng, 42).replace("-", "A").replace("_", "b")
    assert [f.key_id for f in scan_text(text.format(public, hexes[1]), ruleset)] == [public]


@pytest.mark.parametrize(
    ("id_name", "secret_name"),
    [("ID de clave de acceso", "Clave de acceso secreta"), ("id-chave-acesso", "chave-secreta")],
)
def test_the_consoles_words_in_spanish_and_portuguese_pair(
    ruleset: Ruleset, keys: FakeKeys, id_name: str, secret_name: str
) -> None:
    """A README copying the console in Spanish (``ID de clave de acceso: AKIA…`` over ``Clave de acceso secreta:
    …``): the words name the two halves of one key, they are no qualifiers that contradict each other."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    text = f"{id_name}: {key_id}\n{secret_name}: {secret}\nuser: bi_specialist_s3\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


@pytest.mark.parametrize(
    ("id_name", "other_name"),
    [("ACCESS_KEY_ID", "SECRET_KEY_WEBHOOK"), ("CLAVE_ACCESO_ID", "CLAVE_SECRETA_WEBHOOK")],
)
def test_an_unqualified_id_prefers_an_unqualified_secret(
    ruleset: Ruleset, keys: FakeKeys, id_name: str, other_name: str
) -> None:
    """``SECRET_KEY=…`` two lines above ``ACCESS_KEY_ID=AKID…`` and, right below it, ``SECRET_KEY_WEBHOOK=…``: the
    webhook's secret names something the ID's name does not, so the nearer-by-a-line secret is not preferred
    over the unqualified one (an attacker's read). Alone, a qualified secret still pairs."""
    key_id, secret, webhook = keys.tencent_id(), keys.tencent_secret(), keys.tencent_secret()
    text = f"# tencentcloud\nSECRET_KEY={secret}\n\n{id_name}={key_id}\n{other_name}={webhook}\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]
    alone = f"# tencentcloud\n{id_name}={key_id}\n{other_name}={webhook}\n"
    assert [(f.key_id, f.secret) for f in scan_text(alone, ruleset)] == [(key_id, webhook)]


def test_names_inside_an_escaped_json_string_are_read(ruleset: Ruleset) -> None:
    """A Java test holding a JSON answer in a string literal (``"  \\"requestId\\": \\"<32 hex>\\",\\n" +``) beside a
    JD Cloud key ID: the value's name is read through the escaped quotes, and a request id is no secret."""
    from akscan.engine.names import binding_name

    line = b'        "    \\"requestId\\": \\"99ece9d883481755a930ec82cd410ed1\\",\\n" +'
    assert binding_name(line, line.find(b"99ece")) == "requestId"
    rng = random.Random(9)
    key_id = "JDC_" + "".join(rng.choice("0123456789ABCDEF") for _ in range(28))
    request = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    text = (
        'String body = "{\\n" +\n'
        f'    "  \\"url\\": \\"http://s3.cn-north-1.jdcloud-oss.com/a.jpg?AWSAccessKeyId={key_id}&Expires=1\\",\\n" +\n'
        f'    "  \\"requestId\\": \\"{request}\\"\\n" +\n'
        '    "}";\n'
    )
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, None)]


def test_a_secret_named_as_its_ids_stem_is_its_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """``odpsAkKey`` below ``odpsAkId`` (a Spark job reading MaxCompute): "ak" alone would call the second
    value an ID, but the two names differ only in their last word, the ID's then a key's. A value named as
    an ID under any other name (a second presigned URL's AWSAccessKeyId) is still no secret."""
    key_id, secret = keys._text(16), keys.alibaba_secret()
    text = (
        'val ODPS_ENDPOINT = "http://service.cn.maxcompute.aliyun.com/api"\n'
        f'val odpsAkId = "{key_id}"\nval odpsAkKey = "{secret}"\n'
    )
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}
    other = text.replace("odpsAkKey", "ossAkId")
    assert _pairs(scan_text(other, ruleset)) == set()


def _hand_signed_sms(key_id: str, signing_line: str, more_ids: str = "", method: str = "SignatureMethod") -> str:
    """An SMS sender that signs its request by hand (real shape: a mini-program's Node helper): the ID in
    the request's parameters, the secret only as the HMAC key ~80 lines below, with Alibaba's "&" appended."""
    body = "".join(f"    params.push(encodeURIComponent(k{n}) + '=' + encodeURIComponent(v{n}));\n" for n in range(80))
    return (
        "var param = {\n"
        '        AccessKeyId:"' + key_id + '",\n'
        '        Action:"SendSms",\n'
        f'        {method}:"HMAC-SHA1",\n'
        f"{more_ids}"
        "};\n"
        f"{body}"
        "    var strA = 'POST&' + encodeURIComponent('/') + '&' + encodeURIComponent(arr.join('&'));\n"
        f"{signing_line}\n"
    )


def test_a_secret_written_only_as_the_rpc_signing_key_pairs_with_the_far_id(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = _hand_signed_sms(key_id, f'    var hmac = require("crypto").createHmac("sha1", "{secret}&");')
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}


@pytest.mark.parametrize(
    "signing_line",
    [
        # no HMAC on the line: a value and an ampersand, no signing key
        '    var query = "{secret}&" + rest;',
        # the key without Alibaba's "&": another scheme's key, not the signing convention
        '    var hmac = require("crypto").createHmac("sha1", "{secret}");',
    ],
)
def test_a_value_that_is_no_rpc_signing_key_stays_apart(signing_line: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    found = scan_text(_hand_signed_sms(key_id, signing_line.format(secret=secret)), ruleset)
    assert _pairs(found) == set()
    assert [(f.kind, f.key_id) for f in found] == [(Kind.KEY_ID, key_id)]


def test_an_ampersand_hmac_key_of_another_scheme_is_no_alibaba_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """OAuth 1.0 keys its HMAC with "<consumer secret>&" too: without Alibaba's RPC parameters around it (its
    SignatureMethod, an aliyuncs.com endpoint) the value is no one's secret."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    signing = f'    var hmac = require("crypto").createHmac("sha1", "{secret}&");'
    found = scan_text(_hand_signed_sms(key_id, signing, method="oauth_signature_method"), ruleset)
    assert _pairs(found) == set()


def test_a_planted_signing_key_does_not_take_a_named_far_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """The ID's own named secret 60 lines below stays its partner with an HMAC line planted anywhere near."""
    key_id, secret, planted = keys.alibaba_id(), keys.alibaba_secret(), keys.alibaba_secret()
    filler = "".join(f"const option{n} = {n};\n" for n in range(60))
    text = (
        f'const conf = {{ appId: "{key_id}", SignatureMethod: "HMAC-SHA1" }};\n{filler}'
        f'const appSecret = "{secret}";\n'
        f'const sig = crypto.createHmac("sha1", "{planted}&").update(s).digest("base64");\n'
    )
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}


def test_a_signing_key_with_two_ids_in_the_file_is_not_guessed(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, other, secret = keys.alibaba_id(), keys.alibaba_id(), keys.alibaba_secret()
    signing = f'    var hmac = require("crypto").createHmac("sha1", "{secret}&");'
    text = _hand_signed_sms(key_id, signing, f'        BackupKeyId:"{other}",\n')
    assert _pairs(scan_text(text, ruleset)) == set()


def _hand_signed_sigv4(key_id: str, signing_line: str, second_id: str = "") -> str:
    """A hand-written SigV4 signer (real shape: a Selling Partner API test, its block commented out): the secret
    only as the key chain's start, the ID only inside the Authorization header it builds, ten lines on."""
    steps = "".join(f"//        byte[] k{n} = hmacSHA256(k{n - 1}, parts[{n}]);\n" for n in range(1, 9))
    return (
        f"{signing_line}\n"
        f"{steps}"
        '//        authStr.append("AWS4-HMAC-SHA256 ")\n'
        f'//                .append("Credential=").append("{key_id}").append("/").append(area).append(", ")\n'
        + (f'//        other.append("Credential=").append("{second_id}");\n' if second_id else "")
    )


@pytest.mark.parametrize(
    "signing_line",
    [
        '//        String kSecret = "AWS4" + "{secret}";',  # the key chain's start
        # passed to the signer under a secret's name
        '//        byte[] kDate = hmacSHA256(kSecret = "{secret}", date);',
    ],
)
def test_a_secret_written_only_as_the_sigv4_key_pairs_with_the_one_unnamed_id(
    signing_line: str, ruleset: Ruleset, keys: FakeKeys
) -> None:
    key_id, secret = keys.aws_id(), keys.aws_secret()
    text = _hand_signed_sigv4(key_id, signing_line.format(secret=secret))
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}


@pytest.mark.parametrize(
    "signing_line",
    [
        '//        String kSecret = "AWS5" + "{secret}";',  # not the key chain's start
        '//        use("{secret}");',  # a bare value: no name, no signer's mark
        '//        String kSalt = "{secret}";',  # a name that is no secret's
        '//        String kSecret = "{secret}";',  # declared, not passed to anything: any service's secret
    ],
)
def test_an_unnamed_id_takes_no_far_value_that_is_no_signing_key(
    signing_line: str, ruleset: Ruleset, keys: FakeKeys
) -> None:
    key_id, secret = keys.aws_id(), keys.aws_secret()
    found = scan_text(_hand_signed_sigv4(key_id, signing_line.format(secret=secret)), ruleset)
    assert _pairs(found) == set()


def test_a_sigv4_key_with_two_unnamed_ids_is_not_guessed(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, other, secret = keys.aws_id(), keys.aws_id(), keys.aws_secret()
    text = _hand_signed_sigv4(key_id, f'//        String kSecret = "AWS4" + "{secret}";', other)
    assert _pairs(scan_text(text, ruleset)) == set()


def test_a_tc3_signing_key_pairs_with_the_one_unnamed_tencent_id(ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    filler = "".join(f"    canonical += headers[{n}]\n" for n in range(12))
    text = (
        f'    auth = "TC3-HMAC-SHA256 Credential=" + "{key_id}" + "/" + scope\n{filler}'
        f'    secret_date = sign(("TC3" + "{secret}").encode("utf-8"), date)\n'
    )
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}


@pytest.mark.parametrize(("gap", "paired"), [(1900, True), (2100, False)])
def test_an_unnamed_ids_signing_key_is_taken_only_within_reach(
    gap: int, paired: bool, ruleset: Ruleset, keys: FakeKeys
) -> None:
    """Far from its signer's block, a signing key planted anywhere in a big file is no unnamed ID's partner."""
    key_id, secret = keys.aws_id(), keys.aws_secret()
    line = '//        authStr.append("Credential=").append("' + key_id + '").append("/");\n'
    filler = ("// " + "x" * 96 + "\n") * (gap // 100)
    text = line + filler + f'//        String kSecret = "AWS4" + "{secret}";\n'
    assert (_pairs(scan_text(text, ruleset)) == {(key_id, secret)}) is paired


def test_rows_of_two_containers_env_lists_do_not_pair(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A Kubernetes env list's `- name: AK` / `value:` items are rows too: one container's AWS key ID is not
    paired with another container's `SK` row further down (another `AK` row and list items stand between)."""
    key_id, other_secret = keys.aws_id(), keys.aws_secret()
    text = (
        "spec:\n  containers:\n  - name: backup\n    env:\n    - name: AK\n"
        f"      value: {key_id}\n    - name: SK\n      valueFrom:\n        secretKeyRef:\n"
        "          name: backup-keys\n          key: sk\n    - name: BUCKET\n      value: nightly\n"
        "  - name: mirror\n    env:\n    - name: AK\n      value: mirror-reader\n"
        f"    - name: SK\n      value: {other_secret}\n"
    )
    found = scan_text(text, ruleset)
    assert _pairs(found) == set(), [(f.kind, f.key_id, f.secret) for f in found]


@pytest.mark.parametrize(
    ("id_name", "secret_name", "paired"),
    [
        ("K1", "K2", True),  # module constants numbered in order: the pair's halves
        ("cfg_value1", "cfg_value2", True),
        ("K3", "K4", True),
        ("K2", "K3", False),  # an even ID number: the second of a list of IDs, not a pair's first half
        ("K1", "K3", False),  # not the next number
        ("K2", "K1", False),
        ("KEY_A1", "KEY_B2", False),  # not one name
        ("APP_ID1", "APP_SECRET2", False),  # an ID's and a secret's names of two apps
    ],
)
def test_one_name_numbered_in_order_names_a_pairs_halves(
    ruleset: Ruleset, keys: FakeKeys, id_name: str, secret_name: str, paired: bool
) -> None:
    """Names that say neither ID nor secret, numbered 1 then 2, order a pair's halves; the number that tells
    two apps' keys apart still does where the names say which half each is."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = f'{id_name} = "{key_id}"\n{secret_name} = "{secret}"\n'
    assert (_pairs(scan_text(text, ruleset)) == {(key_id, secret)}) == paired, text


def test_numbered_lists_of_ids_then_secrets_are_not_paired_across(ruleset: Ruleset, keys: FakeKeys) -> None:
    """K1, K2 two IDs, K3, K4 two secrets: the numbering says nothing of which secret is whose, and K2 is no
    pair's first half: both IDs are reported alone, no pair is made up."""
    first, second = keys.alibaba_id(), keys.alibaba_id()
    text = f'K1 = "{first}"\nK2 = "{second}"\nK3 = "{keys.alibaba_secret()}"\nK4 = "{keys.alibaba_secret()}"\n'
    found = scan_text(text, ruleset)
    assert _pairs(found) == set() and {f.key_id for f in found} == {first, second}, found


def test_another_apps_key_row_between_stops_rows_pairing(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A mail app's `'name' => 'key'` row between an SMS addon's `key` row and its `secret` row: the ID is not
    the far secret's (which row's secret it is, nothing says)."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    text = "return array (\n" + _row("key", key_id) + _row("key", "mail-user") + _row("bucket", "photos")
    text += _row("secret", secret) + ");\n"
    assert _pairs(scan_text(text, ruleset)) == set(), text


def test_a_commented_list_item_between_rows_is_not_another_row(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A block comment's `- opt20 was added` line between the rows names no key: the rows still pair."""
    key_id, secret = keys.alibaba_id(), keys.alibaba_secret()
    filler = "".join(_row(f"opt{n}", str(n)) for n in range(3))
    text = "return array (\n" + _row("key", key_id) + filler + "  /*\n  - opt20 was added in 1.2\n  */\n"
    text += _row("secret", secret) + ");\n"
    assert _pairs(scan_text(text, ruleset)) == {(key_id, secret)}, text
