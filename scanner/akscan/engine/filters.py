"""Cheap tests that tell a real credential from a placeholder, run only on regex candidates."""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Callable

# Words that mark documentation values and templates; matched case-insensitively inside the value.
PLACEHOLDER_WORDS = (
    "xxxx",
    "example",
    "sample",
    "your",
    "dummy",
    "fake",
    "placeholder",
    "changeme",
    "replace",
    "redacted",
    "plaintext",
    "hello",
    "mock",
    "secret",
    "accesskey",
    "keyid",  # a name typed where its value belongs (accessKeyId="aliyunacesskeyid", "myaliyunaccessid")
    "accessid",
    "password",
    "insert",
    "foobar",
    "abcdefg",
    "qwerty",
    "deadbeef",  # the hex fill of test vectors (AKIADEADBEEFDEADBEEF in secret scanners' own rule files)
    "stubtest",  # Huawei's SDK demos' stand-in keys (UDSIAMSTUBTEST000333 among real ones)
    "0000",
    "1111",
)
# A 4-letter word turns up inside one random 30-character key in ~8,000 (measured: "mock", "fake"): such a
# word marks a placeholder only where it stands out — at either end of the value, or more than once.
SHORT_WORD = 4
_SEQUENCE_SOURCES = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "zyxwvutsrqponmlkjihgfedcba", "9876543210")
# Five or more of a, s, d, f in a row (LTAI4FjgXD3yFJUaasdasd in a docstring's made-up answer): the left hand
# resting on the keyboard. Random values do it about once in 50,000 (tests/test_floors.py).
# With an s in it: a, d and f are hex digits, and a UUID or a digest runs five of them by chance.
_HOME_ROW = re.compile(r"[asdf]{5,}")
# Eight lower-case letters in a row from the whole home row, one of them no hex digit ("TiKladfjkdfwe…": a
# hand mashing both halves of the row): 40 random base64 characters show it once in ~150,000. Not upper case:
# 16 random base32 characters (an AWS key ID's) show eight such capitals once in ~4,000, too many real keys.
_HOME_ROW_BOTH_HANDS = re.compile(r"(?=[adf]{0,7}[ghjkls])[asdfghjkl]{8}")


def shannon_entropy(value: str) -> float:
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(c / total * math.log2(c / total) for c in counts.values())


def has_long_repeat(value: str, run: int = 5) -> bool:
    streak = 1
    for previous, current in itertools.pairwise(value):
        streak = streak + 1 if current == previous else 1
        if streak >= run:
            return True
    return False


@functools.lru_cache(maxsize=8)
def _sequences(run: int) -> re.Pattern[str]:
    """Every ``run``-long stretch of the sequence sources, as one alternation (one pass per text, not
    one substring search per stretch: this runs on every candidate value)."""
    stretches = {source[start : start + run] for source in _SEQUENCE_SOURCES for start in range(len(source) - run + 1)}
    return re.compile("|".join(sorted(stretches)) if stretches else "(?!)")  # none: an empty alternation matches all


# The letters alone, digits set aside: ``aB3dE6fG9hJ2kL5mN8pQ1rS4t…`` (a fixture's made-up secret, letters
# walking the alphabet between digits) holds ``pqrstuvwxyz``. A random value's letters run 8 long about never
# (1 in 10^8 for 40 characters: tests/test_floors.py).
LETTER_RUN = 8


def has_sequence(value: str, run: int = 6) -> bool:
    # 6, not 5: a 5-long run (``tsrqp``) turns up in one random 30-character key in ~20,000.
    # Every other character too: ``1a2b3c4d5e6f7g8h9i0j`` (a docs' made-up AKTP ID) is two runs interleaved.
    lowered = value.lower()
    sequences = _sequences(run)
    if any(sequences.search(text) for text in (lowered, lowered[0::2], lowered[1::2])):
        return True
    letters = "".join(c for c in lowered if c.isalpha())
    return len(letters) < len(lowered) and _sequences(LETTER_RUN).search(letters) is not None


def _stands_out(lowered: str, word: str) -> bool:
    return lowered.startswith(word) or lowered.endswith(word) or lowered.count(word) > 1


# Documentation's own example keys that carry no telling word (as AKIAIOSFODNN7EXAMPLE does): Google Cloud
# Storage's HMAC example pair; the AK of Huawei OBS's signed-request examples; the STS ID and secret of
# Alibaba Cloud's AssumeRole answer sample (copied into SDK comments and mocks).
KNOWN_EXAMPLES = frozenset(
    {
        "GOOGTS7C7FUP3AIRVJTE",
        "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ",
        "H4IPJX0TQTHTHEBQQCEC",
        "STS.L4aBSCSJVMuKg5U1vFDw",
        "wyLTSmsyPGP1ohvvw8xYgB29dlGI8KMiH2pKCNZ9",
        # Volcengine's signing documentation (docs/6369/67269 and 67270), copied into signers' test vectors.
        "AKLTYWViMTVmZGYzM2E0NDI5Mzk2MDZjNjFmMjc2MjRjMzg",
        "WkRZeE1EQmxPVGhsWWpWak5HVmtNbUUxTXpZeU9UVXlOMlE1TmpZeVlqTQ==",
        # (the same page's later Demo signs with this AK beside that SK: a balance client's test vector "67270")
        "AKLTZWU0MDFkMjA4Yzk3ZGI3N2Q0NjM1MWMxM2IyOTU0OWM0ZGU",
        # and the pair of its API reference's Authorization example (Credential=…/20201230/cn-north-1/iam/request),
        # which signers' tests ("fake_aksk") and copied samples use as keys.
        "AKLTMjI2ODVlYzI3ZGY1NGU4ZjhjYWRjMTlmNTM5OTZkYzE",
        "TnpCak5XWXpZV1U0WkRaaE5ERmxaR0ZpTmpjeVkyUXlZek0wTWpJMU1qWQ==",
        # Kingsoft Cloud's signature demo (IAM CreateUser, 2021-08-12T02:47:36Z), copied into signers' tests.
        "AKLTXQVF0pOmS6aahIrD5r0B3Q",
        "OMovU5PTLh6y9E9Ioe3K411jt99VqyQSBXgAcDYlo49R3lvUIzb6e/efZCFDmtFlzw==",
        # Tencent Cloud's: COS's request-signature worked example (KeyTime 1417773892;1417800292) and the
        # TCCLI README's configure transcript. (Not the SecretId COS's docs and demos copy from the STS SDK's
        # 2019 demo: a staff key committed with an internal proxy, a real leak.)
        "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q",
        "AKIDwLw1234MMfPRle2g9nR2OTI787aBCDP",
        "OxXj7khcV1234dQSSYNABcdCc1LiArFd",
        # The API's first signature method (v1, HmacSHA1) documents its worked example with this pair; HMAC
        # libraries' tests copy it as a vector.
        "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA",
        "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA",
        # Qiniu's qshell documentation (qshell account, qdownload's config): its example pair, copied into
        # notes and transcripts.
        "ELUs327kxVPJrGCXqWae9yioc0xYZyrIpbM6Wh6x",
        "LVzZY2SqOQ_I_kM1n00ygACVBArDvOWtiLkDtKiw",
        # Huawei Cloud's API signing documentation (the APIG SDK's demo, `core.Signer{Key: …}`): its AK, and
        # the SK the docs mask (MFyfvK41ba2giqM7**********…) as the Java SDK's signer test spells it out.
        "QTWAOYTTINDUT2QVKYUC",
        "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc",
        # Baidu AI Cloud's authentication documentation (the bce-auth-v1 worked example), copied into the SDKs'
        # signer tests and signing samples.
        "0b0f67dfb88244b289b72b142befad0c",
        "bad522c2126a4618a8125f4b6cf6356f",
        # The STS answer Alibaba's OSS mobile SDK samples show their app server returning (copied into apps'
        # comments and READMEs), and Tencent COS's v4 signature walkthrough (appid 200001, bucket newbucket).
        "STS.iA645eTOXEqP3cg3VeHf",
        # ApsaraVideo VOD's UploadAuth example (base64 of JSON, cut off with ***), in every generated SDK model's
        # doc comment (RefreshUploadMediaResponseBody and its siblings, in each of the SDK languages).
        "LTAI4Fnwm95twqB31Gr3HNaD",
        "OeZYJGGS19d6FZ3Q7QZIBgfIWg3pOj",
        "rV3VQrpFQ4BsyHSAvi5NVLpPIVffDJv4LojUBZCf",
        "AKIDUfLUEUigQiXqm7CVSspKJnuaiIKtxqAv",
        "bLcPnl88WU30VY57ipRhSePfPdOfSruK",
        # The COS STS SDK's README: the answer it prints (expiredTime 1545306616), copied into apps' docs.
        "AKIDq9bhO815EteWwntqvvzOeSTONZ4knQgr",
        "GJz0iUp5eCeidvqnXoFGfm6Leq28t1NX",
        # IBM Cloud Object Storage's docs: the second profile of their aws configure example ([profile pool2])
        "N67W90RKLCWOLPSKN8W8",
        "RlfTDyqPg0WnY/PWdxMEe/gjuG7QRckynofRMwwR",
        # COS's request-signature test vector (KeyTime 1480932292;1481012292, testbucket-125000000), which the
        # C, Go, Rust and Python SDKs' signing tests and their copies use as the SecretKey.
        "AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM",
        # API Gateway's key-pair authentication page (secret_id 示例/举例/example: …), its Authorization: hmac
        # id="…" samples and IoT MQ's connection table copy it.
        "AKIDCgOPWjQ6BAxvHtyckhWABJVYSBj548pN",
        "ZxF2whO0RhuwnVCj5JMMAuqcDcN2oPrC",
    }
)
# A documented example with a few characters changed by hand (GOOGTS8C8FUP3AIRVJTE for "production", a
# blog's copy of Tencent's v1 signature example with three changed) is still the example; a random key of
# the same length (20 upper-case letters and digits, the shortest) is that close to one with odds of about
# 1 in 10^20.
EXAMPLE_EDITS = 4
# The heads of documented example IDs: tests build their own stand-ins on them (AKIAIOSFODNN7HOSTVAR in an
# env-scrubbing test; a Spring @Value default keeping the first 12 characters of Tencent's v1 signature
# example, AKIDz8krbsJ5…, the rest typed); a random key starts so once in 32^9 (AWS), 62^8 (Tencent).
# UCloud's API reference answers with URLs signed by its own database service's key (ucloududb@ucloud.cn…,
# a UDB backup's BackupPath): UCloud's, in its documentation, never a user's.
EXAMPLE_HEADS = ("AKIAIOSFODNN7", "AKIDz8krbsJ5", "ucloududb@ucloud.cn")
# Key IDs documentation shows in its signed examples without a secret (Baidu AI Cloud's bce-auth-v1
# headers, on every API page): not reported alone. The same ID with its secret is still a pair: it was an
# engineer's real key, and Baidu's own SDK tests hold it with its secret.
DOCUMENTED_IDS = frozenset(
    {
        "46bd9968a6194b4bbdf0341f2286ccce",
        "dfa51215af4a47c086cbf77d1479c07d",  # the JSS SDK document's presigned URI (bucketname/key, 2013)
        "AKIDlfdHxN0ntSVt4KPH0xXWnGl21UUFNoO5",  # Tencent's bare-metal API reference (SecretId=… on each example)
        # COS's XML API reference: the q-ak of every request example's Authorization (q-sign-time=1484…;32557…)
        "AKIDWtTCBYjM5OwLB9CAwA1Qb2ThTSUjfGFO",
        "LTAIJPXxMLocA0fD",  # OSS API reference's signed requests (Authorization: OSS LTAIJPXx…:…)
        # Qiniu's API reference: the AccessKey of its management-token examples (Authorization: Qiniu j853F3bL…:…)
        "j853F3bLkWl59I5BOkWm6q1Z1mZClpr9Z9CLfDE0",
        # and the Pili (live streaming) SDK's README: its publish URL example's token=<AK>:<sign>
        "9roGzeeJkZh4y5gHpzT7Uv1CIw0KiVV8K4dfXRY0",
        # UCloud's API reference: every JSON request example's PublicKey (DescribeUHostInstance, DescribeVMInstance)
        "SI3zdT8g1tMInvahPNkckt3Ul8Pq+krxm+yT8MSK7Sd81nWxFOKxdw==",
        # The AWS CLI's own examples (awscli/examples, installed with it): the IDs in the presigned URLs that
        # `ecr get-download-url-for-layer` and `ssm get-deployable-patch-snapshot-for-instance` print.
        "AKIA32P3D2JDNMVAJLGF",
        "AKIAJ5C56P35AEBRX2QQ",
        # gcloud's manual pages (gcloud storage hmac delete/describe/update GOOG56JBMFZX6PMPTQ62VD2)
        "GOOG56JBMFZX6PMPTQ62VD2",
    }
)
# AKLT_MUST_NOT_LEAK_akid, YOUR_ACCESS_KEY_ID: two capitalised words between underscores are a name someone
# typed (random base64url shows it once in ~10^5 64-character values: tests/test_floors.py).
_WORDS_JOINED = re.compile(r"_[A-Z]{2,}_[A-Z]{2,}_")
# Three lower-case words joined by underscores (internal_service_rotation_key: a made-up value, a name).
_SNAKE_WORDS = re.compile(r"(?:[a-z]{3,}_){3}")
# Runs of two or more x's, this many: characters overwritten by hand (AKIDf9NL2Rxx1LNxxqmSr0sxxoZ3XXXGNDxx in a
# report quoting a key: five). A random base64 character pair is one in a thousand; three of them in one
# value cost 0.01-0.03% of random 40-88 character keys (benchmarks/floors.py), four about never.
_MASK_RUNS = re.compile(r"[xX]{2,}")
MASK_RUNS = 4
# Nothing but capitalised words and short acronyms: an API's action or a class name
# (ModifyDBInstanceConnectionMode, paired as an ID's secret in an API reference's sample request). A random
# value of letters and digits is made so about never: every capital followed by two lower-case letters and a
# vowel among them (letters-only values, 0.5% of random ones, match about once in 20,000), and at least this
# many capitalised words (an ID's prefix is an acronym: LTAIVfujrzJcihIU is a key of two). A name may end in a
# digit or two (onQiniuUploadProgressChangedForFileItem1, a JavaScript handler's name).
CAMEL_WORDS_MIN = 4
_CAPITALISED = re.compile(r"[A-Z][a-z]{2,}")
_CAMEL_WORDS = re.compile(
    r"(?:[a-z]{2,})?(?:[A-Z](?=[a-z]*[aeiouy])[a-z]{2,}|[A-Z]{2,4}(?=[A-Z][a-z]|[0-9]|$))+[0-9]{0,2}"
)
# Five digits counted up at a value's end: a real key's tail overwritten by hand (AKIDvBDy…X12345).
_COUNTED_END = re.compile(r"(?:01234|12345|23456|34567|45678|56789)$")
# A run of this many digits ends no random key of any other shape (1 in 10^13 for base64).
_DIGIT_TAIL = re.compile(r"(?<![0-9])[0-9]{16,}$")  # the lookbehind: one try per run, not one per digit
DIGIT_TAIL_HEAD = 8  # what must stand before it for the tail to be set aside
HEX_HEAD = 32  # a value starting with this many hex digits is hex-made (random base64: 1 in 10^14)
MASH_WINDOW = 9  # a run this long made of at most MASH_KINDS characters: a keyboard mash (sdsfsdfsd)
MASH_KINDS = 3


def has_mash(value: str) -> bool:
    """A run of ``MASH_WINDOW`` characters drawn from ``MASH_KINDS`` or fewer: typed, not generated (never
    asked of hex values, where chance makes one too often: tests/test_floors.py)."""
    # Window i holding d distinct characters shares all but k of them with window i + k, which holds at
    # least d - k: no window before i + d - MASH_KINDS can be a mash (random values skip ~5 windows a step).
    start, last = 0, len(value) - MASH_WINDOW
    while start <= last:
        kinds = len(set(value[start : start + MASH_WINDOW]))
        if kinds <= MASH_KINDS:
            return True
        start += kinds - MASH_KINDS
    return False


# Six keys in a row along a keyboard's row, either way, any case (kL9vQmXn2pRtYuIoP…: a test's "realistic"
# secret typed along the top row): a random 40-character base64 value does it about once in 1.4 million.
WALK = 6
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Every run of WALK keys along a row, both ways, as one case-insensitive alternation: searched at C speed
# (a Python walk over every secret's characters cost 3% of a dense export's scan).
_WALKS = re.compile(
    "(?i:"
    + "|".join(
        sorted(
            {row[i : i + WALK] for row in _ROWS for i in range(len(row) - WALK + 1)}
            | {row[::-1][i : i + WALK] for row in _ROWS for i in range(len(row) - WALK + 1)}
        )
    )
    + ")"
)


def has_keyboard_walk(value: str) -> bool:
    """Whether ``WALK`` letters in a row follow one another along a keyboard row (either way, any case)."""
    return _WALKS.search(value) is not None


FRAGMENT = 3  # a three-character fragment found this many times in one value was typed, not drawn
FRAGMENT_TIMES = 4


def repeated_fragment(value: str) -> bool:
    """GOOG1984R439T439HTH439T403TJ430TK340…: the same few characters again and again (a random value of
    any alphabet akscan reads repeats a fragment four times about never: tests/test_floors.py)."""
    fragments = [value[i : i + FRAGMENT] for i in range(len(value) - FRAGMENT + 1)]
    # A fragment found FRAGMENT_TIMES times makes FRAGMENT_TIMES - 1 repeats: fewer repeats in all (a random
    # value's usual case) settle it without counting each fragment.
    if len(fragments) - len(set(fragments)) < FRAGMENT_TIMES - 1:
        return False
    return max(Counter(fragments).values()) >= FRAGMENT_TIMES


def triple_runs(value: str) -> int:
    """How many runs of three or more equal characters (AKIA…XXX…YYY…: filled in by hand)."""
    runs = streak = 0
    for previous, current in itertools.pairwise(value):
        streak = streak + 1 if current == previous else 0
        runs += streak == 2
    return runs


def _edited(value: str, example: str) -> bool:
    """At most ``EXAMPLE_EDITS`` characters differ (stops at the first one too many: a random value of an
    example's length, a Tencent SecretId, differs within a few characters)."""
    if len(value) != len(example):
        return False
    differences = 0
    for mine, theirs in zip(value, example, strict=True):
        if mine != theirs:
            differences += 1
            if differences > EXAMPLE_EDITS:
                return False
    return True


# Every example in one alternation (one pass over the value); and by length: a value is compared, character
# by character, only with those of its own length.
_ANY_EXAMPLE = re.compile("|".join(re.escape(example) for example in sorted(KNOWN_EXAMPLES)))
_EXAMPLES_BY_LENGTH: dict[int, tuple[str, ...]] = {
    length: tuple(e for e in KNOWN_EXAMPLES if len(e) == length) for length in {len(e) for e in KNOWN_EXAMPLES}
}


def placeholder_reason(value: str, typed: bool = True) -> str | None:
    """Why ``value`` looks like a placeholder, or None when it looks like a real random string. ``typed``:
    also the marks of a value typed by hand (the home row, a fragment over and over, tripled characters, a
    keyboard mash), which a short key made up by a person shows; a session token's head, hundreds of
    machine-made characters with a run of hex digits in many providers', shows them by chance (checked on
    tokens, they turned away 1.6% of Tencent's)."""
    if _ANY_EXAMPLE.search(value):  # also with characters added to it
        return "a documented example key"
    if any(_edited(value, example) for example in _EXAMPLES_BY_LENGTH.get(len(value), ())):
        return "a documented example key, edited"
    if value.startswith(EXAMPLE_HEADS):
        return "built on a documented example key"
    tail = _DIGIT_TAIL.search(value)
    if tail is not None and tail.start() >= DIGIT_TAIL_HEAD:
        # UCloud's classic public key ends in ~22 issued digits: chance repeats digits there (111, 0000)
        # as often as anywhere; the head it belongs to is what a person would have typed. Behind any other head
        # (no e-mail address's `@`), a counted run is typed: `…Nj0L1234567890111213`, a README's doctored secret.
        if "@" not in value[: tail.start()] and has_sequence(value[tail.start() :]):
            return "sequential characters"
        value = value[: tail.start()]
    lowered = value.lower()
    for word in PLACEHOLDER_WORDS:
        if word in lowered and (len(word) > SHORT_WORD or _stands_out(lowered, word)):
            return f"contains {word!r}"
    if _WORDS_JOINED.search(value) or (_SNAKE_WORDS.search(value) and "@" not in value):  # an e-mail's name
        return "words joined by underscores"
    if len(_MASK_RUNS.findall(value)) >= MASK_RUNS:
        return "masked with x"
    if value.endswith(("xxx", "XXX")):  # a shared key with its tail blanked (AKLT…Dwxxx); chance: 1 in 131,072
        return "its end masked with x"
    if _CAMEL_WORDS.fullmatch(value) and len(_CAPITALISED.findall(value)) >= CAMEL_WORDS_MIN:
        return "capitalised words (a name, not a key)"
    if has_long_repeat(value):
        return "repeated characters"
    if has_sequence(value):
        return "sequential characters"
    if _COUNTED_END.search(value):  # AKIDvBDy…X12345: an end overwritten (chance 1 in 10^8; hex 1 in 175,000)
        return "ends in digits counted up"
    if not typed:
        return None
    if any("s" in run.group() for run in _HOME_ROW.finditer(value)) or (
        _HOME_ROW_BOTH_HANDS.search(value) and not value.islower()  # lower case only: 1 in ~5,500 random
    ):
        return "typed on the home row"
    if has_keyboard_walk(value):
        return "typed along a keyboard row"
    if repeated_fragment(value):
        return "a fragment typed over and over"
    # Hex (after any prefix such as JDC_, or before a short tail: JSS secrets are 32 hex and 8 letters or
    # digits; a UUID's dashes aside): sixteen symbols repeat by chance, and the two checks below would cost
    # ~1% of hex keys.
    if is_hex(value[5:].replace("-", "")) or (len(value) >= HEX_HEAD + 8 and is_hex(value[:HEX_HEAD])):
        return None
    if triple_runs(value) >= 2:
        return "characters tripled twice"
    if has_mash(value):
        return "a keyboard mash"
    return None


def character_classes(value: str) -> int:
    return sum((any(c.isdigit() for c in value), any(c.islower() for c in value), any(c.isupper() for c in value)))


_HEX = frozenset("0123456789abcdef")


def is_hex(value: str) -> bool:
    """Digests, commit ids and UUIDs without dashes: never a mixed-case cloud secret."""
    return set(value.lower()) <= _HEX


def looks_random(value: str, min_entropy: float, min_classes: int = 2) -> bool:
    """A credential body: not a placeholder, entropy high enough, enough character classes (digits,
    lower, upper). Key IDs with a fixed prefix pass ``min_classes=1``: base32 AWS IDs are upper-case only."""
    if character_classes(value) < min_classes:
        return False
    if placeholder_reason(value) is not None:
        return False
    return shannon_entropy(value) >= min_entropy


def token_as_sent(token: str) -> str:
    """A session token as it is sent: joined where a renderer hard-wrapped it inside its quotes (a docs
    page's ``aws sts get-session-token`` answer: a newline and indentation inside the string), and
    percent-decoded where it was read from a URL's query (``%2B``, ``%3D``: no token's alphabet holds ``%``
    of its own)."""
    if "\n" in token:
        token = "".join(token.split())
    if "%" in token:
        from urllib.parse import unquote

        token = unquote(token)
    return token


def alibaba_sts_token(value: str) -> bool:
    """An Alibaba STS SecurityToken is base64 of a protobuf: field 1 = version, field 2 = payload."""
    padded = value.replace("-", "+").replace("_", "/")
    padded += "=" * (-len(padded) % 4)
    try:
        raw = base64.b64decode(padded[:64].rstrip("=") + "=" * (-len(padded[:64].rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 4 and raw[0] == 0x08 and raw[1] in (0x01, 0x02) and raw[2] == 0x12


_HEX_TEXT = frozenset(b"0123456789abcdefABCDEF")
HEX_TEXT_BYTES = 12  # 22 byte values of 256, twelve times over: 1 in 10^12 for random bytes (16 characters)


CASED_LENGTH = 40


def random_base64(value: str) -> bool:
    """A key that is base64 of random bytes (Qiniu's 40 characters of base64url) is never the base64 of
    hex digits: ``echo <md5> | base64`` is how a documentation's made-up key is written (qnctl's usage
    text, with its first character cut off). Read from each of its first eight characters (a cut-off
    character shifts the rest; a prefix such as AKLT is a whole quantum before the body): random bytes are
    all hex digits once in 10^12 at each. Nor is it hex digits itself (a SHA-1 digest handed to a call in a
    Qiniu file): 40 random base64 characters are all hex about once in 10^18."""
    if is_hex(value):
        return False
    # Nor one letter case alone at 40 characters (Qiniu's keys; words and dashes such as a host name in a
    # Qiniu file): random base64 of that length lacks a case once in 10^9.
    if len(value) >= CASED_LENGTH and (value.lower() == value or value.upper() == value):
        return False
    body = value.rstrip("=").replace("-", "+").replace("_", "/")
    for skip in range(8):
        chunk = body[skip:]
        chunk = chunk[: len(chunk) // 4 * 4]
        try:
            raw = base64.b64decode(chunk, validate=True)
        except (binascii.Error, ValueError):
            return True
        if len(raw) >= HEX_TEXT_BYTES and all(b in _HEX_TEXT for b in raw):
            return False
    return True


def volcengine_sts_document(token: str) -> dict[str, object] | None:
    """What a Volcengine STS token (``STS``/``STS2`` and the base64 of a JSON document: the issuing AKLT ID,
    the AKTP ID, a signed secret, ``ExpiredTime``) says of itself; None for any other token, or one cut
    short, edited, or nested to break the parser."""
    if not token.startswith(("STSeyJ", "STS2eyJ")) or len(token) > MAX_TOKEN:
        return None
    body = token[3:].removeprefix("2").replace("-", "+").replace("_", "/").rstrip("=")
    try:
        document = json.loads(base64.b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, binascii.Error, RecursionError):
        return None
    return document if isinstance(document, dict) else None


MAX_TOKEN = 8192  # no session token is longer (the token rules read at most 4000 characters)


def volcengine_sts_token(value: str) -> bool:
    """A Volcengine STS token that decodes to its JSON document with the key ID in it proves itself: its
    head is base64 of JSON holding base64 of hex digits, not typed text, so the placeholder tests (made
    for typed values) are not asked of it."""
    document = volcengine_sts_document(value)
    return document is not None and isinstance(document.get("AccessKeyId"), str)


def volcengine_id(value: str) -> bool:
    """A Volcengine AccessKey ID is AKLT/AKTP and the base64 of 32 hex digits. One whose body starts as
    that (eight hex digits decoded: random bytes do so once in 10^8) and then stops being hex digits is an
    issued ID with characters cut or typed over (an SDK demo's sample answer, "mangled" on purpose). A body
    that is not base64 of hex from its start is left to the entropy floor: that is not the issued shape."""
    # The first 40 characters of the body (30 bytes: base64 quanta): what the run holds after an issued ID
    # (an `-prod` suffix, an `_1`) is not the ID's own shape.
    body = value[4:].replace("-", "+").replace("_", "/")[:VOLCENGINE_BODY]
    body = body[: len(body) // 4 * 4]
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return True
    lead = next((i for i, b in enumerate(raw) if b not in _HEX_TEXT), len(raw))
    return lead == len(raw) or lead < VOLCENGINE_HEX_LEAD


def base64_length(value: str) -> bool:
    """Whether a value can be what a base64 encoder wrote: never one character past a whole quantum (53
    characters and "=="), and its padding, when written, completing the last quantum. A real secret that
    is base64 (Volcengine's) passes; a hand-shortened one in a sample .env does not."""
    data = value.rstrip("=")
    padding = len(value) - len(data)
    return len(data) % 4 != 1 and (padding == 0 or (len(data) + padding) % 4 == 0)


VOLCENGINE_HEX_LEAD = 8
VOLCENGINE_BODY = 40
# Token validators that, when they say yes, stand for the placeholder tests (akscan.engine.candidates).
# Tencent's session tokens: 40 hex digits and a 5-digit tail in the STS answers of the 36-character-ID era
# (41-48 in all, hex), hundreds of URL-safe characters today (171 the shortest in the corpus), 118 in a
# federation token of 2019 beside a 64-character temporary ID (a Laravel package's README). Beside a
# 36-character SecretId, anything under 120 under a name as plain as "token" is a web app's (a planted one
# beside a long-term pair would make it temporary, its severity lower): see SHORT_TOKEN.
TENCENT_TOKEN_OLD = range(41, 49)
TENCENT_TOKEN_MIN = 100
TENCENT_TOKEN_FULL = 120

# By token rule: whether a token its validator takes is too short for an ID that is not temporary by its own
# form (its pair's kind is not sts-credentials); such tokens are handed out last (akscan.engine.pairs.tokens_for).
SHORT_TOKEN: dict[str, Callable[[str], bool]] = {
    "tencent-session-token": lambda value: len(value) < TENCENT_TOKEN_FULL and len(value) not in TENCENT_TOKEN_OLD,
}


def tencent_session_token(value: str) -> bool:
    if len(value) in TENCENT_TOKEN_OLD:
        return is_hex(value)
    return len(value) >= TENCENT_TOKEN_MIN and shannon_entropy(value[:256]) >= 3.0


TOKEN_PROOFS: dict[str, Callable[[str], bool]] = {"volcengine-sts-token": volcengine_sts_token}

VALIDATORS: dict[str, Callable[[str], bool]] = {
    "alibaba-sts-token": alibaba_sts_token,
    "base64-length": base64_length,
    "random-base64": random_base64,
    "volcengine-id": volcengine_id,
    # A value of hex digits only is a digest or a test's dummy, never this rule's (UCloud's public keys).
    "not-hex": lambda value: not is_hex(value),
    # Any other Volcengine token (the dotted TOS one) is judged as every token is.
    "volcengine-sts-token": lambda value: True,
    "tencent-session-token": lambda value: tencent_session_token(value),
}
