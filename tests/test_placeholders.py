"""Placeholders, documentation values and low-entropy strings are not credentials."""

from __future__ import annotations

import pytest

from akscan.engine.filters import looks_random, placeholder_reason, random_base64, shannon_entropy
from akscan.engine.rules import Ruleset
from tests.conftest import scan_text
from tests.keys import FakeKeys
from tests.rule_shapes import URLSAFE

SECRET_DECOYS = [
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "your_access_key_secret_here_12",
    "YourAccessKeySecretGoesHere123",
    "abcdefghijklmnopqrstuvwxyzABCD",
    "123456789012345678901234567890",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "EXAMPLEKEYSECRETexampleKEY1234",
    "AbCdAbCdAbCdAbCdAbCdAbCdAbCdAb",
    "ChangeMe0ChangeMe0ChangeMe0Cha",
    "dummyDummyDUMMYdummy1234567890",
]


@pytest.mark.parametrize("decoy", SECRET_DECOYS)
def test_secret_placeholders_are_rejected(decoy: str, ruleset: Ruleset, keys: FakeKeys) -> None:
    key_id = keys.alibaba_id()
    findings = scan_text(f"access_key_id = '{key_id}'\naccess_key_secret = '{decoy}'\n", ruleset)
    assert [(f.key_id, f.secret) for f in findings] == [(key_id, None)], decoy


@pytest.mark.parametrize(
    "decoy",
    [
        "LTAIxxxxxxxxxxxxxxxxxxxx",
        "LTAIXXXXXXXXXXXX",
        "LTAI5tEXAMPLEKEYID123456",
        "LTAI000000000000",
        "LTAI5tBcc9SecYAo****",
        "LTAI************",
        "LTAIyour_access_key_id",
        "<LTAI-your-key-id>",
        "LTAIdentityMedium",  # 17 characters: a font's name
        "LTAI4GL4U2cfxxxxw",  # 17 characters: masked in the middle
        "LTAI5tFmK8qR3nP7",  # 16 characters that begin as the 24-character series: cut short or made up
        "LTAI4FjJ8Qq4X3Z4",
        "LTAI4GjJ8Qq4X3Z4",
    ],
)
def test_id_placeholders_are_rejected(decoy: str, ruleset: Ruleset) -> None:
    assert scan_text(f"ak = '{decoy}'\n", ruleset) == []


@pytest.mark.parametrize(
    "variable",
    [
        "${ALIBABA_CLOUD_ACCESS_KEY_SECRET}",
        "os.getenv('OSS_SECRET')",
        "<your-access-key-secret>",
        "{{ vault.aliyun.secret }}",
        "******",
    ],
)
def test_references_to_secrets_are_not_secrets(variable: str, ruleset: Ruleset) -> None:
    assert scan_text(f"access_key_secret = {variable}\n", ruleset) == []


def test_random_secrets_pass_the_filters(keys: FakeKeys) -> None:
    import random
    import string

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    rejected = sum(not looks_random("".join(rng.choice(alphabet) for _ in range(30)), 3.6) for _ in range(20000))
    assert rejected / 20000 < 0.002  # the filters cost almost no recall on real random keys


def test_entropy_and_reasons() -> None:
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert placeholder_reason("fooEXAMPLEbar") == "contains 'example'"
    assert placeholder_reason("V2y8iTjL8hBiusyY0llEdvvmyffHCC") is None  # drawn at random
    # typed: the letters walk the alphabet between the digits (a fixture's made-up secret)
    assert placeholder_reason("aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0") == "sequential characters"


def test_a_short_word_inside_a_random_key_is_not_a_placeholder() -> None:
    # One random secret in ~8,000 holds "mock", "fake", "your" or "0000" somewhere inside by chance.
    assert placeholder_reason("T6SrtFmOcKRWUIhgE5jT9QA4Xha0rK") is None  # "mock", mid-value
    assert placeholder_reason("1FWCGj640OxgPDTugo1UmfakEfl7cT") is None  # "fake", mid-value
    assert placeholder_reason("fakeCGj640OxgPDTugo1Um7Efl7cTq") == "contains 'fake'"  # at an end
    assert placeholder_reason("x9mockQ2mockZr7LpW3vN8tK5hB6yD") == "contains 'mock'"  # twice


@pytest.mark.parametrize(
    ("key_id", "found"),
    [
        ("LTAI5tFmK8qR3nP7aZ9wQ2xY", True),  # the 24-character series, whole
        ("LTAI5sFmK8qR3nP7", True),  # 16 characters that only look like the series' head by one letter
        ("LTAI4HjJ8Qq4X3Z4", True),
        ("LTAI5tFmK8qR3nP", False),  # 15 and 17 characters: no issued length
        ("LTAI5tFmK8qR3nP7a", False),
    ],
)
def test_the_lengths_and_heads_alibaba_issues(key_id: str, found: bool, ruleset: Ruleset) -> None:
    assert bool(scan_text(f"ak = '{key_id}'\n", ruleset)) == found


def test_documented_examples_edited_by_hand_are_still_examples(ruleset: Ruleset) -> None:
    """Google's HMAC example with a digit changed per environment, and Alibaba's AssumeRole answer sample
    pasted into a struct's comments: documentation, not keys. Up to four characters changed (EXAMPLE_EDITS)
    is still the example; five is a key."""
    spec = "\n".join(
        f"'{env}' => {{ 'access-key' => '{key}', 'secret' => 'bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ' }},"
        for env, key in (("test", "GOOGTS7C7FUP3AIRVJTE"), ("prod", "GOOGTS8C8FUP3AIRVJTE"))
    )
    assert scan_text(spec + "\n", ruleset) == []
    sample = """AccessKeyId     string `json:"accessKeyId"`     // "STS.L4aBSCSJVMuKg5U1vFDw"
AccessKeySecret string `json:"accessKeySecret"` // "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pKCNZ9",
"""
    assert scan_text(sample, ruleset) == []
    # Huawei's API signing docs: the APIG SDK demo's AK, and the SK its Java signer test spells out
    huawei = 'private static final String AK = "QTWAOYTTINDUT2QVKYUC";\n'
    huawei += 'private static final String SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";\n'
    assert scan_text("// obs.myhuaweicloud.com BasicCredentials\n" + huawei, ruleset) == []
    four_changed, five_changed = "GOOGTS8C8FUP4BIRVJTE", "GOOGTS8C8FUP4BJRVJTE"
    assert scan_text(f"gcs_access_key_id = '{four_changed}'\n", ruleset) == []
    assert [f.key_id for f in scan_text(f"gcs_access_key_id = '{five_changed}'\n", ruleset)] == [five_changed]


@pytest.mark.parametrize("cut", [0, 1, 2, 3])
def test_base64_of_hex_digits_is_a_made_up_qiniu_key(cut: int, ruleset: Ruleset, keys: FakeKeys) -> None:
    """``echo <md5> | base64`` is how a usage text makes up a key (qnctl's help, with the first
    character cut off). Random base64url keys of Qiniu's shape pass; base64 of hex digits, at any of
    base64's four alignments, is no Qiniu key."""
    import base64
    import random

    rng = random.Random(cut)

    def made_up() -> str:
        hex_text = "".join(rng.choice("0123456789abcdef") for _ in range(33)).encode()
        return base64.b64encode(hex_text).decode()[cut : cut + 40]

    access_key, secret_key = made_up(), made_up()
    assert not random_base64(access_key) and not random_base64(secret_key)
    text = f'qiniu:\n  access_key: "{access_key}"\n  secret_key: "{secret_key}"\n'
    assert scan_text(text, ruleset) == []
    real = [keys._text(40, URLSAFE) for _ in range(2)]
    text = f'qiniu:\n  access_key: "{real[0]}"\n  secret_key: "{real[1]}"\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(real[0], real[1])]


@pytest.mark.parametrize(("hex_bytes", "made_up"), [(9, False), (12, True), (15, True)])
def test_base64_of_hex_needs_enough_hex_bytes(hex_bytes: int, made_up: bool) -> None:
    """Twelve decoded bytes all hex digits are the evidence (1 in 10^12 for random bytes); fewer say
    nothing. Base64 decodes in quanta of three bytes: 9 bytes is below the limit, 12 at it, 15 above."""
    import base64

    value = base64.b64encode(("0123456789abcdef" * 2)[:hex_bytes].encode()).decode()
    assert "=" not in value
    assert random_base64(value) == (not made_up)


@pytest.mark.parametrize("tail", ["9595957994485120660485", "2019111314410700001234", "1234567890123456789012"])
def test_a_ucloud_public_keys_issued_digits_are_not_judged_as_typed(tail: str, ruleset: Ruleset) -> None:
    """UCloud's classic public key is an e-mail address and ~22 issued digits: chance repeats digits there
    (111, 0000, 959595) as anywhere; only the head is judged as something a person may have typed."""
    public = f"uclouddev@zpslie.tk{tail}"
    private = "1202bc52d7c853fb6436eaac685c99fd964158b3"
    text = f'public_key  = "{public}"\nprivate_key = "{private}"\nbase_url    = "https://api.ucloud.cn"\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(public, private)]
    assert placeholder_reason(f"your_public_key{tail}") is not None  # a typed head is still judged


def test_a_counted_run_of_digits_ends_a_secret_typed_by_hand(ruleset: Ruleset) -> None:
    """A digit tail is set aside only behind an e-mail address (UCloud's public key): behind a secret's head, a
    counted run is typed (an assume-role helper's README: `…Nj0L1234567890111213`)."""
    doctored = "JSDUpsR4u32NoWwG6vJtNj0L1234567890111213"
    assert placeholder_reason(doctored) == "sequential characters"
    assert scan_text(f"aws_secret_access_key = {doctored}\n", ruleset) == []
    issued = "JSDUpsR4u32NoWwG6vJtNj0L9595957994485120"  # digits of chance, not counted
    assert placeholder_reason(issued) is None


@pytest.mark.parametrize(
    "value",
    [
        "AKLT_MUST_NOT_LEAK_akid",  # a test's sentinel
        "AKLTYWViMTVmZGYzM2E0NDI5Mzk2MDZjNjFmMjc2MjRjMzg",  # Volcengine's signing documentation
        "AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE",  # its API reference's Authorization example
        "AKIDz8krbsJ5nIspXsMhVUWqbXI0ZvKYjIbX",  # Tencent's v1 signature example's head, the rest typed
        "AKLTXQVF0pOmS6aahIrD5r0B3Q",  # Kingsoft Cloud's signature demo
        "ucloududb@ucloud.cn1426152414000604875621",  # UCloud's database service signing its API reference
    ],
)
def test_sentinels_and_documented_demo_keys_are_not_keys(value: str, ruleset: Ruleset) -> None:
    assert placeholder_reason(value) is not None
    assert scan_text(f'let params = ["Accesskey": "{value}", "Service": "iam"]\n', ruleset) == []


def test_a_hex_secret_with_a_short_tail_is_judged_as_hex() -> None:
    """JD's storage-service secrets are 32 hex digits and 8 letters or digits: chance triples digits in the
    hex part (0.79% of random ones were dropped as "tripled twice" or a mash) as in any hex key."""
    hex_part = "3f5aaa0c91d2e7bbb4a6c8e05d1f9b72"  # two triples, as 1 in ~250 random 32-hex values has
    assert placeholder_reason(hex_part + "DAtmNJug") is None
    assert placeholder_reason("x9Q" + hex_part[3:] + "DAtmNJug") is not None  # not hex from its start


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        ("LTAI4FjgXD3yFJUaasdasd", True),  # a docstring's made-up answer
        ("LTAI4FjgXD3yFJJKasdad", True),  # its secret, made up the same way
        ("LTAI4FjgXD3yFJUaasd9x", False),  # four in a row: chance
        ("53d0d53cb83f5435baadaadadaff8c0e", False),  # hex: a, d and f are digits, and run by chance
        ("TOKEN_a06cfaee-b322-45e2-a1df-3afdda27fdaf", False),  # a UUID's afdda
    ],
)
def test_a_run_typed_on_the_home_row_is_a_placeholder(value: str, typed: bool) -> None:
    assert (placeholder_reason(value) == "typed on the home row") is typed


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        ("TiKladfjkdfwe+14sdjf56dsjfshz56sfjshgwn7", True),  # eight across both halves of the row
        ("TiKladfjkdQwe+14sdjf56dsjfshz56sfjshgwn7", False),  # seven: chance
        ("TiKlad2jkdfwe+14sdjf56dsjfshz56sfjshgwn7", False),  # broken by a digit
        ("AKIALKSFDJKGIOURTJ7H", False),  # capitals: an AWS key ID shows eight once in ~4,000
        ("53d0d53cb83f5435baadaadadaff8c0e", False),  # hex digits only (a, d, f)
    ],
)
def test_eight_home_row_letters_in_a_row_are_typed(value: str, typed: bool) -> None:
    assert (placeholder_reason(value) == "typed on the home row") is typed


@pytest.mark.parametrize(
    ("value", "walked"),
    [
        ("kL9vQmXn2pRtYuIoP4sD6fGhJ8aZcVbN0eWxQ3rT", True),  # rtyuiop: seven keys along the top row
        ("kL9vQmXn2pLkJhGfD4sD6fGhJ8aZcVbN0eWxQ3rT", True),  # lkjhgfd: backwards along the home row
        ("kL9vQmXn2pRtYuI0P4sD6fGhJ8aZcVbN0eWxQ3rT", False),  # rtyui then a digit: five, not six
    ],
)
def test_a_secret_typed_along_a_keyboard_row_is_a_placeholder(value: str, walked: bool) -> None:
    assert (placeholder_reason(value) == "typed along a keyboard row") == walked


@pytest.mark.parametrize(
    ("value", "counted"),
    [
        ("AKIDvBDyVmna9TadcS4YzfBZmkU5TbX12345", True),  # a real ID's end overwritten in a test
        ("AKIDvBDyVmna9TadcS4YzfBZmkU5TbX56789", True),
        ("AKIDvBDyVmna9TadcS4YzfBZmkU5TbX1234", False),  # four counted up: chance (1 in 10^7)
        ("AKIDvBDyVmna9TadcS4YzfBZmkU5TbX12354", False),
        ("AKIDvBDyVmna9Tad12345YzfBZmkU5TbXq7", False),  # inside the value, not at its end
    ],
)
def test_a_key_ending_in_digits_counted_up_is_a_placeholder(value: str, counted: bool) -> None:
    assert (placeholder_reason(value) == "ends in digits counted up") is counted


def test_a_terraform_test_with_its_keys_ends_overwritten_is_not_reported(ruleset: Ruleset) -> None:
    text = (
        'data "tencentcloud_dts_migrate_db_instances" "x" {\n  tmp_secret_id = "AKIDvBDyVmna9TadcS4YzfBZmkU5TbX12345"\n'
        '  tmp_secret_key = "ZswjGWWHm24qMeiX6QUJsELDpC12345"\n  tmp_token = "JOqqCPVuWdNZvlVDLxxx"\n}\n'
    )
    assert scan_text(text, ruleset) == []


def test_a_made_up_sts_answer_on_the_home_row_is_not_reported(ruleset: Ruleset) -> None:
    text = (
        '"policy": {\n    "AccessKeyId":"LTAI4FjgXD3yFJUaasdasd",\n    "AccessKeySecret":"LTAI4FjgXD3yFJJKasdad",\n'
        '    "endpoint":"content-store-dev.oss-cn-qingdao.aliyuncs.com"\n}\n'
    )
    assert scan_text(text, ruleset) == []


@pytest.mark.parametrize(
    ("value", "written_by_an_encoder"),
    [
        ("WkRNeU5XTmhNR0ZqWkdVeE5ETmxNRGxtWXpZek1ESTNORFZtWldFNFlUQQ==", True),
        ("WkRNeU5XTmhNR0ZqWkdVeE5ETmxNRGxtWXpZek1ESTNORFZtWldFNFlUQQ", True),  # padding left off
        ("TlRsaE9URXdOVFkyWmpnek5HTmxaRGc0TVdZMVpUZzxWldWak5XWQ==", False),  # 53 characters: one cut out
        ("WkRNeU5XTmhNR0ZqWkdVeE5ETmxNRGxtWXpZek1ESTNORFZtWldFNFlUQQ=", False),  # padding that ends nothing
    ],
)
def test_a_volcengine_secret_is_what_an_encoder_writes(value: str, written_by_an_encoder: bool) -> None:
    from akscan.engine.filters import base64_length

    assert base64_length(value) is written_by_an_encoder


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ModifyDBInstanceConnectionMode", "capitalised words"),  # an API action, 30 letters
        ("DescribeInstanceAttributeList", "capitalised words"),
        ("getInstanceAttributeFromConfig", "capitalised words"),  # camel case
        ("onQiniuUploadProgressChangedForFileItem1", "capitalised words"),  # a handler's name and a digit
        ("onUploadProgressChangedForFileItem12", "capitalised words"),
        ("xF3_internal_service_rotation_key_v2_dev", "words joined by underscores"),
    ],
)
def test_names_made_of_words_are_not_keys(value: str, reason: str) -> None:
    assert reason in (placeholder_reason(value) or "")


def test_an_api_action_beside_an_id_is_not_its_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """An API reference's sample request: the action's name has the secret's length and letters (it had been
    paired with the ID, a wrong pair); the ID is reported alone."""
    key_id = keys.alibaba_id(16)
    text = f"https://rds.aliyuncs.com/?Action=ModifyDBInstanceConnectionMode\n&AccessKeyId={key_id}\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, None)]


def test_random_values_are_not_read_as_words() -> None:
    """Capitalised words are a shape chance almost never makes: none of 20,000 random values of letters and
    digits (an Alibaba secret's shape; letters-only values, 0.5% of them, match about once in 20,000)."""
    import random
    import string

    rng = random.Random(5)
    for _ in range(20_000):
        value = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(30))
        assert "capitalised words" not in (placeholder_reason(value) or ""), value


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("LTAIVfujrzJcihIU", False),
        ("DescribeInstanceAttribute", False),
        ("DescribeInstanceAttributeList", True),
        # a name's digits are at most two, at its end
        ("DescribeInstanceAttributeList12", True),
        ("DescribeInstanceAttributeList123", False),
        ("Describe1InstanceAttributeList", False),
    ],
)
def test_a_name_needs_four_capitalised_words(value: str, words: bool) -> None:
    """An ID's prefix reads as an acronym: a real key of two or three words is no name (CAMEL_WORDS_MIN - 1)."""
    assert ("capitalised words" in (placeholder_reason(value) or "")) == words


def test_a_stand_in_built_on_the_documented_example_is_no_key(ruleset: Ruleset) -> None:
    text = 'System.put_env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7HOSTVAR")\n'
    assert scan_text(text, ruleset) == []
    assert [f.key_id for f in scan_text(text.replace("AKIAIOSFODNN7", "AKIAIOSFODNM7"), ruleset)] == [
        "AKIAIOSFODNM7HOSTVAR"
    ]


@pytest.mark.parametrize(("runs", "masked"), [(3, False), (4, True), (5, True)])  # MASK_RUNS
def test_a_key_overwritten_with_xs_is_masked(runs: int, masked: bool) -> None:
    value = "AKIDf9NL2Rxx1LNxxqmSr0sxxoZ3Q8wGNDbc"  # three runs: chance, a few in 100,000 random keys
    if runs >= 4:
        value = value.replace("Q8w", "XXX")
    if runs == 5:
        value = value.replace("Dbc", "Dxx")
    assert ("masked" in (placeholder_reason(value) or "")) == masked


@pytest.mark.parametrize(
    ("tail", "masked"),
    [("xx", False), ("xxx", True), ("XXX", True), ("xXx", False), ("xxxQ", False)],
)
def test_a_key_whose_end_is_blanked_with_x_is_masked(tail: str, masked: bool) -> None:
    """A shared key with its last characters overwritten (AKLT…Dwxxx): three x's end it. Two end one
    random base64 value in 4,096, and a mixed-case xXx is chance; a run inside the value is judged as any."""
    head = "AKLTZYSaLxY7AUDyKVBnZ6Z6LydkAgaqHvXhFSnjKMDw"
    value = head[: 47 - len(tail)] + tail
    assert (placeholder_reason(value) is not None) is masked, value


def test_a_url_path_beside_a_signed_requests_public_key_is_no_secret(ruleset: Ruleset) -> None:
    """A JS list of UCloud API URLs signed with a PublicKey, then the app's own API paths
    (``/bc_explorer/loan/getPendingTxCount``: a UCloud private key's alphabet reads ``/`` and ``_``): the key is
    alone, not paired with a path. A value starting with a slash that holds another and a digit is still read."""
    import random
    import string

    rng = random.Random(5)
    public = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40)) + "=="
    urls = f"const u = 'http://api.ucloud.cn/?Action=DescribeUHostInstance&PublicKey={public}&Signature=c1e2ffe1';\n"
    paths = "const a = '/bc_explorer/loan/getPendingTxCount';\nconst b = '/bc_explorer/loan/getAvgTxPerBlock';\n"
    assert [(f.key_id, f.secret) for f in scan_text(urls + paths, ruleset)] == [(public, None)]
    from akscan.engine.candidates import _a_path

    assert _a_path("/bc_explorer/loan/getPendingTxCount")
    assert not _a_path("/bc_explorer/loan/getPendingTxCount2")
    assert not _a_path("bc_explorer/loan/getPendingTxCount")  # one slash-led segment at least


@pytest.mark.parametrize("name", ["{hex}.png", "{hex}.jpg", "{hex}.mp4"])
def test_a_file_name_is_no_secret_beside_an_id(ruleset: Ruleset, keys: FakeKeys, name: str) -> None:
    """A signed US3 URL's file of 32 hex digits beside its public key (a UCloud private key reads 32 hex
    digits): a value followed by a media or document file's extension is a file's name, never the ID's
    secret. A secret beside the same public key still pairs."""
    import string

    hexes = "".join(keys.random.choice("0123456789abcdef") for _ in range(32))
    public = "".join(keys.random.choice(string.ascii_letters + string.digits) for _ in range(40)) + "=="
    text = f'# ucloud\npublic_key = "{public}"\nfile = "{name.format(hex=hexes)}"\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(public, None)]
    secret = keys.aws_secret()
    text += f'private_key = "{secret}"\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(public, secret)]


def test_an_extension_planted_after_a_named_secret_does_not_hide_it(ruleset: Ruleset, keys: FakeKeys) -> None:
    """``SecretKey: <32>.zip``: a value its name calls a secret stays the ID's partner whatever follows it (an
    attacker's read: the ID took the token below instead, and the secret was gone)."""
    key_id, secret = keys.tencent_id(), keys.tencent_secret()
    token = keys.tencent_secret()
    text = f"SecretId: {key_id}\nSecretKey: {secret}.zip\nToken: {token}\n"
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, secret)]


def test_a_run_after_an_encoded_plus_is_no_secret(ruleset: Ruleset, keys: FakeKeys) -> None:
    """A request's params: a percent-encoded base64 device id (``e1BQ%2BYSBw…%2B<32 letters and digits>%2B…``)
    beside ``"secretId":"AKID…"``: the run between two encoded '+' is the rest of that value, not the ID's
    secret. A secret after an encoded '=' (``secretKey%3D…``) is still read."""
    import string

    key_id = keys.tencent_id()
    run = "".join(keys.random.choice(string.ascii_letters + string.digits) for _ in range(33))
    device = f"e1BQ%2BYSBw%2BLg%2BHBUe7lyIsQDSYUigpwm3%2B{run}%2BdPIH0SUIagSjRz1bUg%3D%3D"
    text = f'let params = ["deviceId":"{device}","secretId":"{key_id}","sign":"sfsfsfsfs"]\n'
    assert [(f.key_id, f.secret) for f in scan_text(text, ruleset)] == [(key_id, None)]
    secret = keys.tencent_secret()
    signed = f"https://example.com/?secretId%3D{key_id}%26secretKey%3D{secret}%26t%3D1\n"
    assert [(f.key_id, f.secret) for f in scan_text(signed, ruleset)] == [(key_id, secret)]


@pytest.mark.parametrize(("length", "judged"), [(39, False), (40, True), (41, True)])
def test_a_base64_key_of_one_letter_case_is_words_from_forty_characters(length: int, judged: bool) -> None:
    """Forty random base64 characters hold both letter cases but once in 10^9: a value of one case (words
    and dashes, a host name in a Qiniu file) is no key from that length; a shorter one is left to the floors.
    Hex digits alone are never such a key, at any length."""
    from akscan.engine.filters import CASED_LENGTH

    assert CASED_LENGTH == 40
    words = ("upload-accelerated-mirror-host-in-zone-2" + "x")[:length]
    assert random_base64(words) == (not judged)
    assert random_base64(words.upper()) == (not judged)
    assert random_base64(words.replace("-", "_").title().replace("_", "-")[:length])
    assert not random_base64("5f1d7a09c3b1e2f4a6d8c0b2e4f6a8c0d2e4f6a8"[: length - 1])
