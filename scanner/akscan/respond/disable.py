"""Disabling leaked keys — never deleting them — with the operator's own credentials, never the leaked
key's: RAM ``UpdateAccessKey`` with ``Status=Inactive`` for the RAM user the leaked key belongs to.

A key of the account itself is refused (switching off the account's own key blind can stop production:
it must be replaced first, in the console); so is an STS key (temporary: it cannot be disabled, only its
role's sessions revoked). A dry run (the default) sends nothing and says what it would send."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akscan.errors import UsageError
from akscan.verify.outcome import Credential
from akscan.verify.transport import Transport, TransportError

RAM_ENDPOINT = "https://ram.aliyuncs.com"
RAM_VERSION = "2015-05-01"
ROOT_STEPS = (
    "the account's own AccessKey is not switched off blind: in the console (RAM > your account's AccessKey "
    "management) create a RAM user with only the permissions the workload needs, move the workload to its "
    "key, then disable and delete this one; review ActionTrail for its use"
)
STS_STEPS = (
    "temporary credentials cannot be disabled: they expire on their own; revoke the role's active sessions "
    "or restrict the role that issued them"
)


@dataclass(frozen=True)
class Target:
    provider: str
    key_id: str
    user: str | None  # the RAM user the key belongs to
    identity: str  # account | user | role | unknown
    where: str = ""  # where the key was found (a report's first location)


@dataclass(frozen=True)
class Result:
    key_id: str
    user: str | None
    status: str  # would-disable | disabled | refused | failed
    reason: str = ""

    def record(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def identity_of(arn: str | None, identity_type: str | None) -> tuple[str, str | None]:
    """(identity kind, RAM user name) from what verification read."""
    arn = arn or ""
    if identity_type == "Account" or arn.endswith(":root"):
        return "account", None
    if identity_type == "AssumedRoleUser" or ":assumed-role/" in arn:
        return "role", None
    if ":user/" in arn:
        return "user", arn.split(":user/", 1)[1]
    return "unknown", None


def targets_from_report(path: str) -> list[Target]:
    """Every live Alibaba key of an akscan JSON report (scan, git, hook, or a fleet's), once each."""
    from akscan.storage import read_regular

    try:
        document = json.loads(read_regular(path, 512 * 1024 * 1024, "report"))
    except (OSError, ValueError) as error:
        raise UsageError(f"--from {path}: not an akscan JSON report ({error})") from None
    if not isinstance(document, dict) or document.get("tool") != "akscan":
        raise UsageError(f"--from {path}: not an akscan JSON report (run akscan with --verify --format json)")
    entries = document.get("findings") or document.get("credentials") or []
    found: dict[str, Target] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("provider") != "alibaba" or not entry.get("key_id"):
            continue
        checked = entry.get("verification") or {}
        if not isinstance(checked, dict) or checked.get("status") != "live":
            continue
        kind, user = identity_of(checked.get("arn"), checked.get("identity_type"))
        location = entry.get("location") or {}
        where = f"{location.get('path', '')}:{location.get('line', '')}" if isinstance(location, dict) else ""
        found.setdefault(str(entry["key_id"]), Target("alibaba", str(entry["key_id"]), user, kind, where))
    return list(found.values())


def operator_credential(profile: str | None = None) -> Credential:
    """The operator's key: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (and _SECURITY_TOKEN) in the environment, or
    a profile of the aliyun CLI's ~/.aliyun/config.json (``--profile``, else its current one)."""
    env = os.environ
    key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID")
    secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    if key_id and secret and profile is None:
        return Credential("alibaba", key_id.strip(), secret.strip(), env.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)
    config = Path(env.get("ALIBABA_CLOUD_CONFIG_FILE") or Path.home() / ".aliyun" / "config.json")
    try:
        document = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = None
    if isinstance(document, dict):
        wanted = profile or document.get("current") or "default"
        for entry in document.get("profiles") or []:
            if isinstance(entry, dict) and entry.get("name") == wanted and entry.get("access_key_id"):
                token = entry.get("sts_token") or None
                return Credential(
                    "alibaba", str(entry["access_key_id"]), str(entry.get("access_key_secret", "")), token
                )
    where = f"profile {profile!r} in {config}" if profile else f"ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET or {config}"
    raise UsageError(
        f"no operator credentials: set {where} (your own key with ram:UpdateAccessKey, never the leaked one)"
    )


def plan(targets: list[Target], operator: Credential) -> tuple[list[Target], list[Result]]:
    """(the keys to disable, the refusals)."""
    to_disable: list[Target] = []
    refused: list[Result] = []
    for target in targets:
        if target.key_id == operator.key_id:
            refused.append(Result(target.key_id, target.user, "refused", "this is the operator's own key"))
        elif target.identity == "account":
            refused.append(Result(target.key_id, None, "refused", ROOT_STEPS))
        elif target.identity == "role":
            refused.append(Result(target.key_id, None, "refused", STS_STEPS))
        elif not target.user:
            refused.append(
                Result(target.key_id, None, "refused", "its RAM user is not known: verify it first (--verify)")
            )
        else:
            to_disable.append(target)
    return to_disable, refused


def describe(target: Target, operator: Credential, endpoint: str) -> str:
    """What would be sent, in words (the dry run's line)."""
    return (
        f"UpdateAccessKey UserName={target.user} UserAccessKeyId={target.key_id} Status=Inactive -> {endpoint} "
        f"(signed with the operator's key {operator.key_id[:8]}…)"
    )


def disable(target: Target, operator: Credential, endpoint: str, transport: Transport, timeout: float) -> Result:
    """Send one UpdateAccessKey, signed with the operator's key."""
    from akscan.verify.alibaba import rpc_url, signed_params

    assert target.user is not None
    params = signed_params(
        operator,
        action="UpdateAccessKey",
        version=RAM_VERSION,
        extra={"UserName": target.user, "UserAccessKeyId": target.key_id, "Status": "Inactive"},
    )
    try:
        response = transport.request("GET", rpc_url(endpoint, params), {"Accept": "application/json"}, None, timeout)
    except TransportError as error:
        return Result(target.key_id, target.user, "failed", f"no answer: {error}")
    try:
        document = json.loads(response.body or b"{}")
    except ValueError:
        document = {}
    if response.status == 200:
        return Result(target.key_id, target.user, "disabled")
    code = str(document.get("Code") or "") if isinstance(document, dict) else ""
    return Result(target.key_id, target.user, "failed", f"{code or 'error'} (HTTP {response.status})")


def write_record(path: str, results: list[Result], sent: bool) -> None:
    from akscan.storage import write_atomic

    document = {
        "tool": "akscan",
        "command": "disable",
        "at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sent": sent,
        "keys": [result.record() for result in results],
    }
    write_atomic(path, (json.dumps(document, indent=2) + "\n").encode(), private=True)
