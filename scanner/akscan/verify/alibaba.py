"""Alibaba Cloud: STS GetCallerIdentity (2015-04-01), RPC signature V2 (HMAC-SHA1, SignatureVersion 1.0).

GetCallerIdentity needs no RAM permission, so any working key answers, and it says who the key is:
the account itself (``IdentityType: Account``, ARN ``…:root``), a RAM user, or an assumed role."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid

from akscan.verify.outcome import Credential, Outcome
from akscan.verify.transport import Transport, TransportError

DEFAULT_ENDPOINT = "https://sts.aliyuncs.com"
VERSION = "2015-04-01"
_ECHO = "server string to sign is:"


def percent_encode(value: str) -> str:
    """RFC 3986 with Alibaba's rules: unreserved characters kept, space as %20, '*' as %2A, '~' kept."""
    return urllib.parse.quote(str(value), safe="-_.~")


def string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Base64(HMAC-SHA1(secret + "&", StringToSign)); ``params`` must not include ``Signature``."""
    digest = hmac.new((secret + "&").encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_params(
    credential: Credential,
    now: dt.datetime | None = None,
    nonce: str | None = None,
    action: str = "GetCallerIdentity",
    version: str = VERSION,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The query of an RPC call (any product: STS, RAM, ECS…), signed; the secret only keys the HMAC."""
    params = {
        **(extra or {}),
        "Action": action,
        "Version": version,
        "Format": "JSON",
        "AccessKeyId": credential.key_id,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": nonce or str(uuid.uuid4()),
        "Timestamp": (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if credential.token:
        params["SecurityToken"] = credential.token
    params["Signature"] = rpc_signature(params, credential.secret)
    return params


def rpc_url(endpoint: str, params: dict[str, str]) -> str:
    """``endpoint/?query`` with the signature last (``params`` as ``signed_params`` made them)."""
    rest = {k: v for k, v in params.items() if k != "Signature"}
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in rest.items())
    return f"{endpoint.rstrip('/')}/?{query}&Signature={percent_encode(params['Signature'])}"


def check(credential: Credential, endpoint: str, transport: Transport, timeout: float) -> Outcome:
    params = signed_params(credential)
    ours = string_to_sign({k: v for k, v in params.items() if k != "Signature"})
    url = rpc_url(endpoint, params)
    try:
        response = transport.request("GET", url, {"Accept": "application/json"}, None, timeout)
    except TransportError as error:  # inconclusive, and not retried: only throttling and 5xx are
        return Outcome("unknown", reason=str(error))
    return classify(response.status, response.body, ours)


def classify(status: int, body: bytes, our_string_to_sign: str) -> Outcome:
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        document = {}
    if not isinstance(document, dict):
        document = {}
    if status == 200 and document.get("Arn"):
        return Outcome(
            "live",
            account_id=str(document.get("AccountId") or "") or None,
            arn=document["Arn"],
            identity_type=document.get("IdentityType"),
            user_id=document.get("UserId") or document.get("RoleId") or document.get("PrincipalId"),
        )
    code = str(document.get("Code") or "")
    message = str(document.get("Message") or "")
    if code == "InvalidAccessKeyId.NotFound" or (status == 404 and code.startswith("InvalidAccessKeyId")):
        return Outcome("not-found", reason=code)
    if code == "InvalidAccessKeyId.Inactive":
        return Outcome("inactive", reason="the AccessKey exists but is disabled")
    if code == "SignatureDoesNotMatch":
        theirs = message.split(_ECHO, 1)[1].strip() if _ECHO in message else None
        if theirs == our_string_to_sign:
            return Outcome("wrong-secret", reason="the AccessKey ID exists; the secret does not match it")
        return Outcome("unknown", reason="SignatureDoesNotMatch with a different server string-to-sign (signer bug?)")
    if code == "InvalidSecurityToken.Expired":
        return Outcome("expired", reason="the STS security token has expired")
    if code == "MissingSecurityToken":
        return Outcome("unknown", reason="an STS AccessKey needs its security token, and none was found with it")
    if code.startswith("InvalidSecurityToken"):
        return Outcome("unknown", reason=code)
    if code == "SignatureNonceUsed":
        return Outcome("unknown", reason=code, retry=True)
    if code.startswith("Throttling") or status in (429, 500, 502, 503, 504):
        return Outcome("unknown", reason=code or f"HTTP {status}", retry=True)
    if code == "InvalidTimeStamp.Expired":
        return Outcome("unknown", reason="clock skew: this machine's clock is more than 15 minutes off")
    return Outcome("unknown", reason=code or f"unexpected HTTP {status}")
