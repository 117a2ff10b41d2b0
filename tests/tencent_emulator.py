"""A real HTTP emulator on 127.0.0.1 of Tencent Cloud STS GetCallerIdentity (TC3-HMAC-SHA256).

It checks requests the documented way: the X-TC-* headers (action, version, region, timestamp within
five minutes), the SecretId's existence, and the signature — recomputed with the official SDK's signer
(``tencentcloud.common.sign.Sign.sign_tc3``) from the canonical request it rebuilds itself, so akscan's
signer is checked against an independent one — and the session token of temporary credentials. It answers
with the documented ``{"Response": …}`` bodies and error codes. Every raw request is logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tencentcloud.common.sign import Sign

from tests.json_server import EmulatedKey, JsonServer


@dataclass
class TencentEmulator:
    keys: dict[str, EmulatedKey] = field(default_factory=dict)
    log: list[bytes] = field(default_factory=list)
    throttle_next: int = 0
    url: str = ""
    _server: Any = None

    def add_cam_user(self, key_id: str, secret: str) -> None:
        self.keys[key_id] = EmulatedKey(
            secret,
            {
                "Arn": "qcs::cam::uin/100000000001:uin/100000000042",
                "AccountId": "100000000001",
                "UserId": "100000000042",
                "PrincipalId": "100000000042",
                "Type": "CAMUser",
            },
        )

    def add_root(self, key_id: str, secret: str) -> None:
        self.keys[key_id] = EmulatedKey(
            secret,
            {
                "Arn": "qcs::cam::uin/100000000001:uin/100000000001",
                "AccountId": "100000000001",
                "UserId": "100000000001",
                "PrincipalId": "100000000001",
                "Type": "Root",
            },
        )

    def add_temporary(self, key_id: str, secret: str, token: str, expired: bool = False) -> None:
        self.keys[key_id] = EmulatedKey(
            secret,
            {
                "Arn": "qcs::sts:100000000001:assumed-role/4611686018427397919/akscan",
                "AccountId": "100000000001",
                "UserId": "100000000001:akscan",
                "PrincipalId": "4611686018427397919",
                "Type": "CAMRole",
            },
            token,
            expired,
        )

    def answer(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        request_id = str(uuid.uuid4())

        def error(code: str, message: str) -> dict[str, Any]:
            return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}

        if self.throttle_next > 0:
            self.throttle_next -= 1
            return error("RequestLimitExceeded", "Your current request times equals to `21` in a second")
        if headers.get("x-tc-action") != "GetCallerIdentity" or headers.get("x-tc-version") != "2018-08-13":
            return error("InvalidAction", "unknown action or version")
        if not headers.get("x-tc-region"):
            return error("MissingParameter", "The request is missing a required parameter `Region`.")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if abs(time.time() - timestamp) > 300:
            return error("AuthFailure.SignatureExpire", "Signature expired.")
        authorization = headers.get("authorization", "")
        try:
            algorithm, rest = authorization.split(" ", 1)
            fields = dict(part.strip().split("=", 1) for part in rest.split(","))
            key_id, date, service, terminator = fields["Credential"].split("/")
        except ValueError:
            return error("AuthFailure.InvalidAuthorization", "Authorization is malformed")
        if algorithm != "TC3-HMAC-SHA256" or terminator != "tc3_request" or service != "sts":
            return error("AuthFailure.InvalidAuthorization", "Authorization is malformed")
        key = self.keys.get(key_id)
        if key is None:
            return error(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found, please ensure that your SecretId is correct.",
            )
        if date != dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).strftime("%Y-%m-%d"):
            return error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        signed = fields.get("SignedHeaders", "").split(";")
        # Header names and values lowercased and trimmed, as the TC3 documentation has it.
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
        canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed), hashlib.sha256(body).hexdigest()])
        to_sign = "\n".join(
            [
                "TC3-HMAC-SHA256",
                str(timestamp),
                f"{date}/sts/tc3_request",
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        if Sign.sign_tc3(key.secret, date, "sts", to_sign) != fields.get("Signature"):
            return error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated.",
            )
        if key.token is not None and (headers.get("x-tc-token") != key.token or key.token_expired):
            return error("AuthFailure.TokenFailure", "Token verification failed.")
        return {"Response": {**key.identity, "RequestId": request_id}}

    def start(self) -> TencentEmulator:
        # Tencent answers errors with HTTP 200 too: the code is in the body.
        self._server = JsonServer(lambda method, path, headers, body: (200, self.answer(headers, body)), self.log)
        self.url = self._server.url
        return self

    def stop(self) -> None:
        self._server.stop()
