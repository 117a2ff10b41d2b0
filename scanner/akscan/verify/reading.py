"""Reading one credential for `akscan verify`: from the environment or stdin, never the command line."""

from __future__ import annotations

import os
import re
import sys

from akscan.errors import UsageError

_ENV_NAMES = {
    "id": (
        "AKSCAN_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "AWS_ACCESS_KEY_ID",
        "TENCENTCLOUD_SECRET_ID",
        "VOLCENGINE_ACCESS_KEY",
    ),
    "secret": (
        "AKSCAN_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "AWS_SECRET_ACCESS_KEY",
        "TENCENTCLOUD_SECRET_KEY",
        "VOLCENGINE_SECRET_KEY",
    ),
    "token": (
        "AKSCAN_SECURITY_TOKEN",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "AWS_SESSION_TOKEN",
        "TENCENTCLOUD_SESSION_TOKEN",
    ),
}


def read_credential(use_stdin: bool) -> tuple[str, str, str | None]:
    """A pair from the environment, or from stdin as KEY=VALUE lines or as bare lines (id, secret,
    token). Never from the command line, where `ps` and shell history would show it."""
    values: dict[str, str] = {}
    if not use_stdin:
        for field_name, names in _ENV_NAMES.items():
            found = next((os.environ[n] for n in names if os.environ.get(n)), None)
            if found:
                values[field_name] = found.strip()
    if "id" not in values:
        text = sys.stdin.read()
        bare: list[str] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, sep, value = line.partition("=")
            matched = [f for f, names in _ENV_NAMES.items() if sep and name.strip().removeprefix("export ") in names]
            if matched:
                values[matched[0]] = value.strip().strip("'\"")
            else:
                bare.append(line)
        for field_name, value in zip(("id", "secret", "token"), bare, strict=False):
            values.setdefault(field_name, value)
    if values.get("id"):
        provider_of(values["id"])  # a malformed ID (say, a whole "ID SECRET" line) is named as such first
    if values.get("id") and not values.get("secret"):
        raise UsageError(
            "the secret is missing: set AKSCAN_ACCESS_KEY_SECRET (or pipe the secret on the line after the ID); "
            "nothing was sent"
        )
    if not values.get("id") or not values.get("secret"):
        raise UsageError(
            "no credential to verify: set AKSCAN_ACCESS_KEY_ID and AKSCAN_ACCESS_KEY_SECRET "
            "(and AKSCAN_SECURITY_TOKEN for STS), or pipe 'id', 'secret' lines on stdin"
        )
    return values["id"], values["secret"], values.get("token")


# The shapes of the key IDs that can be verified. A value that is not one of them is never sent: it may
# be a whole "ID SECRET" line, which would put the secret on the wire and on the screen.
_ID_SHAPES = (
    ("alibaba", re.compile(r"LTAI[A-Za-z0-9]{12,28}")),
    ("alibaba", re.compile(r"STS\.[A-Za-z0-9]{10,64}")),
    ("aws", re.compile(r"A(?:KIA|SIA|BIA|CCA)[A-Z2-7]{16}")),
    ("tencent", re.compile(r"[AI]KID[A-Za-z0-9]{13,64}")),  # IKID: the international site's
    ("volcengine", re.compile(r"AK(?:LT|TP)[A-Za-z0-9_\-]{40,56}")),
)


def provider_of(key_id: str) -> str:
    for provider, shape in _ID_SHAPES:
        if shape.fullmatch(key_id):
            return provider
    if any(c.isspace() or c in ":=,;" for c in key_id):
        raise UsageError(
            "the key ID holds a space or a separator (was the whole 'ID SECRET' line given as the ID?): "
            "give the ID and the secret separately; nothing was sent"
        )
    raise UsageError(
        f"key ID {key_id[:4]}… is not an Alibaba Cloud (LTAI…, STS.…), AWS (AKIA…, ASIA…), Tencent Cloud "
        "(AKID…, IKID…) or Volcengine (AKLT…) key ID; nothing was sent"
    )


def check_secret(secret: str) -> None:
    if any(c.isspace() for c in secret) or len(secret) > 256:
        raise UsageError("the secret holds spaces or is too long to be an AccessKey secret; nothing was sent")
