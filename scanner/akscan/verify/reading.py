"""Reading one credential for `akscan verify`: from the environment or stdin, never the command line."""

from __future__ import annotations

import os
import sys

from akscan.errors import UsageError

_ENV_NAMES = {
    "id": ("AKSCAN_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"),
    "secret": ("AKSCAN_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "AWS_SECRET_ACCESS_KEY"),
    "token": ("AKSCAN_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN", "AWS_SESSION_TOKEN"),
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
    if not values.get("id") or not values.get("secret"):
        raise UsageError(
            "no credential to verify: set AKSCAN_ACCESS_KEY_ID and AKSCAN_ACCESS_KEY_SECRET "
            "(and AKSCAN_SECURITY_TOKEN for STS), or pipe 'id', 'secret' lines on stdin"
        )
    return values["id"], values["secret"], values.get("token")


def provider_of(key_id: str) -> str:
    if key_id.startswith(("LTAI", "STS.")):
        return "alibaba"
    if key_id[:4] in ("AKIA", "ASIA", "ABIA", "ACCA"):
        return "aws"
    raise UsageError(
        f"cannot tell the provider of key ID {key_id[:4]}…: expected LTAI…, STS.… (Alibaba) or AKIA…/ASIA…"
    )
