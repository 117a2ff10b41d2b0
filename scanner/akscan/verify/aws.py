"""AWS: STS GetCallerIdentity (2011-06-15), POST, Signature Version 4 (us-east-1, service sts)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import urllib.parse

from akscan.verify.outcome import Credential, Outcome
from akscan.verify.transport import Transport, TransportError

DEFAULT_ENDPOINT = "https://sts.amazonaws.com"
BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
REGION = "us-east-1"
SERVICE = "sts"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    return _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), service), "aws4_request")


def canonical_request(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> tuple[str, str]:
    names = sorted(headers, key=str.lower)
    canonical_headers = "".join(f"{n.lower()}:{' '.join(headers[n].strip().split())}\n" for n in names)
    signed = ";".join(n.lower() for n in names)
    pairs = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in pairs
    )
    request = "\n".join(
        [method, path or "/", canonical_query, canonical_headers, signed, hashlib.sha256(body).hexdigest()]
    )
    return request, signed


def sign(
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    key_id: str,
    secret: str,
    amz_date: str,
    region: str = REGION,
    service: str = SERVICE,
) -> str:
    """The Authorization header value for a request whose ``headers`` (all to be signed) include
    ``x-amz-date`` and ``host``."""
    request, signed = canonical_request(method, path, query, headers, body)
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    signature = hmac.new(
        signing_key(secret, amz_date[:8], region, service), to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"


def check(credential: Credential, endpoint: str, transport: Transport, timeout: float) -> Outcome:
    if credential.key_id.startswith("ASIA") and not credential.token:
        # AWS would answer InvalidClientTokenId, which would read as "no such key": it is not that.
        return Outcome("unknown", reason="a temporary (ASIA) key needs its session token, none was found with it")
    parsed = urllib.parse.urlsplit(endpoint)
    amz_date = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Type": CONTENT_TYPE, "Host": parsed.netloc, "X-Amz-Date": amz_date}
    if credential.token:
        headers["X-Amz-Security-Token"] = credential.token
    headers["Authorization"] = sign(
        "POST", parsed.path or "/", "", headers, BODY, credential.key_id, credential.secret, amz_date
    )
    try:
        response = transport.request("POST", endpoint.rstrip("/") + "/", headers, BODY, timeout)
    except TransportError as error:  # inconclusive, and not retried: only throttling and 5xx are
        return Outcome("unknown", reason=str(error))
    return classify(response.status, response.body)


def _tag(body: str, name: str) -> str | None:
    match = re.search(rf"<{name}>([^<]*)</{name}>", body)
    return match.group(1) if match else None


def classify(status: int, raw: bytes) -> Outcome:
    body = raw.decode("utf-8", "replace")
    arn = _tag(body, "Arn")
    if status == 200 and arn:
        kind = "Account" if arn.endswith(":root") else "AssumedRole" if ":assumed-role/" in arn else "IAMUser"
        return Outcome(
            "live", account_id=_tag(body, "Account"), arn=arn, identity_type=kind, user_id=_tag(body, "UserId")
        )
    code = _tag(body, "Code") or ""
    if code == "InvalidClientTokenId":
        return Outcome("not-found", reason=code)
    if code == "SignatureDoesNotMatch":
        return Outcome("wrong-secret", reason="the access key exists; the secret does not match it")
    if code in ("ExpiredToken", "TokenRefreshRequired"):
        return Outcome("expired", reason=code)
    if "Throttl" in code or status in (429, 500, 502, 503, 504):
        return Outcome("unknown", reason=code or f"HTTP {status}", retry=True)
    return Outcome("unknown", reason=code or f"unexpected HTTP {status}")
