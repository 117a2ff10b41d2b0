"""Disabling leaked keys — never deleting them — with the operator's own credentials, never the leaked
key's: ``UpdateAccessKey`` with ``Status=Inactive`` for the user the leaked key belongs to (Alibaba RAM,
AWS IAM).

A key of the account itself is refused (switching off the account's own key blind can stop production:
it must be replaced first, in the console); so is an STS key (temporary: it cannot be disabled, only its
role's sessions revoked). A dry run (the default) sends nothing and says what it would send."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from akscan.errors import ConfigError, UsageError
from akscan.model import TEMPORARY_ID_PREFIXES
from akscan.verify.outcome import Credential
from akscan.verify.transport import Transport, TransportError

ENDPOINTS = {"alibaba": "https://ram.aliyuncs.com", "aws": "https://iam.amazonaws.com"}
PROVIDERS = tuple(ENDPOINTS)
RAM_VERSION = "2015-05-01"
IAM_VERSION = "2010-05-08"
ROOT_STEPS = {
    "alibaba": (
        "the account's own AccessKey is not switched off blind: in the console (RAM > your account's "
        "AccessKey management) create a RAM user with only the permissions the workload needs, move the "
        "workload to its key, then disable and delete this one; review ActionTrail for its use"
    ),
    "aws": (
        "the root user's access key is not switched off blind: sign in as root, move any workload to an IAM "
        "role or user, then deactivate and delete it under Security credentials; review CloudTrail for its use"
    ),
}
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
    provider: str
    key_id: str
    user: str | None
    status: str  # would-disable | disabled | refused | failed
    reason: str = ""

    def record(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "")}


def identity_of(arn: str | None, identity_type: str | None) -> tuple[str, str | None]:
    """(identity kind, user name) from what verification read (an IAM user's ARN may carry a path)."""
    arn = arn or ""
    if identity_type == "Account" or arn.endswith(":root"):
        return "account", None
    if identity_type in ("AssumedRoleUser", "AssumedRole") or ":assumed-role/" in arn:
        return "role", None
    if ":user/" in arn:
        return "user", arn.rsplit("/", 1)[1]
    return "unknown", None


def targets_from_report(path: str) -> list[Target]:
    """Every live Alibaba or AWS key of an akscan JSON report (scan, git, hook, or a fleet's), once each."""
    from akscan.storage import read_regular

    try:
        document = json.loads(read_regular(path, 512 * 1024 * 1024, "report"))
    except (OSError, ValueError, RecursionError, ConfigError) as error:
        raise UsageError(f"--from {path}: not an akscan JSON report ({error})") from None
    if not isinstance(document, dict) or document.get("tool") != "akscan":
        raise UsageError(f"--from {path}: not an akscan JSON report (run akscan with --verify --format json)")
    entries = document.get("findings")
    found: dict[str, Target] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("provider") not in PROVIDERS:
            continue
        key_id, checked = entry.get("key_id"), entry.get("verification")
        if not isinstance(key_id, str) or not key_id or not isinstance(checked, dict):
            continue  # a report's fields are checked, not trusted: a key ID is a string or nothing
        if checked.get("status") != "live":
            continue
        arn, identity_type = checked.get("arn"), checked.get("identity_type")
        kind, user = identity_of(arn if isinstance(arn, str) else None, str(identity_type or ""))
        where = f"{entry.get('path', '')}:{entry.get('line', '')}"
        found.setdefault(key_id, Target(str(entry["provider"]), key_id, user, kind, where))
    return list(found.values())


def temporary(key_id: str) -> bool:
    """An STS key, whatever its identity says (an AWS session key of GetSessionToken names its IAM user)."""
    return key_id.startswith(TEMPORARY_ID_PREFIXES)


def operator_credential(provider: str, profile: str | None = None) -> Credential:
    """The operator's key for a provider, from where its own CLI and SDKs read it."""
    return _alibaba_operator(profile) if provider == "alibaba" else _aws_operator(profile)


def _alibaba_operator(profile: str | None) -> Credential:
    """ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (and _SECURITY_TOKEN) in the environment, or a profile of the
    aliyun CLI's ~/.aliyun/config.json (``--profile``, else its current one)."""
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


def _aws_operator(profile: str | None) -> Credential:
    """AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or a profile of the shared
    credentials file (``--profile``, else AWS_PROFILE, else ``default``)."""
    import configparser

    env = os.environ
    key_id, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if key_id and secret and profile is None:
        return Credential("aws", key_id.strip(), secret.strip(), env.get("AWS_SESSION_TOKEN") or None)
    path = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials")
    wanted = profile or env.get("AWS_PROFILE") or "default"
    parser = configparser.ConfigParser(interpolation=None)
    with contextlib.suppress(OSError, ValueError, configparser.Error):
        parser.read_string(path.read_text(encoding="utf-8"))
    if parser.has_option(wanted, "aws_access_key_id") and parser.has_option(wanted, "aws_secret_access_key"):
        section = parser[wanted]
        token = section.get("aws_session_token") or None
        return Credential("aws", section["aws_access_key_id"].strip(), section["aws_secret_access_key"].strip(), token)
    where = f"profile {wanted!r} in {path}" if profile else f"AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or {path}"
    raise UsageError(
        f"no operator credentials: set {where} (your own key with iam:UpdateAccessKey, never the leaked one)"
    )


def plan(targets: list[Target], operators: dict[str, Credential]) -> tuple[list[Target], list[Result]]:
    """(the keys to disable, the refusals); ``operators`` holds the operator's key of each provider."""
    to_disable: list[Target] = []
    refused: list[Result] = []
    for target in targets:
        operator = operators.get(target.provider)
        why = ""
        if operator is not None and target.key_id == operator.key_id:
            why = "this is the operator's own key"
        elif target.identity == "account":
            why = ROOT_STEPS[target.provider]
        elif target.identity == "role" or temporary(target.key_id):
            why = STS_STEPS
        elif not target.user:
            why = "its user is not known: verify it first (--verify)"
        if why:
            refused.append(Result(target.provider, target.key_id, target.user, "refused", why))
        else:
            to_disable.append(target)
    return to_disable, refused


def needs_operator(target: Target) -> bool:
    """Whether the operator's key of the target's provider is needed (a key the plan will not refuse anyway)."""
    return target.identity not in ("account", "role") and bool(target.user) and not temporary(target.key_id)


def describe(target: Target, operator: Credential, endpoint: str) -> str:
    """What would be sent, in words (the dry run's line)."""
    field = "UserAccessKeyId" if target.provider == "alibaba" else "AccessKeyId"
    return (
        f"UpdateAccessKey UserName={target.user} {field}={target.key_id} Status=Inactive -> {endpoint} "
        f"(signed with the operator's key {operator.key_id[:8]}…)"
    )


def disable(target: Target, operator: Credential, endpoint: str, transport: Transport, timeout: float) -> Result:
    """Send one UpdateAccessKey, signed with the operator's key."""
    assert target.user is not None
    try:
        if target.provider == "alibaba":
            status, code = _alibaba_update(target, operator, endpoint, transport, timeout)
        else:
            status, code = _aws_update(target, operator, endpoint, transport, timeout)
    except TransportError as error:
        return Result(target.provider, target.key_id, target.user, "failed", f"no answer: {error}")
    if status == 200:
        return Result(target.provider, target.key_id, target.user, "disabled")
    return Result(target.provider, target.key_id, target.user, "failed", f"{code or 'error'} (HTTP {status})")


def _alibaba_update(
    target: Target, operator: Credential, endpoint: str, transport: Transport, timeout: float
) -> tuple[int, str]:
    from akscan.respond.asking import error_code
    from akscan.verify.alibaba import rpc_url, signed_params

    params = signed_params(
        operator,
        action="UpdateAccessKey",
        version=RAM_VERSION,
        extra={"UserName": str(target.user), "UserAccessKeyId": target.key_id, "Status": "Inactive"},
    )
    response = transport.request("GET", rpc_url(endpoint, params), {"Accept": "application/json"}, None, timeout)
    return response.status, error_code(response.body)


def _aws_update(
    target: Target, operator: Credential, endpoint: str, transport: Transport, timeout: float
) -> tuple[int, str]:
    import urllib.parse

    from akscan.respond.asking import error_code
    from akscan.verify.aws import CONTENT_TYPE, REGION, sign

    fields = {
        "Action": "UpdateAccessKey",
        "Version": IAM_VERSION,
        "UserName": str(target.user),
        "AccessKeyId": target.key_id,
        "Status": "Inactive",
    }
    body = urllib.parse.urlencode(fields).encode()
    parsed = urllib.parse.urlsplit(endpoint)
    amz_date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Type": CONTENT_TYPE, "Host": parsed.netloc, "X-Amz-Date": amz_date}
    if operator.token:
        headers["X-Amz-Security-Token"] = operator.token
    headers["Authorization"] = sign(
        "POST", parsed.path or "/", "", headers, body, operator.key_id, operator.secret, amz_date, REGION, "iam"
    )
    response = transport.request("POST", endpoint.rstrip("/") + "/", headers, body, timeout)
    return response.status, error_code(response.body)


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
