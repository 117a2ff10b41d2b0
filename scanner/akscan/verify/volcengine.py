"""Volcengine: STS GetCallerIdentity (2018-01-01), GET, signed with Volcengine's HMAC-SHA256 (SigV4-like:
the key is derived from the SecretAccessKey with no prefix, through the date, region, service and
``request``). Only the AccessKey ID, the date and the signature go on the wire."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
from typing import Any

from akscan.verify.outcome import Credential, Outcome
from akscan.verify.transport import RETRY_STATUSES, Transport, ask

DEFAULT_ENDPOINT = "https://sts.volcengineapi.com"
QUERY = {"Action": "GetCallerIdentity", "Version": "2018-01-01"}
REGION = "cn-beijing"
SERVICE = "sts"
ALGORITHM = "HMAC-SHA256"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str = REGION, service: str = SERVICE) -> bytes:
    return _hmac(_hmac(_hmac(_hmac(secret.encode("utf-8"), date), region), service), "request")


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="-_.~")


def canonical_request(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
) -> tuple[str, str]:
    """(canonical request, signed header names): headers lowercased and sorted, the query sorted and
    percent-encoded, the body's SHA-256 last."""
    signed = {name.lower(): value for name, value in headers.items()}
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
    canonical_query = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in sorted(query.items()))
    request = "\n".join(
        [method, path or "/", canonical_query, canonical_headers, ";".join(names), hashlib.sha256(body).hexdigest()]
    )
    return request, ";".join(names)


def authorization(key_id: str, secret: str, x_date: str, request: str, signed: str) -> str:
    scope = f"{x_date[:8]}/{REGION}/{SERVICE}/request"
    to_sign = "\n".join([ALGORITHM, x_date, scope, hashlib.sha256(request.encode("utf-8")).hexdigest()])
    signature = hmac.new(signing_key(secret, x_date[:8]), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"


def check(credential: Credential, endpoint: str, transport: Transport, timeout: float) -> Outcome:
    host = urllib.parse.urlsplit(endpoint).netloc
    x_date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Host": host, "X-Date": x_date, "X-Content-Sha256": hashlib.sha256(b"").hexdigest()}
    if credential.token:
        headers["X-Security-Token"] = credential.token
    request, signed = canonical_request("GET", "/", QUERY, headers, b"")
    headers["Authorization"] = authorization(credential.key_id, credential.secret, x_date, request, signed)
    url = endpoint.rstrip("/") + "/?" + urllib.parse.urlencode(sorted(QUERY.items()))
    return ask(transport, "GET", url, headers, b"", timeout, classify)


def classify(status: int, raw: bytes) -> Outcome:
    try:
        document: Any = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return Outcome("unknown", reason=f"unexpected answer (HTTP {status})", retry=status in RETRY_STATUSES)
    metadata = document.get("ResponseMetadata") if isinstance(document, dict) else None
    error = metadata.get("Error") if isinstance(metadata, dict) else None
    result = document.get("Result") if isinstance(document, dict) else None
    if not error and isinstance(result, dict):
        kind = str(result.get("IdentityType") or "")
        trn = str(result.get("Trn") or "")
        return Outcome(
            "live",
            account_id=str(result.get("AccountId") or "") or None,
            arn=trn or None,
            identity_type="Account" if kind == "Account" else kind or None,
            user_id=str(result.get("IdentityId") or "") or None,
        )
    code = str(error.get("Code") or "") if isinstance(error, dict) else ""
    if code == "InvalidAccessKey":
        return Outcome("not-found", reason=code)
    if code == "SignatureDoesNotMatch":
        return Outcome("wrong-secret", reason="the AccessKey exists; the secret does not match it")
    if code in ("InvalidSecurityToken", "ExpiredSecurityToken", "InvalidAuthorization.TokenExpired"):
        return Outcome("expired", reason=code)
    if code == "InvalidTimestamp":
        return Outcome("unknown", reason="the request's time is too far from Volcengine's clock (check this clock)")
    if "LimitExceeded" in code or code in ("InternalError", "InternalServiceTimeout") or status in RETRY_STATUSES:
        return Outcome("unknown", reason=code or f"HTTP {status}", retry=True)
    return Outcome("unknown", reason=code or f"unexpected HTTP {status}")
