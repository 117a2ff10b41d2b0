"""A real HTTP emulator on 127.0.0.1 of Volcengine STS GetCallerIdentity.

It rebuilds the canonical request from what arrives and signs it with the official SDK's own functions
(``volcengine.auth.SignerV4``), so akscan's signer is checked against an independent one; it checks the
action, version, X-Date (within 15 minutes) and the session token, and answers with the documented
``ResponseMetadata`` / ``Result`` bodies and error codes. Every raw request is logged.
"""

from __future__ import annotations

import datetime as dt
import hmac
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from volcengine.auth.MetaData import MetaData
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request

from tests.json_server import EmulatedKey, JsonServer


@dataclass
class VolcengineEmulator:
    keys: dict[str, EmulatedKey] = field(default_factory=dict)
    log: list[bytes] = field(default_factory=list)
    url: str = ""
    _server: Any = None

    def add_user(self, key_id: str, secret: str) -> None:
        self.keys[key_id] = EmulatedKey(
            secret,
            {
                "AccountId": 2100000001,
                "Trn": "trn:iam::2100000001:user/deployer",
                "IdentityType": "User",
                "IdentityId": "51000001",
            },
        )

    def add_account(self, key_id: str, secret: str) -> None:
        self.keys[key_id] = EmulatedKey(
            secret,
            {
                "AccountId": 2100000001,
                "Trn": "trn:iam::2100000001:root",
                "IdentityType": "Account",
                "IdentityId": "2100000001",
            },
        )

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        split = urllib.parse.urlsplit(path)
        query = dict(urllib.parse.parse_qsl(split.query))

        def error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
            meta = {
                "RequestId": "20261129000000",
                "Action": query.get("Action"),
                "Version": query.get("Version"),
                "Service": "sts",
                "Region": "cn-beijing",
                "Error": {"CodeN": 100009, "Code": code, "Message": message},
            }
            return status, {"ResponseMetadata": meta}

        if query != {"Action": "GetCallerIdentity", "Version": "2018-01-01"}:
            return error(404, "InvalidActionOrVersion", "Could not find operation")
        x_date = headers.get("x-date", "")
        try:
            when = dt.datetime.strptime(x_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return error(400, "MissingRequestInfo", "The request is missing X-Date information.")
        if abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) > 900:
            return error(400, "InvalidTimestamp", "The Signature of the request is expired.")
        try:
            algorithm, rest = headers.get("authorization", "").split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            key_id, date, region, service, terminator = fields["Credential"].split("/")
        except ValueError:
            return error(401, "InvalidAuthorization", "malformed Authorization")
        if algorithm != "HMAC-SHA256" or terminator != "request":
            return error(401, "InvalidAuthorization", "malformed Authorization")
        key = self.keys.get(key_id)
        if key is None:
            return error(401, "InvalidAccessKey", f"The accesskey [{key_id}] included in the request is invalid.")
        request = Request()
        request.method, request.path, request.query, request.body = "GET", split.path or "/", query, b""
        request.headers = {k.title(): headers[k] for k in fields["SignedHeaders"].split(";") if k in headers}
        meta = MetaData()
        hashed = SignerV4.hashed_canonical_request_v4(request, meta)
        scope = "/".join([date, region, service, terminator])
        to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashed])
        expected = SignerV4.signature_v4(SignerV4.get_signing_secret_key_v4(key.secret, date, region, service), to_sign)
        if not hmac.compare_digest(expected, fields.get("Signature", "")):
            return error(
                401,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            )
        if key.token is not None and (headers.get("x-security-token") != key.token or key.token_expired):
            return error(401, "InvalidSecurityToken", "The security token is invalid or expired.")
        return 200, {
            "ResponseMetadata": {"RequestId": "20261129000001", "Action": "GetCallerIdentity"},
            "Result": key.identity,
        }

    def start(self) -> VolcengineEmulator:
        self._server = JsonServer(lambda method, path, headers, body: self.answer(path, headers), self.log)
        self.url = self._server.url
        return self

    def stop(self) -> None:
        self._server.stop()
