"""Tencent Cloud: STS GetCallerIdentity (2018-08-13), POST JSON, signature TC3-HMAC-SHA256.

Only the SecretId, the timestamp and the signature go on the wire; the SecretKey signs. Errors come in
the body (``Response.Error.Code``), not the HTTP status: the code decides the verdict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from typing import Any

from akscan.verify.outcome import Credential, Outcome
from akscan.verify.transport import RETRY_STATUSES, Transport, ask

DEFAULT_ENDPOINT = "https://sts.tencentcloudapi.com"
SERVICE = "sts"
ACTION = "GetCallerIdentity"
VERSION = "2018-08-13"
REGION = "ap-guangzhou"  # required by the API; any region answers for the whole account
CONTENT_TYPE = "application/json"  # what the official SDK sends (and signs)
PAYLOAD = b"{}"
ALGORITHM = "TC3-HMAC-SHA256"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(host: str, content_type: str, payload: bytes, method: str = "POST") -> str:
    headers = f"content-type:{content_type}\nhost:{host}\n"
    return "\n".join([method, "/", "", headers, "content-type;host", hashlib.sha256(payload).hexdigest()])


def string_to_sign(canonical: str, timestamp: int, service: str) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    return "\n".join([ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()])


def signature(secret: str, timestamp: int, service: str, to_sign: str) -> str:
    """TC3: the key is derived from ``"TC3" + SecretKey`` through the UTC date, the service and
    ``tc3_request``; the signature is the hex HMAC-SHA256 of the string to sign."""
    date = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d")
    key = _hmac(_hmac(_hmac(("TC3" + secret).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(key_id: str, secret: str, host: str, timestamp: int, service: str = SERVICE) -> str:
    canonical = canonical_request(host, CONTENT_TYPE, PAYLOAD)
    signed = signature(secret, timestamp, service, string_to_sign(canonical, timestamp, service))
    date = dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    return f"{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders=content-type;host, Signature={signed}"


def check(credential: Credential, endpoint: str, transport: Transport, timeout: float) -> Outcome:
    host = urllib.parse.urlsplit(endpoint).netloc
    timestamp = int(dt.datetime.now(dt.timezone.utc).timestamp())
    headers = {
        "Content-Type": CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": ACTION,
        "X-TC-Version": VERSION,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Region": REGION,
        "Authorization": authorization(credential.key_id, credential.secret, host, timestamp),
    }
    if credential.token:
        headers["X-TC-Token"] = credential.token
    return ask(transport, "POST", endpoint.rstrip("/") + "/", headers, PAYLOAD, timeout, classify)


def classify(status: int, raw: bytes) -> Outcome:
    try:
        document: Any = json.loads(raw.decode("utf-8", "replace"))
        answer = document["Response"]
    except (ValueError, KeyError, TypeError):
        retry = status in RETRY_STATUSES
        return Outcome("unknown", reason=f"unexpected answer (HTTP {status})", retry=retry)
    if not isinstance(answer, dict):
        return Outcome("unknown", reason=f"unexpected answer (HTTP {status})")
    error = answer.get("Error")
    if not error:
        arn = str(answer.get("Arn") or "")
        kind = str(answer.get("Type") or "")
        if kind.lower() in ("root", "account") or _is_root(arn):
            kind = "Account"
        return Outcome(
            "live",
            account_id=str(answer.get("AccountId") or "") or None,
            arn=arn or None,
            identity_type=kind or None,
            user_id=str(answer.get("UserId") or "") or None,
        )
    code = str(error.get("Code") or "") if isinstance(error, dict) else ""
    if code in ("AuthFailure.SecretIdNotFound", "AuthFailure.InvalidSecretId"):
        return Outcome("not-found", reason=code)
    if code == "AuthFailure.SignatureFailure":
        return Outcome("wrong-secret", reason="the SecretId exists; the SecretKey does not match it")
    if code == "AuthFailure.TokenFailure":
        return Outcome("expired", reason=code)
    if code == "AuthFailure.SignatureExpire":
        return Outcome(
            "unknown", reason="the request's time is too far from Tencent's clock (check this machine's clock)"
        )
    if code.startswith(("RequestLimitExceeded", "InternalError")) or status in RETRY_STATUSES:
        return Outcome("unknown", reason=code or f"HTTP {status}", retry=True)
    return Outcome("unknown", reason=code or f"unexpected HTTP {status}")


def _is_root(arn: str) -> bool:
    """``qcs::cam::uin/100001:uin/100001``: the principal is the account itself."""
    parts = arn.split("::", 2)[-1].split(":")
    return len(parts) == 2 and parts[0] == parts[1] and parts[0].startswith("uin/")
