"""The shape of each rule's values, as the clouds issue them: what a random value of the rule's own shape
looks like. ``tests/test_floors.py`` and ``benchmarks/floors.py`` draw values from these to measure what
each rule's floor and filters reject (no floor may reject more than 1% of its own shape's values)."""

from __future__ import annotations

import random
import string
from collections.abc import Callable

ALNUM = string.ascii_letters + string.digits
BASE64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
UPPER_HEX = "0123456789ABCDEF"
BASE32_AWS = string.ascii_uppercase + "234567"
LOWER_DIGITS = string.ascii_lowercase + string.digits

Shape = Callable[[random.Random], str]


def draw(alphabet: str, length: int, prefix: str = "", suffix: str = "") -> Shape:
    return lambda rng: prefix + "".join(rng.choice(alphabet) for _ in range(length)) + suffix


def alibaba_sts_token(rng: random.Random) -> str:
    """Base64 of the protobuf Alibaba's STS issues: version 2, a payload, a signature (tests/keys.py)."""
    import base64

    payload, signature = rng.randbytes(388), rng.randbytes(128)
    return base64.b64encode(b"\x08\x02\x12\x84\x03" + payload + b"\x1a\x80\x01" + signature).decode()


def tencent_session_token(rng: random.Random) -> str:
    """Today's: 32 letters and digits, 40 hex digits, then a URL-safe run (the real ones in the corpus)."""
    return draw(ALNUM, 32)(rng) + draw(HEX, 40)(rng) + draw(URLSAFE, 400)(rng)


def aws_legacy_id(rng: random.Random) -> str:
    """Before AKIA: a digit, then 19 upper-case letters and digits (every real one harvested began with a digit)."""
    return rng.choice(string.digits) + draw(UPPER_DIGITS, 19)(rng)


# rule id -> the shapes its values come in (one entry per format the cloud issues or issued)
SHAPES: dict[str, list[Shape]] = {
    "alibaba-access-key": [draw(ALNUM, 20, "LTAI"), draw(ALNUM, 12, "LTAI")],
    "alibaba-access-key-secret": [draw(ALNUM, 30)],
    "alibaba-named-secret": [draw(ALNUM, 30)],
    "alibaba-sts-credentials": [draw(ALNUM, 23, "STS.NT"), draw(ALNUM, 20, "STS.")],
    "alibaba-oss-temporary-id": [draw(ALNUM, 94, "TMP.")],
    "alibaba-sts-secret": [draw(ALNUM, 44), draw(ALNUM, 40)],
    "alibaba-legacy-access-key": [draw(ALNUM, 16), draw(LOWER_DIGITS, 24)],
    "alibaba-legacy-named-pair": [draw(ALNUM, 16)],
    "alibaba-acm-access-key": [draw(HEX, 32)],
    "alibaba-legacy-secret": [draw(ALNUM, 30), draw(BASE64, 27, suffix="="), draw(ALNUM, 10)],
    "aws-access-key": [draw(BASE32_AWS, 16, "AKIA"), draw(BASE32_AWS, 16, "ASIA")],
    "aws-legacy-access-key": [aws_legacy_id],
    "aws-secret-access-key": [draw(BASE64, 40)],
    "aws-ses-smtp-credentials": [draw(BASE32_AWS, 16, "AKIA")],
    # Session tokens: their fixed heads, then what follows them in the real ones (lengths of the corpus).
    "aws-session-token": [draw(BASE64, 700, "IQoJb3JpZ2luX2Vj"), draw(BASE64, 300, "FwoGZXIvYXdzE")],
    "alibaba-sts-security-token": [alibaba_sts_token],
    "tencent-session-token": [tencent_session_token, draw(HEX, 40, suffix="30001")],
    "tencent-positional-token": [tencent_session_token],
    "baidu-security-token": [draw(BASE64, 460, "ZjkyZmQ2YmQxZTQ3NDcyNjk0ZTg1ZjYyYjlkZjNjODB8")],
    "huawei-security-token": [draw(URLSAFE, 800, "gQpjbi1"), draw(URLSAFE, 800, "ggpjbi1")],
    "volcengine-session-token": [draw(BASE64, 600, "STS2eyJ")],
    # The version byte (4; 2 before 2019) then 32 bytes of HMAC, base64: the byte fixes 1½ characters.
    "aws-ses-smtp-password": [
        lambda rng: "B" + rng.choice("ABCDEFGHIJKLMNOP") + draw(BASE64, 42)(rng),
        lambda rng: "A" + rng.choice("ghijklmnopqrstuv") + draw(BASE64, 42)(rng),
    ],
    "tencent-masked-secret-id": [lambda rng: draw(ALNUM, 2, "AKID")(rng) + "…" + draw(ALNUM, 4)(rng)],
    "tencent-secret-id": [draw(ALNUM, 32, "AKID"), draw(ALNUM, 32, "IKID")],
    "tencent-secret-key": [draw(ALNUM, 32)],
    "tencent-context-secret": [draw(ALNUM, 32)],
    "tencent-gateway-key": [draw(ALNUM, 36, "AKID"), draw(ALNUM, 35, "AKID")],
    "tencent-gateway-secret": [draw(ALNUM, 40), draw(ALNUM, 39)],
    "tencent-temporary-id": [draw(URLSAFE, 64, "AKID")],
    "tencent-temporary-secret": [draw(BASE64, 43, suffix="="), draw(ALNUM, 32)],
    "baidu-access-key": [draw(ALNUM, 21, "ALTAK")],
    "baidu-secret-key": [draw(HEX, 32), draw(ALNUM, 32)],
    "baidu-context-access-key": [draw(HEX, 32), draw(UPPER_DIGITS, 20), draw(ALNUM, 24)],
    "baidu-ai-api-key": [draw(ALNUM, 24)],
    "baidu-hex-pair": [draw(HEX, 32)],
    "baidu-context-secret": [draw(HEX, 32), draw(ALNUM, 40)],
    "huawei-access-key": [draw(UPPER_DIGITS, 20)],
    "huawei-context-access-key": [draw(UPPER_DIGITS, 20)],
    "huawei-prefixed-access-key": [draw(UPPER_DIGITS, 16, prefix="HPUA")],
    "huawei-obs-named-access-key": [draw(UPPER_DIGITS, 20)],
    "huawei-credentials-csv": [draw(UPPER_DIGITS, 20)],
    "huawei-secret-key": [draw(ALNUM, 40)],
    "huawei-argument-access-key": [draw(UPPER_DIGITS, 20)],
    "huawei-obsutil-config": [draw(UPPER_DIGITS, 20)],
    "huawei-obs-authorization": [draw(UPPER_DIGITS, 20)],
    "huawei-apig-app-key": [
        draw(HEX, 32),
        draw(UPPER_DIGITS, 20),
        lambda rng: "-".join(draw(HEX, n)(rng) for n in (8, 4, 4, 4, 12)),  # a dedicated gateway's UUID
    ],
    "huawei-apig-app-secret": [draw(HEX, 32), draw(ALNUM, 40), draw(HEX, 64)],
    "qiniu-access-key": [draw(URLSAFE, 40)],
    "qiniu-context-access-key": [draw(URLSAFE, 40)],
    "qiniu-shaped-access-key": [draw(URLSAFE, 40)],
    "qiniu-qshell-account": [draw(URLSAFE, 40)],
    "qiniu-secret-key": [draw(URLSAFE, 40)],
    "qiniu-upload-token": [draw(URLSAFE, 40)],
    "qiniu-download-url-key": [draw(URLSAFE, 40)],
    "qiniu-management-token": [draw(URLSAFE, 40)],
    "volcengine-access-key": [draw(URLSAFE, 43, "AKLT"), draw(URLSAFE, 43, "AKTP")],
    "byteplus-access-key": [draw(URLSAFE, 43, "AKAP"), draw(URLSAFE, 43, "AKAP")],
    "volcengine-secret-key": [draw(BASE64, 58, suffix="=="), draw(BASE64, 64), draw(BASE64, 86, suffix="==")],
    "kingsoft-access-key": [draw(URLSAFE, 22, "AKLT")],
    "kingsoft-ks3-access-key": [draw(BASE64, 20)],
    "kingsoft-ks3-named-pair": [draw(BASE64, 20)],
    "kingsoft-secret-key": [draw(BASE64, 65, "O", "=="), draw(BASE64, 40)],
    "jdcloud-access-key": [draw(UPPER_HEX, 28, "JDC_")],
    "jdcloud-secret-key": [draw(UPPER_HEX, 32)],
    "jdcloud-context-access-key": [draw(UPPER_HEX, 32)],
    "jdcloud-hex-pair": [draw(UPPER_HEX, 32)],
    "jdcloud-hex-secret": [draw(UPPER_HEX, 32)],
    "jdcloud-jss-access-key": [draw(HEX, 32)],
    "jdcloud-jss-secret-key": [lambda rng: draw(HEX, 32)(rng) + draw(ALNUM, 8)(rng)],
    "gcp-hmac-key": [draw(UPPER_DIGITS, 55, "GOOG1E"), draw(UPPER_DIGITS, 16, "GOOG"), draw(UPPER_DIGITS, 20, "GOOG")],
    "gcp-hmac-secret": [draw(BASE64, 40)],
    "ucloud-public-key": [draw(ALNUM, 32), draw(BASE64, 54, suffix="==")],
    "ucloud-private-key": [draw(ALNUM, 40), draw(BASE64, 40), draw(ALNUM, 66)],
    "ucloud-context-public-key": [
        draw(BASE64, 54, suffix="=="),
        draw(BASE64, 70, suffix="=="),
        draw(URLSAFE, 40),  # UCloudStack's
        lambda rng: (
            draw(string.ascii_lowercase, 6, "ucloud", "@")(rng)
            + draw(string.ascii_lowercase, 7, suffix=".com")(rng)
            + draw(string.digits, 22)(rng)
        ),
    ],
    "ucloud-context-private-key": [draw(HEX, 40), draw(BASE64, 40), draw(ALNUM, 66), draw(URLSAFE, 64)],
}


def rejected(rule_id: str, count: int, seed: int = 0) -> tuple[int, int]:
    """(rejected, drawn): how many of ``count`` random values of each of the rule's shapes its floor and
    filters turn away."""
    by_shape = rejected_by_shape(rule_id, count, seed)
    return sum(by_shape), count * len(by_shape)


def rejected_by_shape(rule_id: str, count: int, seed: int = 0) -> list[int]:
    """How many of ``count`` random values of each of the rule's shapes, shape by shape, are turned away:
    a shape the rule reads rarely must not hide behind a common one."""
    from akscan.engine.candidates import valid_value
    from akscan.engine.rules import load_ruleset

    rule = load_ruleset().rule(rule_id)
    rng = random.Random(seed)
    return [sum(not valid_value(rule, shape(rng)) for _ in range(count)) for shape in SHAPES[rule_id]]
